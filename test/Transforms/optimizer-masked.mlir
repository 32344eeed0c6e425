// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 momentum=0.9 weight-decay=0.01" | FileCheck %s --check-prefix=SGD
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=adamw lr=0.001" | FileCheck %s --check-prefix=ADAMW

// A state with `mlopt.masked_by` (mlopt-prune) is written as apply_mask of
// its updated value and the mask, read after the update: momentum and
// weight decay cannot revive a pruned weight. The optimizer states and the
// unmasked bias are written as computed.

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask init #mlopt.ones
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @train_step(%x: tensor<4x3xf32> {mlopt.input})
    -> (tensor<f32>, tensor<2x3xf32> {mlopt.grad_of = @fc.weight},
        tensor<2xf32> {mlopt.grad_of = @fc.bias})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %loss = mlopt.sum %b dims = [0] : tensor<2xf32> -> tensor<f32>
  return %loss, %w, %b : tensor<f32>, tensor<2x3xf32>, tensor<2xf32>
}

// SGD-LABEL: func.func @train_step
// SGD:         mlopt.state_read @optimizer.step
// SGD:         %[[W:.*]] = mlopt.state_read @fc.weight : tensor<2x3xf32>
// SGD-NEXT:    mlopt.state_read @optimizer.fc.weight.momentum_buffer
// SGD:         %[[BUF:.*]] = mlopt.select %{{.*}} -> tensor<2x3xf32>
// SGD:         %[[NEW:.*]] = mlopt.sub %[[W]], %{{.*}} : tensor<2x3xf32>
// SGD-NEXT:    %[[MASK:.*]] = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
// SGD-NEXT:    %[[MASKED:.*]] = mlopt.apply_mask %[[NEW]], %[[MASK]] : tensor<2x3xf32>
// SGD-NEXT:    mlopt.state_write %[[MASKED]], @fc.weight : tensor<2x3xf32>
// SGD-NEXT:    mlopt.state_write %[[BUF]], @optimizer.fc.weight.momentum_buffer : tensor<2x3xf32>
// SGD:         %[[NEWB:.*]] = mlopt.sub %{{.*}}, %{{.*}} : tensor<2xf32>
// SGD-NEXT:    mlopt.state_write %[[NEWB]], @fc.bias : tensor<2xf32>
// SGD-NOT:     apply_mask
// SGD:         return

// ADAMW-LABEL: func.func @train_step
// ADAMW:         %[[NEW:.*]] = mlopt.sub %{{.*}}, %{{.*}} : tensor<2x3xf32>
// ADAMW-NEXT:    %[[MASK:.*]] = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
// ADAMW-NEXT:    %[[MASKED:.*]] = mlopt.apply_mask %[[NEW]], %[[MASK]] : tensor<2x3xf32>
// ADAMW-NEXT:    mlopt.state_write %[[MASKED]], @fc.weight : tensor<2x3xf32>
// ADAMW-NEXT:    mlopt.state_write %{{.*}}, @optimizer.fc.weight.exp_avg : tensor<2x3xf32>
// ADAMW-NEXT:    mlopt.state_write %{{.*}}, @optimizer.fc.weight.exp_avg_sq : tensor<2x3xf32>
// ADAMW-NOT:     apply_mask
// ADAMW:         return
