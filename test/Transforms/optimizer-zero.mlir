// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 momentum=0.9" | FileCheck %s --check-prefix=SGD
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=adam lr=0.001" | FileCheck %s --check-prefix=ADAM
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 max-grad-norm=1" | FileCheck %s --check-prefix=CLIP

// ZeRO stage 1: @train_step as mlopt-data-parallel{ranks=2 zero=1} and
// mlopt-loss-scaling leave it. Each gradient is this rank's chunk of the
// flattened gradient zero-padded to a multiple of 2 elements: fc.weight
// (6 elements) in chunks of 3, fc.bias (3 elements, one of padding) in
// chunks of 2. The weight is pruned (mlopt.masked_by); the verdict of the
// loss scaler's finite check decides whether the update applies.

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask init #mlopt.ones
mlopt.state @fc.bias : tensor<3xf32> parameter trainable init #mlopt.zeros

func.func @train_step(%x: tensor<4x3xf32> {mlopt.input})
    -> (tensor<f32>,
        tensor<3xf32> {mlopt.grad_of = @fc.weight, mlopt.grad_shard = 2 : i64},
        tensor<2xf32> {mlopt.grad_of = @fc.bias, mlopt.grad_shard = 2 : i64},
        tensor<i1> {mlopt.grads_finite})
    attributes {mlopt.data_parallel_ranks = 2 : i64, mlopt.train_step} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<3xf32>
  %loss = mlopt.sum %b dims = [0] : tensor<3xf32> -> tensor<f32>
  %fw = mlopt.reshape %w : tensor<2x3xf32> to tensor<6xf32>
  %zb = mlopt.constant dense<0.000000e+00> : tensor<1xf32>
  %pb = mlopt.concat %b, %zb dim = 0 : (tensor<3xf32>, tensor<1xf32>) -> tensor<4xf32>
  %g:2 = mlopt.reduce_scatter mean %fw, %pb dim = 0 ranks = 2 : (tensor<6xf32>, tensor<4xf32>) -> (tensor<3xf32>, tensor<2xf32>)
  %l = mlopt.all_reduce mean %loss ranks = 2 : tensor<f32>
  %zero = mlopt.constant dense<0.000000e+00> : tensor<f32>
  %finite = mlopt.compare eq, %l, %zero : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %l, %g#0, %g#1, %finite : tensor<f32>, tensor<3xf32>, tensor<2xf32>, tensor<i1>
}

// The optimizer states hold this rank's chunk: the shard's type, marked
// with the parameter and the number of ranks.
// SGD:      mlopt.state @fc.bias : tensor<3xf32>
// SGD-NEXT: mlopt.state @optimizer.fc.weight.momentum_buffer : tensor<3xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.weight, mlopt.shard_ranks = 2 : i64}
// SGD-NEXT: mlopt.state @optimizer.fc.bias.momentum_buffer : tensor<2xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.bias, mlopt.shard_ranks = 2 : i64}
// SGD-NEXT: mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros

// The parameter's shard: the flattened parameter (zero-padded where its
// size does not divide by the ranks), this rank's chunk of it. The update
// and the verdict's select work on the shard; the new shards of every
// parameter are gathered in one exchange, cut to the parameter's size,
// reshaped, masked, and kept as they were on a skipped step.
// SGD-LABEL: func.func @train_step(
// SGD-SAME:      -> (tensor<f32>, tensor<f64> {mlopt.metric = "lr"})
// SGD-SAME:      attributes {mlopt.data_parallel_ranks = 2 : i64, mlopt.train_step}
// SGD:         %[[G:.*]]:2 = mlopt.reduce_scatter mean
// SGD:         %[[FINITE:.*]] = mlopt.compare eq
// SGD:         %[[W:.*]] = mlopt.state_read @fc.weight : tensor<2x3xf32>
// SGD-NEXT:    %[[FW:.*]] = mlopt.reshape %[[W]] : tensor<2x3xf32> to tensor<6xf32>
// SGD-NEXT:    %[[SW:.*]] = mlopt.local_shard %[[FW]] dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
// SGD-NEXT:    %[[BUFW0:.*]] = mlopt.state_read @optimizer.fc.weight.momentum_buffer : tensor<3xf32>
// SGD:         %[[BUFW:.*]] = mlopt.select %{{.*}}, %[[G]]#0, %{{.*}} : (tensor<i1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// SGD:         %[[NEWW:.*]] = mlopt.sub %[[SW]], %{{.*}} : tensor<3xf32>
// SGD-NEXT:    %[[KEEPW:.*]] = mlopt.select %[[FINITE]], %[[BUFW]], %[[BUFW0]] : (tensor<i1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// SGD-NEXT:    mlopt.state_write %[[KEEPW]], @optimizer.fc.weight.momentum_buffer : tensor<3xf32>
// SGD-NEXT:    %[[B:.*]] = mlopt.state_read @fc.bias : tensor<3xf32>
// SGD-NEXT:    %[[Z:.*]] = mlopt.constant dense<0.000000e+00> : tensor<1xf32>
// SGD-NEXT:    %[[PB:.*]] = mlopt.concat %[[B]], %[[Z]] dim = 0 : (tensor<3xf32>, tensor<1xf32>) -> tensor<4xf32>
// SGD-NEXT:    %[[SB:.*]] = mlopt.local_shard %[[PB]] dim = 0 ranks = 2 : (tensor<4xf32>) -> tensor<2xf32>
// SGD-NEXT:    mlopt.state_read @optimizer.fc.bias.momentum_buffer : tensor<2xf32>
// SGD:         %[[NEWB:.*]] = mlopt.sub %[[SB]], %{{.*}} : tensor<2xf32>
// SGD-NEXT:    mlopt.select %[[FINITE]]
// SGD-NEXT:    mlopt.state_write %{{.*}}, @optimizer.fc.bias.momentum_buffer : tensor<2xf32>
// SGD-NEXT:    %[[ALL:.*]]:2 = mlopt.all_gather %[[NEWW]], %[[NEWB]] dim = 0 ranks = 2 : (tensor<3xf32>, tensor<2xf32>) -> (tensor<6xf32>, tensor<4xf32>)
// SGD-NEXT:    %[[FULLW:.*]] = mlopt.reshape %[[ALL]]#0 : tensor<6xf32> to tensor<2x3xf32>
// SGD-NEXT:    %[[MASK:.*]] = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
// SGD-NEXT:    %[[MASKED:.*]] = mlopt.apply_mask %[[FULLW]], %[[MASK]] : tensor<2x3xf32>
// SGD-NEXT:    %[[OUTW:.*]] = mlopt.select %[[FINITE]], %[[MASKED]], %[[W]] : (tensor<i1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// SGD-NEXT:    mlopt.state_write %[[OUTW]], @fc.weight : tensor<2x3xf32>
// SGD-NEXT:    %[[FULLB:.*]] = mlopt.slice %[[ALL]]#1 start [0] limit [3] step [1] : tensor<4xf32> -> tensor<3xf32>
// SGD-NEXT:    %[[OUTB:.*]] = mlopt.select %[[FINITE]], %[[FULLB]], %[[B]] : (tensor<i1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// SGD-NEXT:    mlopt.state_write %[[OUTB]], @fc.bias : tensor<3xf32>
// SGD-NOT:     mlopt.all_gather
// SGD-NOT:     mlopt.all_reduce sum
// SGD:         mlopt.state_write %{{.*}}, @optimizer.step
// SGD:         return

// Adam: both moments are shards.
// ADAM:      mlopt.state @optimizer.fc.weight.exp_avg : tensor<3xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.weight, mlopt.shard_ranks = 2 : i64}
// ADAM-NEXT: mlopt.state @optimizer.fc.weight.exp_avg_sq : tensor<3xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.weight, mlopt.shard_ranks = 2 : i64}
// ADAM-NEXT: mlopt.state @optimizer.fc.bias.exp_avg : tensor<2xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.bias, mlopt.shard_ranks = 2 : i64}
// ADAM-NEXT: mlopt.state @optimizer.fc.bias.exp_avg_sq : tensor<2xf32> optimizer_state init #mlopt.zeros {mlopt.shard_of = @fc.bias, mlopt.shard_ranks = 2 : i64}
// ADAM-LABEL: func.func @train_step(
// ADAM:         %[[G:.*]]:2 = mlopt.reduce_scatter mean
// ADAM:         %[[SW:.*]] = mlopt.local_shard %{{.*}} dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
// ADAM-NEXT:    %[[MW:.*]] = mlopt.state_read @optimizer.fc.weight.exp_avg : tensor<3xf32>
// ADAM-NEXT:    %[[VW:.*]] = mlopt.state_read @optimizer.fc.weight.exp_avg_sq : tensor<3xf32>
// ADAM:         mlopt.mul %{{.*}}, %[[G]]#0 : (tensor<f32>, tensor<3xf32>) -> tensor<3xf32>
// ADAM:         %[[NEWW:.*]] = mlopt.sub %[[SW]], %{{.*}} : tensor<3xf32>
// ADAM:         mlopt.state_write %{{.*}}, @optimizer.fc.weight.exp_avg : tensor<3xf32>
// ADAM:         mlopt.state_write %{{.*}}, @optimizer.fc.weight.exp_avg_sq : tensor<3xf32>
// ADAM:         %[[SB:.*]] = mlopt.local_shard %{{.*}} dim = 0 ranks = 2 : (tensor<4xf32>) -> tensor<2xf32>
// ADAM:         %[[NEWB:.*]] = mlopt.sub %[[SB]], %{{.*}} : tensor<2xf32>
// ADAM:         mlopt.state_write %{{.*}}, @optimizer.fc.bias.exp_avg : tensor<2xf32>
// ADAM:         mlopt.state_write %{{.*}}, @optimizer.fc.bias.exp_avg_sq : tensor<2xf32>
// ADAM-NEXT:    %[[ALL:.*]]:2 = mlopt.all_gather %[[NEWW]], %[[NEWB]] dim = 0 ranks = 2 : (tensor<3xf32>, tensor<2xf32>) -> (tensor<6xf32>, tensor<4xf32>)
// ADAM-NEXT:    mlopt.reshape %[[ALL]]#0 : tensor<6xf32> to tensor<2x3xf32>
// ADAM:         mlopt.state_write %{{.*}}, @fc.weight : tensor<2x3xf32>
// ADAM-NEXT:    mlopt.slice %[[ALL]]#1 start [0] limit [3] step [1] : tensor<4xf32> -> tensor<3xf32>
// ADAM:         mlopt.state_write %{{.*}}, @fc.bias : tensor<3xf32>

// Clipping: each rank's sum of squares over its chunks (the padding adds
// nothing), summed over the ranks: every rank scales by the norm of the
// whole gradients.
// CLIP-LABEL: func.func @train_step(
// CLIP:         %[[G:.*]]:2 = mlopt.reduce_scatter mean
// CLIP:         %[[SQW:.*]] = mlopt.mul %[[G]]#0, %[[G]]#0 : tensor<3xf32>
// CLIP-NEXT:    %[[SUMW:.*]] = mlopt.sum %[[SQW]] dims = [0] : tensor<3xf32> -> tensor<f32>
// CLIP-NEXT:    %[[SQB:.*]] = mlopt.mul %[[G]]#1, %[[G]]#1 : tensor<2xf32>
// CLIP-NEXT:    %[[SUMB:.*]] = mlopt.sum %[[SQB]] dims = [0] : tensor<2xf32> -> tensor<f32>
// CLIP-NEXT:    %[[LOCAL:.*]] = mlopt.add %[[SUMW]], %[[SUMB]] : tensor<f32>
// CLIP-NEXT:    %[[TOTAL:.*]] = mlopt.all_reduce sum %[[LOCAL]] ranks = 2 : tensor<f32>
// CLIP-NEXT:    %[[NORM:.*]] = mlopt.sqrt %[[TOTAL]] : tensor<f32>
// CLIP:         %[[COEF:.*]] = mlopt.minimum
// CLIP-NEXT:    %[[CW:.*]] = mlopt.mul %[[G]]#0, %[[COEF]] : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
// CLIP-NEXT:    %[[CB:.*]] = mlopt.mul %[[G]]#1, %[[COEF]] : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
// CLIP:         %[[SW:.*]] = mlopt.local_shard %{{.*}} dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
// CLIP:         mlopt.mul %{{.*}}, %[[CW]] : (tensor<f32>, tensor<3xf32>) -> tensor<3xf32>
// CLIP:         mlopt.all_gather
// CLIP-NOT:     mlopt.all_reduce sum
// CLIP:         return
