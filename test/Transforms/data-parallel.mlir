// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel=ranks=2 | FileCheck %s
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel="ranks=2 bucket-mb=1" | FileCheck %s --check-prefix=SMALL
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel="ranks=2 first-bucket-mb=0.01953125" | FileCheck %s --check-prefix=FIRST
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel="ranks=3 zero=1 bucket-mb=1" | FileCheck %s --check-prefix=ZERO
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel=ranks=1 | FileCheck %s --check-prefix=ONE
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel="ranks=1 zero=1" | FileCheck %s --check-prefix=ONEZERO
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel=ranks=2 --mlopt-optimizer="optimizer=sgd lr=0.1" | FileCheck %s --check-prefix=OPT
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel=ranks=2 --mlopt-loss-scaling --mlopt-optimizer="optimizer=adam" | FileCheck %s --check-prefix=SCALED

// A 600-512-512-10 MLP. The backward pass makes the gradients in the order
// fc3.weight (20480 bytes), fc3.bias (40), fc2.weight (1 MiB exactly),
// fc2.bias (2048), fc1.weight (1228800, 1.17 MiB), fc1.bias (2048).

mlopt.state @fc1.weight : tensor<512x600xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc1.bias : tensor<512xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.weight : tensor<512x512xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.bias : tensor<512xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc3.weight : tensor<10x512xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc3.bias : tensor<10xf32> parameter trainable init #mlopt.zeros

// The loss function is left alone.
// CHECK-LABEL: func.func @mlp(
// CHECK-NOT:     mlopt.all_reduce
// CHECK:         return

// Default buckets (first 1 MiB, then 25 MiB): fc3.weight, fc3.bias and
// fc2.weight fill the first (1069096 bytes >= 1 MiB), the rest the second.
// Each all-reduce follows the op that makes its bucket's last gradient; the
// loss and the accuracy are averaged in one more, before the return.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<512x600xf32> {mlopt.grad_of = @fc1.weight}, tensor<512xf32> {mlopt.grad_of = @fc1.bias},
// CHECK-SAME:      tensor<512x512xf32> {mlopt.grad_of = @fc2.weight}, tensor<512xf32> {mlopt.grad_of = @fc2.bias}, tensor<10x512xf32> {mlopt.grad_of = @fc3.weight}, tensor<10xf32> {mlopt.grad_of = @fc3.bias})
// CHECK-SAME:      attributes {mlopt.data_parallel_ranks = 2 : i64, mlopt.train_step}
// CHECK:         %[[L:.*]] = mlopt.cross_entropy
// CHECK-NEXT:    %[[A:.*]] = mlopt.accuracy
// CHECK-NOT:     mlopt.all_reduce
// CHECK:         %[[G3W:.*]] = mlopt.matmul {{.*}} -> tensor<10x512xf32>
// CHECK-NEXT:    %[[G3B:.*]] = mlopt.sum {{.*}} -> tensor<10xf32>
// CHECK-NOT:     mlopt.all_reduce
// CHECK:         %[[G2W:.*]] = mlopt.matmul {{.*}} -> tensor<512x512xf32>
// CHECK-NEXT:    %[[B0:.*]]:3 = mlopt.all_reduce mean %[[G3W]], %[[G3B]], %[[G2W]] ranks = 2 : tensor<10x512xf32>, tensor<10xf32>, tensor<512x512xf32>
// CHECK-NEXT:    %[[G2B:.*]] = mlopt.sum {{.*}} -> tensor<512xf32>
// CHECK-NOT:     mlopt.all_reduce
// CHECK:         %[[G1W:.*]] = mlopt.matmul {{.*}} -> tensor<512x600xf32>
// CHECK-NEXT:    %[[G1B:.*]] = mlopt.sum {{.*}} -> tensor<512xf32>
// CHECK-NEXT:    %[[B1:.*]]:3 = mlopt.all_reduce mean %[[G2B]], %[[G1W]], %[[G1B]] ranks = 2 : tensor<512xf32>, tensor<512x600xf32>, tensor<512xf32>
// CHECK-NEXT:    %[[M:.*]]:2 = mlopt.all_reduce mean %[[L]], %[[A]] ranks = 2 : tensor<f32>, tensor<f32>
// CHECK-NEXT:    return %[[M]]#0, %[[M]]#1, %[[B1]]#1, %[[B1]]#2, %[[B0]]#2, %[[B1]]#0, %[[B0]]#0, %[[B0]]#1 :

// bucket-mb=1: the second bucket closes at fc1.weight (1230848 bytes), the
// last holds what is left (fc1.bias, 2048 bytes).
// SMALL-LABEL: func.func @train_step(
// SMALL:         %[[G3W:.*]] = mlopt.matmul {{.*}} -> tensor<10x512xf32>
// SMALL-NEXT:    %[[G3B:.*]] = mlopt.sum {{.*}} -> tensor<10xf32>
// SMALL:         %[[G2W:.*]] = mlopt.matmul {{.*}} -> tensor<512x512xf32>
// SMALL-NEXT:    %[[B0:.*]]:3 = mlopt.all_reduce mean %[[G3W]], %[[G3B]], %[[G2W]] ranks = 2
// SMALL-NEXT:    %[[G2B:.*]] = mlopt.sum {{.*}} -> tensor<512xf32>
// SMALL-NOT:     mlopt.all_reduce
// SMALL:         %[[G1W:.*]] = mlopt.matmul {{.*}} -> tensor<512x600xf32>
// SMALL-NEXT:    %[[B1:.*]]:2 = mlopt.all_reduce mean %[[G2B]], %[[G1W]] ranks = 2 : tensor<512xf32>, tensor<512x600xf32>
// SMALL-NEXT:    %[[G1B:.*]] = mlopt.sum {{.*}} -> tensor<512xf32>
// SMALL-NEXT:    %[[B2:.*]] = mlopt.all_reduce mean %[[G1B]] ranks = 2 : tensor<512xf32>
// SMALL-NEXT:    %[[M:.*]]:2 = mlopt.all_reduce mean
// SMALL-NEXT:    return %[[M]]#0, %[[M]]#1, %[[B1]]#1, %[[B2]], %[[B0]]#2, %[[B1]]#0, %[[B0]]#0, %[[B0]]#1 :

// A first bucket of 20480 bytes closes on fc3.weight alone (>=, not >);
// everything else fits the second 25 MiB bucket.
// FIRST-LABEL: func.func @train_step(
// FIRST:         %[[G3W:.*]] = mlopt.matmul {{.*}} -> tensor<10x512xf32>
// FIRST-NEXT:    %[[B0:.*]] = mlopt.all_reduce mean %[[G3W]] ranks = 2 : tensor<10x512xf32>
// FIRST-NEXT:    %[[G3B:.*]] = mlopt.sum {{.*}} -> tensor<10xf32>
// FIRST-NOT:     mlopt.all_reduce
// FIRST:         %[[G1W:.*]] = mlopt.matmul {{.*}} -> tensor<512x600xf32>
// FIRST-NEXT:    %[[G1B:.*]] = mlopt.sum {{.*}} -> tensor<512xf32>
// FIRST-NEXT:    %[[B1:.*]]:5 = mlopt.all_reduce mean %[[G3B]], %{{.*}}, %{{.*}}, %[[G1W]], %[[G1B]] ranks = 2 : tensor<10xf32>, tensor<512x512xf32>, tensor<512xf32>, tensor<512x600xf32>, tensor<512xf32>
// FIRST-NEXT:    %[[M:.*]]:2 = mlopt.all_reduce mean
// FIRST-NEXT:    return %[[M]]#0, %[[M]]#1, %[[B1]]#3, %[[B1]]#4, %[[B1]]#1, %[[B1]]#2, %[[B0]], %[[B1]]#0 :

// ZeRO-1 on 3 ranks: each gradient flattened and zero-padded to a multiple
// of 3 elements (none needed for fc1.weight's 307200), reduce-scattered in
// the same buckets; the results are this rank's chunks of ceil(n / 3)
// elements, marked mlopt.grad_shard = 3.
// ZERO-LABEL: func.func @train_step(
// ZERO-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"},
// ZERO-SAME:      tensor<102400xf32> {mlopt.grad_of = @fc1.weight, mlopt.grad_shard = 3 : i64}, tensor<171xf32> {mlopt.grad_of = @fc1.bias, mlopt.grad_shard = 3 : i64},
// ZERO-SAME:      tensor<87382xf32> {mlopt.grad_of = @fc2.weight, mlopt.grad_shard = 3 : i64}, tensor<171xf32> {mlopt.grad_of = @fc2.bias, mlopt.grad_shard = 3 : i64},
// ZERO-SAME:      tensor<1707xf32> {mlopt.grad_of = @fc3.weight, mlopt.grad_shard = 3 : i64}, tensor<4xf32> {mlopt.grad_of = @fc3.bias, mlopt.grad_shard = 3 : i64})
// ZERO-SAME:      attributes {mlopt.data_parallel_ranks = 3 : i64, mlopt.train_step}
// ZERO:         %[[G3W:.*]] = mlopt.matmul {{.*}} -> tensor<10x512xf32>
// ZERO-NEXT:    %[[G3B:.*]] = mlopt.sum {{.*}} -> tensor<10xf32>
// ZERO-NOT:     mlopt.reduce_scatter
// ZERO:         %[[G2W:.*]] = mlopt.matmul {{.*}} -> tensor<512x512xf32>
// ZERO-NEXT:    %[[F3W:.*]] = mlopt.reshape %[[G3W]] : tensor<10x512xf32> to tensor<5120xf32>
// ZERO-NEXT:    %[[Z3W:.*]] = mlopt.constant dense<0.000000e+00> : tensor<1xf32>
// ZERO-NEXT:    %[[P3W:.*]] = mlopt.concat %[[F3W]], %[[Z3W]] dim = 0 : (tensor<5120xf32>, tensor<1xf32>) -> tensor<5121xf32>
// ZERO-NEXT:    %[[Z3B:.*]] = mlopt.constant dense<0.000000e+00> : tensor<2xf32>
// ZERO-NEXT:    %[[P3B:.*]] = mlopt.concat %[[G3B]], %[[Z3B]] dim = 0 : (tensor<10xf32>, tensor<2xf32>) -> tensor<12xf32>
// ZERO-NEXT:    %[[F2W:.*]] = mlopt.reshape %[[G2W]] : tensor<512x512xf32> to tensor<262144xf32>
// ZERO-NEXT:    %[[Z2W:.*]] = mlopt.constant dense<0.000000e+00> : tensor<2xf32>
// ZERO-NEXT:    %[[P2W:.*]] = mlopt.concat %[[F2W]], %[[Z2W]] dim = 0 : (tensor<262144xf32>, tensor<2xf32>) -> tensor<262146xf32>
// ZERO-NEXT:    %[[B0:.*]]:3 = mlopt.reduce_scatter mean %[[P3W]], %[[P3B]], %[[P2W]] dim = 0 ranks = 3 : (tensor<5121xf32>, tensor<12xf32>, tensor<262146xf32>) -> (tensor<1707xf32>, tensor<4xf32>, tensor<87382xf32>)
// ZERO-NEXT:    %[[G2B:.*]] = mlopt.sum {{.*}} -> tensor<512xf32>
// ZERO-NOT:     mlopt.reduce_scatter
// ZERO:         %[[G1W:.*]] = mlopt.matmul {{.*}} -> tensor<512x600xf32>
// ZERO-NEXT:    %[[Z2B:.*]] = mlopt.constant dense<0.000000e+00> : tensor<1xf32>
// ZERO-NEXT:    %[[P2B:.*]] = mlopt.concat %[[G2B]], %[[Z2B]] dim = 0 : (tensor<512xf32>, tensor<1xf32>) -> tensor<513xf32>
// ZERO-NEXT:    %[[F1W:.*]] = mlopt.reshape %[[G1W]] : tensor<512x600xf32> to tensor<307200xf32>
// ZERO-NEXT:    %[[B1:.*]]:2 = mlopt.reduce_scatter mean %[[P2B]], %[[F1W]] dim = 0 ranks = 3 : (tensor<513xf32>, tensor<307200xf32>) -> (tensor<171xf32>, tensor<102400xf32>)
// ZERO-NEXT:    %[[G1B:.*]] = mlopt.sum {{.*}} -> tensor<512xf32>
// ZERO-NEXT:    %[[Z1B:.*]] = mlopt.constant dense<0.000000e+00> : tensor<1xf32>
// ZERO-NEXT:    %[[P1B:.*]] = mlopt.concat %[[G1B]], %[[Z1B]] dim = 0 : (tensor<512xf32>, tensor<1xf32>) -> tensor<513xf32>
// ZERO-NEXT:    %[[B2:.*]] = mlopt.reduce_scatter mean %[[P1B]] dim = 0 ranks = 3 : (tensor<513xf32>) -> tensor<171xf32>
// ZERO-NEXT:    %[[M:.*]]:2 = mlopt.all_reduce mean %{{.*}}, %{{.*}} ranks = 3 : tensor<f32>, tensor<f32>
// ZERO-NEXT:    return %[[M]]#0, %[[M]]#1, %[[B1]]#1, %[[B2]], %[[B0]]#2, %[[B1]]#0, %[[B0]]#0, %[[B0]]#1 :

// One rank: the same collectives, which copy.
// ONE-LABEL: func.func @train_step(
// ONE-SAME:      attributes {mlopt.data_parallel_ranks = 1 : i64, mlopt.train_step}
// ONE:         %[[B0:.*]]:3 = mlopt.all_reduce mean %{{.*}}, %{{.*}}, %{{.*}} ranks = 1 : tensor<10x512xf32>, tensor<10xf32>, tensor<512x512xf32>
// ONE:         %[[B1:.*]]:3 = mlopt.all_reduce mean %{{.*}}, %{{.*}}, %{{.*}} ranks = 1 : tensor<512xf32>, tensor<512x600xf32>, tensor<512xf32>
// ONE-NEXT:    %[[M:.*]]:2 = mlopt.all_reduce mean %{{.*}}, %{{.*}} ranks = 1 : tensor<f32>, tensor<f32>
// ONE-NEXT:    return %[[M]]#0, %[[M]]#1, %[[B1]]#1, %[[B1]]#2, %[[B0]]#2, %[[B1]]#0, %[[B0]]#0, %[[B0]]#1 :

// ZeRO-1 on one rank: flattened, no padding, the chunk is the whole.
// ONEZERO-LABEL: func.func @train_step(
// ONEZERO-SAME:      tensor<307200xf32> {mlopt.grad_of = @fc1.weight, mlopt.grad_shard = 1 : i64}
// ONEZERO-SAME:      tensor<10xf32> {mlopt.grad_of = @fc3.bias, mlopt.grad_shard = 1 : i64})
// ONEZERO-SAME:      attributes {mlopt.data_parallel_ranks = 1 : i64, mlopt.train_step}
// ONEZERO-NOT:   mlopt.concat
// ONEZERO:       mlopt.reduce_scatter mean %{{.*}}, %{{.*}}, %{{.*}} dim = 0 ranks = 1 : (tensor<5120xf32>, tensor<10xf32>, tensor<262144xf32>) -> (tensor<5120xf32>, tensor<10xf32>, tensor<262144xf32>)
// ONEZERO-NOT:   mlopt.concat
// ONEZERO:       mlopt.reduce_scatter mean %{{.*}}, %{{.*}}, %{{.*}} dim = 0 ranks = 1 : (tensor<512xf32>, tensor<307200xf32>, tensor<512xf32>) -> (tensor<512xf32>, tensor<307200xf32>, tensor<512xf32>)

// mlopt-optimizer updates each parameter with its averaged gradient.
// OPT-LABEL: func.func @train_step(
// OPT-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f64> {mlopt.metric = "lr"})
// OPT-SAME:      attributes {mlopt.data_parallel_ranks = 2 : i64, mlopt.train_step}
// OPT:         %[[B0:.*]]:3 = mlopt.all_reduce mean {{.*}} ranks = 2 : tensor<10x512xf32>, tensor<10xf32>, tensor<512x512xf32>
// OPT:         %[[B1:.*]]:3 = mlopt.all_reduce mean {{.*}} ranks = 2 : tensor<512xf32>, tensor<512x600xf32>, tensor<512xf32>
// OPT:         %[[M:.*]]:2 = mlopt.all_reduce mean
// OPT:         mlopt.mul %{{.*}}, %[[B1]]#1 : (tensor<f32>, tensor<512x600xf32>) -> tensor<512x600xf32>
// OPT:         mlopt.state_write %{{.*}}, @fc1.weight
// OPT:         mlopt.mul %{{.*}}, %[[B0]]#1 : (tensor<f32>, tensor<10xf32>) -> tensor<10xf32>
// OPT:         mlopt.state_write %{{.*}}, @fc3.bias
// OPT:         return %[[M]]#0, %[[M]]#1,

// Loss scaling after the pass checks the averaged gradients (every rank
// skips the same steps); its own metrics are not averaged again.
// SCALED-LABEL: func.func @train_step(
// SCALED:         %[[B0:.*]]:3 = mlopt.all_reduce mean
// SCALED:         %[[B1:.*]]:3 = mlopt.all_reduce mean
// SCALED-NEXT:    %[[M:.*]]:2 = mlopt.all_reduce mean
// SCALED-NOT:     mlopt.all_reduce
// SCALED:         mlopt.mul %[[B1]]#1, %{{.*}} : (tensor<512x600xf32>, tensor<f32>) -> tensor<512x600xf32>
// SCALED-NOT:     mlopt.all_reduce
// SCALED:         return %[[M]]#0, %[[M]]#1,

func.func @mlp(%x: tensor<4x600xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<512x600xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<512xf32>
  %h1 = mlopt.linear %x, %w1, %b1
      : (tensor<4x600xf32>, tensor<512x600xf32>, tensor<512xf32>) -> tensor<4x512xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<512x512xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<512xf32>
  %h2 = mlopt.linear %h1, %w2, %b2
      : (tensor<4x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<4x512xf32>
  %w3 = mlopt.state_read @fc3.weight : tensor<10x512xf32>
  %b3 = mlopt.state_read @fc3.bias : tensor<10xf32>
  %o = mlopt.linear %h2, %w3, %b3
      : (tensor<4x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<4x10xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x10xf32>, tensor<4xi64>) -> tensor<f32>
  %a = mlopt.accuracy %o, %y : (tensor<4x10xf32>, tensor<4xi64>) -> tensor<f32>
  return %l, %a : tensor<f32>, tensor<f32>
}
