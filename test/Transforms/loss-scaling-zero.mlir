// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel="ranks=2 zero=1" --mlopt-loss-scaling | FileCheck %s
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel="ranks=2 zero=0" --mlopt-loss-scaling | FileCheck %s --check-prefix=DDP
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-loss-scaling | FileCheck %s --check-prefix=DDP
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-data-parallel="ranks=2 zero=1" --mlopt-loss-scaling --mlopt-optimizer="optimizer=sgd lr=0.1 momentum=0.9" | FileCheck %s --check-prefix=OPT

// Loss scaling after mlopt-data-parallel{zero=1}: each rank holds one chunk
// of every gradient, so its finite check covers only its chunks. The
// verdict is summed over the ranks (NaN everywhere once one rank's chunk
// is not finite) and every rank skips the same steps.

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x2xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %p = mlopt.linear %x, %w, %b : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// The sharded gradients (their type is the chunk's, not the state's) are
// unscaled and checked as whole ones are.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<3xf32> {mlopt.grad_of = @fc.weight, mlopt.grad_shard = 2 : i64}, tensor<1xf32> {mlopt.grad_of = @fc.bias, mlopt.grad_shard = 2 : i64},
// CHECK-SAME:      tensor<i1> {mlopt.grads_finite}, tensor<f64> {mlopt.metric = "loss_scale"}, tensor<f64> {mlopt.metric = "skipped"},
// CHECK-SAME:      attributes {mlopt.checked_grads = [@fc.weight, @fc.bias], mlopt.data_parallel_ranks = 2 : i64, mlopt.train_step}
// CHECK:         %[[G:.*]]:2 = mlopt.reduce_scatter mean
// CHECK:         %[[ZERO:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK:         %[[UW:.*]] = mlopt.mul %[[G]]#0, %{{.*}} : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
// CHECK:         %[[SW:.*]] = mlopt.sum %{{.*}} dims = [0] : tensor<3xf32> -> tensor<f32>
// CHECK:         %[[UB:.*]] = mlopt.mul %[[G]]#1, %{{.*}} : (tensor<1xf32>, tensor<f32>) -> tensor<1xf32>
// CHECK:         %[[SB:.*]] = mlopt.sum %{{.*}} dims = [0] : tensor<1xf32> -> tensor<f32>
// CHECK-NEXT:    %[[LOCAL:.*]] = mlopt.add %[[SW]], %[[SB]] : tensor<f32>
// CHECK-NEXT:    %[[AGREED:.*]] = mlopt.all_reduce sum %[[LOCAL]] ranks = 2 : tensor<f32>
// CHECK-NEXT:    %[[FINITE:.*]] = mlopt.compare eq, %[[AGREED]], %[[ZERO]] : (tensor<f32>, tensor<f32>) -> tensor<i1>
// The index of the first non-finite gradient stays this rank's.
// CHECK:         mlopt.compare ne, %[[SB]], %[[ZERO]]
// CHECK:         mlopt.compare ne, %[[SW]], %[[ZERO]]
// CHECK-NOT:     mlopt.all_reduce sum
// CHECK:         return %{{.*}}, %[[UW]], %[[UB]], %[[FINITE]],

// Whole gradients, all-reduced or not: every rank checks the same values,
// the local verdict is the global one.
// DDP-LABEL: func.func @train_step(
// DDP:         %[[LOCAL:.*]] = mlopt.add %{{.*}}, %{{.*}} : tensor<f32>
// DDP-NEXT:    %{{.*}} = mlopt.compare eq, %[[LOCAL]], %{{.*}} : (tensor<f32>, tensor<f32>) -> tensor<i1>
// DDP-NOT:     mlopt.all_reduce sum
// DDP:         return

// mlopt-optimizer takes the unscaled shards and the agreed verdict.
// OPT:         mlopt.state @optimizer.fc.weight.momentum_buffer : tensor<3xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.weight, mlopt.shard_ranks = 2 : i64}
// OPT-NEXT:    mlopt.state @optimizer.fc.bias.momentum_buffer : tensor<1xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.bias, mlopt.shard_ranks = 2 : i64}
// OPT-LABEL: func.func @train_step(
// OPT:         %[[AGREED:.*]] = mlopt.all_reduce sum
// OPT-NEXT:    %[[FINITE:.*]] = mlopt.compare eq, %[[AGREED]]
// OPT:         %[[ALL:.*]]:2 = mlopt.all_gather %{{.*}}, %{{.*}} dim = 0 ranks = 2 : (tensor<3xf32>, tensor<1xf32>) -> (tensor<6xf32>, tensor<2xf32>)
// OPT-NEXT:    %[[W:.*]] = mlopt.reshape %[[ALL]]#0 : tensor<6xf32> to tensor<2x3xf32>
// OPT-NEXT:    %[[KEEPW:.*]] = mlopt.select %[[FINITE]], %[[W]], %{{.*}} : (tensor<i1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// OPT-NEXT:    mlopt.state_write %[[KEEPW]], @fc.weight : tensor<2x3xf32>
// OPT-NEXT:    %[[KEEPB:.*]] = mlopt.select %[[FINITE]], %[[ALL]]#1, %{{.*}} : (tensor<i1>, tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
// OPT-NEXT:    mlopt.state_write %[[KEEPB]], @fc.bias : tensor<2xf32>
