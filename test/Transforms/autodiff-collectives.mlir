// RUN: mlopt-opt %s -split-input-file --mlopt-autodiff | FileCheck %s

// The VJPs of the collectives: each exchanges the cotangents in the mirrored
// collective (all_gather <-> reduce_scatter, broadcast <-> reduce,
// send <-> recv, all_reduce to itself), with the same ranks.

// all_reduce sum: an all_reduce sum of the cotangents. The bucket's second
// result does not reach the loss: zeros are exchanged in its place, so every
// rank makes the same call, and no gradient flows from it. The integer
// operand takes no part in the backward exchange.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @v : tensor<2xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<4xf32> {mlopt.grad_of = @w})
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         %[[V:.*]] = mlopt.state_read @v
// CHECK:         %{{.*}}:3 = mlopt.all_reduce sum %[[W]], %[[V]], %{{.*}} ranks = 4 : tensor<4xf32>, tensor<2xf32>, tensor<3xi32>
// CHECK:         %[[DY:.*]] = mlopt.broadcast_to
// CHECK:         %[[Z:.*]] = mlopt.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK:         %[[DX:.*]]:2 = mlopt.all_reduce sum %[[DY]], %[[Z]] ranks = 4 : tensor<4xf32>, tensor<2xf32>
// CHECK-NOT:     mlopt.all_reduce
// CHECK:         return %{{.*}}, %[[DX]]#0 : tensor<f32>, tensor<4xf32>
func.func @loss(%c: tensor<3xi32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %v = mlopt.state_read @v : tensor<2xf32>
  %a, %b, %n = mlopt.all_reduce sum %w, %v, %c ranks = 4
      : tensor<4xf32>, tensor<2xf32>, tensor<3xi32>
  %l = mlopt.sum %a dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// all_reduce mean: an all_reduce mean of the cotangents; the data operand
// of the bucket (not varied, so no cotangent) exchanges zeros.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         mlopt.all_reduce mean %[[W]], %{{.*}} ranks = 2 : tensor<4xf32>, tensor<3xf32>
// CHECK:         %[[DY:.*]] = mlopt.broadcast_to
// CHECK:         %[[Z:.*]] = mlopt.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK:         %[[DX:.*]]:2 = mlopt.all_reduce mean %[[DY]], %[[Z]] ranks = 2 : tensor<4xf32>, tensor<3xf32>
// CHECK:         return %{{.*}}, %[[DX]]#0 : tensor<f32>, tensor<4xf32>
func.func @loss(%c: tensor<3xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %a, %b = mlopt.all_reduce mean %w, %c ranks = 2 : tensor<4xf32>, tensor<3xf32>
  %l = mlopt.sum %a dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// all_reduce max: the all-reduced (summed) cotangent, routed to the elements
// equal to the maximum.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         %[[Y:.*]] = mlopt.all_reduce max %[[W]] ranks = 2 : tensor<4xf32>
// CHECK:         %[[DY:.*]] = mlopt.broadcast_to
// CHECK:         %[[S:.*]] = mlopt.all_reduce sum %[[DY]] ranks = 2 : tensor<4xf32>
// CHECK:         %[[ZERO:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK:         %[[EQ:.*]] = mlopt.compare eq, %[[W]], %[[Y]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK:         %[[DX:.*]] = mlopt.select %[[EQ]], %[[S]], %[[ZERO]]
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %a = mlopt.all_reduce max %w ranks = 2 : tensor<4xf32>
  %l = mlopt.sum %a dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// all_reduce min routes the same way.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         %[[Y:.*]] = mlopt.all_reduce min %[[W]] ranks = 2 : tensor<4xf32>
// CHECK:         %[[S:.*]] = mlopt.all_reduce sum %{{.*}} ranks = 2 : tensor<4xf32>
// CHECK:         %[[EQ:.*]] = mlopt.compare eq, %[[W]], %[[Y]]
// CHECK:         %[[DX:.*]] = mlopt.select %[[EQ]], %[[S]], %{{.*}}
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %a = mlopt.all_reduce min %w ranks = 2 : tensor<4xf32>
  %l = mlopt.sum %a dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// all_gather: a reduce_scatter sum of the cotangents along the same dim.

mlopt.state @w : tensor<3x4xf32> parameter trainable init #mlopt.zeros
mlopt.state @b : tensor<2xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         %[[B:.*]] = mlopt.state_read @b
// CHECK:         mlopt.all_gather %[[W]], %[[B]] dim = 0 ranks = 2 : (tensor<3x4xf32>, tensor<2xf32>) -> (tensor<6x4xf32>, tensor<4xf32>)
// CHECK:         %[[DX:.*]]:2 = mlopt.reduce_scatter sum %{{.*}}, %{{.*}} dim = 0 ranks = 2 : (tensor<6x4xf32>, tensor<4xf32>) -> (tensor<3x4xf32>, tensor<2xf32>)
// CHECK:         return %{{.*}}, %[[DX]]#0, %[[DX]]#1 : tensor<f32>, tensor<3x4xf32>, tensor<2xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<3x4xf32>
  %b = mlopt.state_read @b : tensor<2xf32>
  %g:2 = mlopt.all_gather %w, %b dim = 0 ranks = 2
      : (tensor<3x4xf32>, tensor<2xf32>) -> (tensor<6x4xf32>, tensor<4xf32>)
  %s = mlopt.sum %g#0 dims = [0, 1] : tensor<6x4xf32> -> tensor<f32>
  %t = mlopt.sum %g#1 dims = [0] : tensor<4xf32> -> tensor<f32>
  %l = mlopt.add %s, %t : tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_scatter sum: an all_gather of the cotangent along the same dim.

mlopt.state @w : tensor<4x6xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         mlopt.reduce_scatter sum %[[W]] dim = 1 ranks = 3 : (tensor<4x6xf32>) -> tensor<4x2xf32>
// CHECK:         %[[DX:.*]] = mlopt.all_gather %{{.*}} dim = 1 ranks = 3 : (tensor<4x2xf32>) -> tensor<4x6xf32>
// CHECK-NOT:     mlopt.div
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4x6xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4x6xf32>
  %r = mlopt.reduce_scatter sum %w dim = 1 ranks = 3 : (tensor<4x6xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %r dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce_scatter mean: the all_gather divided by the ranks.

mlopt.state @w : tensor<6xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         mlopt.reduce_scatter mean %{{.*}} dim = 0 ranks = 3 : (tensor<6xf32>) -> tensor<2xf32>
// CHECK:         %[[G:.*]] = mlopt.all_gather %{{.*}} dim = 0 ranks = 3 : (tensor<2xf32>) -> tensor<6xf32>
// CHECK:         %[[R:.*]] = mlopt.constant dense<3.000000e+00> : tensor<f32>
// CHECK:         %[[DX:.*]] = mlopt.div %[[G]], %[[R]] : (tensor<6xf32>, tensor<f32>) -> tensor<6xf32>
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<6xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<6xf32>
  %r = mlopt.reduce_scatter mean %w dim = 0 ranks = 3 : (tensor<6xf32>) -> tensor<2xf32>
  %l = mlopt.sum %r dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// broadcast: a reduce sum of the cotangent to the root.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         mlopt.broadcast %[[W]] root = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[DY:.*]] = mlopt.broadcast_to
// CHECK:         %[[DX:.*]] = mlopt.reduce sum %[[DY]] root = 1 ranks = 2 : tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %b = mlopt.broadcast %w root = 1 ranks = 2 : tensor<4xf32>
  %l = mlopt.sum %b dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce sum: a broadcast of the cotangent from the root.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         mlopt.reduce sum %{{.*}} root = 2 ranks = 4 : tensor<4xf32>
// CHECK:         %[[DY:.*]] = mlopt.broadcast_to
// CHECK:         %[[DX:.*]] = mlopt.broadcast %[[DY]] root = 2 ranks = 4 : tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %s = mlopt.reduce sum %w root = 2 ranks = 4 : tensor<4xf32>
  %l = mlopt.sum %s dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce mean: the broadcast divided by the ranks.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         mlopt.reduce mean %{{.*}} root = 0 ranks = 4 : tensor<4xf32>
// CHECK:         %[[B:.*]] = mlopt.broadcast %{{.*}} root = 0 ranks = 4 : tensor<4xf32>
// CHECK:         %[[R:.*]] = mlopt.constant dense<4.000000e+00> : tensor<f32>
// CHECK:         %[[DX:.*]] = mlopt.div %[[B]], %[[R]]
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %s = mlopt.reduce mean %w root = 0 ranks = 4 : tensor<4xf32>
  %l = mlopt.sum %s dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// reduce max: the broadcast cotangent routed to the elements equal to the
// root's result, which is broadcast too (the other ranks hold zeros).

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         %[[Y:.*]] = mlopt.reduce max %[[W]] root = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[DY:.*]] = mlopt.broadcast_to
// CHECK:         %[[G:.*]] = mlopt.broadcast %[[DY]] root = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[YB:.*]] = mlopt.broadcast %[[Y]] root = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[EQ:.*]] = mlopt.compare eq, %[[W]], %[[YB]]
// CHECK:         %[[DX:.*]] = mlopt.select %[[EQ]], %[[G]], %{{.*}}
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %s = mlopt.reduce max %w root = 1 ranks = 2 : tensor<4xf32>
  %l = mlopt.sum %s dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// send and recv, as two pipeline stages in one program: the send of a
// varied value counts toward the loss (the peer's loss depends on it), the
// recv's result is varied (the peer's parameters made it). Backward, the
// recv's cotangent is sent back to its source, and the send's operand
// receives its cotangent from its dest, in mirrored order.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<4xf32> {mlopt.grad_of = @w})
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         %[[H:.*]] = mlopt.tanh %[[W]]
// CHECK:         mlopt.send %[[H]] dest = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[R:.*]] = mlopt.recv source = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[L:.*]] = mlopt.sum %[[R]]
// CHECK:         %[[DR:.*]] = mlopt.broadcast_to
// CHECK:         mlopt.send %[[DR]] dest = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[DH:.*]] = mlopt.recv source = 1 ranks = 2 : tensor<4xf32>
// CHECK:         %[[DX:.*]] = mlopt.mul %[[DH]], %{{.*}}
// CHECK:         return %[[L]], %[[DX]] : tensor<f32>, tensor<4xf32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %h = mlopt.tanh %w : tensor<4xf32>
  mlopt.send %h dest = 1 ranks = 2 : tensor<4xf32>
  %r = mlopt.recv source = 1 ranks = 2 : tensor<4xf32>
  %l = mlopt.sum %r dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A recv alone (the last pipeline stage): it has no trainable state of its
// own upstream, yet its result is varied, so its cotangent goes back.

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> tensor<f32>
// CHECK:         %[[R:.*]] = mlopt.recv source = 0 ranks = 2 : tensor<2xf32>
// CHECK:         %[[L:.*]] = mlopt.sum %[[R]]
// CHECK:         mlopt.send %{{.*}} dest = 0 ranks = 2 : tensor<2xf32>
// CHECK:         return %[[L]] : tensor<f32>
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %r = mlopt.recv source = 0 ranks = 2 : tensor<2xf32>
  %l = mlopt.sum %r dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A send of a value that no trainable state reaches has no gradient to
// receive: nothing is exchanged backward.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK:         mlopt.send %{{.*}} dest = 1 ranks = 2 : tensor<4xf32>
// CHECK-NOT:     mlopt.recv
// CHECK:         return
func.func @loss(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  mlopt.send %x dest = 1 ranks = 2 : tensor<4xf32>
  %w = mlopt.state_read @w : tensor<4xf32>
  %l = mlopt.sum %w dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A first pipeline stage: its loss does not depend on trainable state, but
// the value it sends does, so its cotangent is received back and becomes
// the gradient.

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<4xf32> {mlopt.grad_of = @w})
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         mlopt.send %[[W]] dest = 1 ranks = 2 : tensor<4xf32>
// CHECK-NOT:     mlopt.loss_cotangent
// CHECK:         %[[DW:.*]] = mlopt.recv source = 1 ranks = 2 : tensor<4xf32>
// CHECK:         return %{{.*}}, %[[DW]] : tensor<f32>, tensor<4xf32>
func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  mlopt.send %w dest = 1 ranks = 2 : tensor<4xf32>
  %l = mlopt.sum %x dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
