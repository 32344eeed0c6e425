// RUN: mlopt-opt %s -split-input-file --mlopt-autodiff | FileCheck %s

// Linear regression: the gradients of the weight and the bias, in declaration
// order, with the loss function left unchanged.

mlopt.state @fc.weight : tensor<1x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<1xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @loss(
// CHECK-SAME:      attributes {mlopt.loss}
// CHECK-NOT:     mlopt.matmul
// CHECK:         return

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %[[X:.*]]: tensor<4x3xf32> {mlopt.input}, %[[Y:.*]]: tensor<4x1xf32> {mlopt.label})
// CHECK-SAME:      -> (tensor<f32>, tensor<1x3xf32> {mlopt.grad_of = @fc.weight}, tensor<1xf32> {mlopt.grad_of = @fc.bias})
// CHECK-SAME:      attributes {mlopt.train_step}
// CHECK:         %[[W:.*]] = mlopt.state_read @fc.weight
// CHECK:         %[[B:.*]] = mlopt.state_read @fc.bias
// CHECK:         %[[P:.*]] = mlopt.linear %[[X]], %[[W]], %[[B]]
// CHECK:         %[[L:.*]] = mlopt.mse_loss %[[P]], %[[Y]]
// CHECK:         %[[SEED:.*]] = mlopt.constant {mlopt.loss_cotangent} dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[DIFF:.*]] = mlopt.sub %[[P]], %[[Y]] : tensor<4x1xf32>
// CHECK:         %[[TWO_N:.*]] = mlopt.constant dense<5.000000e-01> : tensor<f32>
// CHECK:         %[[F:.*]] = mlopt.mul %[[SEED]], %[[TWO_N]] : tensor<f32>
// CHECK:         %[[DP:.*]] = mlopt.mul %[[DIFF]], %[[F]] : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
// CHECK:         %[[GT:.*]] = mlopt.transpose %[[DP]], [1, 0] : tensor<4x1xf32> -> tensor<1x4xf32>
// CHECK:         %[[DW:.*]] = mlopt.matmul %[[GT]], %[[X]] : (tensor<1x4xf32>, tensor<4x3xf32>) -> tensor<1x3xf32>
// CHECK:         %[[DB:.*]] = mlopt.sum %[[DP]] dims = [0] : tensor<4x1xf32> -> tensor<1xf32>
// CHECK:         return %[[L]], %[[DW]], %[[DB]] : tensor<f32>, tensor<1x3xf32>, tensor<1xf32>
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x1xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<4x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Fan-out: %w feeds both operands of the product, and the state is read a
// second time; every contribution is summed with mlopt.add.

mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<3xf32> {mlopt.grad_of = @w})
// CHECK:         %[[W:.*]] = mlopt.state_read @w
// CHECK:         %[[W2:.*]] = mlopt.state_read @w
// CHECK:         %[[SQ:.*]] = mlopt.mul %[[W]], %[[W]] : tensor<3xf32>
// CHECK:         %[[S:.*]] = mlopt.add %[[SQ]], %[[W2]] : tensor<3xf32>
// CHECK:         %[[L:.*]] = mlopt.sum %[[S]] dims = [0]
// CHECK:         %[[G:.*]] = mlopt.broadcast_to {{.*}} : tensor<1xf32> to tensor<3xf32>
// CHECK:         %[[D1:.*]] = mlopt.mul %[[G]], %[[W]] : tensor<3xf32>
// CHECK:         %[[D2:.*]] = mlopt.mul %[[G]], %[[W]] : tensor<3xf32>
// CHECK:         %[[DW:.*]] = mlopt.add %[[D1]], %[[D2]] : tensor<3xf32>
// CHECK:         %[[TOTAL:.*]] = mlopt.add %[[G]], %[[DW]] : tensor<3xf32>
// CHECK:         return %[[L]], %[[TOTAL]] : tensor<f32>, tensor<3xf32>
func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<3xf32>
  %w2 = mlopt.state_read @w : tensor<3xf32>
  %sq = mlopt.mul %w, %w : tensor<3xf32>
  %s = mlopt.add %sq, %w2 : tensor<3xf32>
  %l = mlopt.sum %s dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Broadcasting: the bias cotangent is summed over the broadcast batch
// dimension and reshaped back to the bias shape; the constant target gets no
// cotangent.

mlopt.state @bias : tensor<3xf32> parameter trainable init #mlopt.zeros

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<3xf32> {mlopt.grad_of = @bias})
// CHECK:         %[[H:.*]] = mlopt.add %{{.*}}, %{{.*}} : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
// CHECK:         %[[DH:.*]] = mlopt.mul {{.*}} : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
// CHECK:         %[[R:.*]] = mlopt.sum %[[DH]] dims = [0] keepdim : tensor<4x3xf32> -> tensor<1x3xf32>
// CHECK:         %[[DB:.*]] = mlopt.reshape %[[R]] : tensor<1x3xf32> to tensor<3xf32>
// CHECK-NOT:     mlopt.neg
// CHECK:         return %{{.*}}, %[[DB]] : tensor<f32>, tensor<3xf32>
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x3xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %b = mlopt.state_read @bias : tensor<3xf32>
  %h = mlopt.add %x, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %l = mlopt.mse_loss %h, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Only trainable state the loss reaches through differentiable ops gets a
// gradient: @frozen is not trainable, @unused is never read, @metric_only
// feeds only a metric, @through_argmax reaches the loss only through
// argmax. Metrics stay between the loss and the gradients.

mlopt.state @frozen : tensor<3xf32> parameter init #mlopt.ones
mlopt.state @unused : tensor<3xf32> parameter trainable init #mlopt.ones
mlopt.state @metric_only : tensor<2x3xf32> parameter trainable init #mlopt.ones
mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones
mlopt.state @through_argmax : tensor<2x3xf32> parameter trainable init #mlopt.ones

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      %{{.*}}: tensor<2x3xf32> {mlopt.input}, %{{.*}}: tensor<2xi64> {mlopt.label}
// CHECK-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<3xf32> {mlopt.grad_of = @w})
// CHECK-NOT:     mlopt.grad_of
// CHECK:         %[[ACC:.*]] = mlopt.accuracy
// CHECK:         return %{{.*}}, %[[ACC]], %{{.*}} : tensor<f32>, tensor<f32>, tensor<3xf32>
func.func @loss(%x: tensor<2x3xf32> {mlopt.input}, %y: tensor<2xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %frozen = mlopt.state_read @frozen : tensor<3xf32>
  %w = mlopt.state_read @w : tensor<3xf32>
  %m = mlopt.state_read @metric_only : tensor<2x3xf32>
  %a = mlopt.state_read @through_argmax : tensor<2x3xf32>
  %scaled = mlopt.mul %x, %frozen : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %h = mlopt.mul %scaled, %w : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %i = mlopt.argmax %a dim = 1 : tensor<2x3xf32> -> tensor<2xi64>
  %onehot = mlopt.one_hot %i : tensor<2xi64> -> tensor<2x3xf32>
  %h2 = mlopt.add %h, %onehot : tensor<2x3xf32>
  %l = mlopt.cross_entropy %h2, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  %acc = mlopt.accuracy %m, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l, %acc : tensor<f32>, tensor<f32>
}

// -----

// Dropout draws its mask from an rng state: the VJP reuses the same seed and
// stream, and train_step advances the seed by one.

mlopt.state @w : tensor<4x8xf32> parameter trainable init #mlopt.ones
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed

// CHECK-LABEL: func.func @train_step(
// CHECK:         %[[SEED:.*]] = mlopt.state_read @rng : tensor<i64>
// CHECK:         mlopt.dropout %{{.*}}, %[[SEED]] p = 2.500000e-01 stream = 3 : tensor<4x8xf32>
// CHECK:         %[[DX:.*]] = mlopt.dropout %{{.*}}, %[[SEED]] p = 2.500000e-01 stream = 3 : tensor<4x8xf32>
// CHECK:         %[[OLD:.*]] = mlopt.state_read @rng : tensor<i64>
// CHECK:         %[[WIDE:.*]] = mlopt.cast %[[OLD]] : tensor<i64> to tensor<f64>
// CHECK:         %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// CHECK:         %[[NEXT:.*]] = mlopt.add %[[WIDE]], %[[ONE]] : tensor<f64>
// CHECK:         %[[NARROW:.*]] = mlopt.cast %[[NEXT]] : tensor<f64> to tensor<i64>
// CHECK:         mlopt.state_write %[[NARROW]], @rng : tensor<i64>
// CHECK:         return %{{.*}}, %[[DX]] : tensor<f32>, tensor<4x8xf32>
func.func @loss(%x: tensor<4x8xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4x8xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %h = mlopt.mul %x, %w : tensor<4x8xf32>
  %d = mlopt.dropout %w, %seed p = 0.25 stream = 3 : tensor<4x8xf32>
  %l = mlopt.sum %d dims = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A loss that no trainable state reaches: @train_step returns only the loss.

mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> tensor<f32> attributes {mlopt.train_step}
// CHECK-NOT:     mlopt.constant
// CHECK:         return
func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %l = mlopt.sum %x dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A classifier: relu's mask, cross-entropy's softmax minus one-hot, and the
// cotangent of the hidden layer flowing into the first linear layer.

mlopt.state @fc1.weight : tensor<5x4xf32> parameter trainable init #mlopt.ones
mlopt.state @fc2.weight : tensor<3x5xf32> parameter trainable init #mlopt.ones

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<5x4xf32> {mlopt.grad_of = @fc1.weight}, tensor<3x5xf32> {mlopt.grad_of = @fc2.weight})
// CHECK:         %[[H:.*]] = mlopt.linear
// CHECK:         %[[A:.*]] = mlopt.relu %[[H]]
// CHECK:         %[[LOGITS:.*]] = mlopt.linear %[[A]]
// CHECK:         %[[P:.*]] = mlopt.softmax %[[LOGITS]] dim = 1 : tensor<2x3xf32>
// CHECK:         %[[OH:.*]] = mlopt.one_hot %{{.*}} : tensor<2xi32> -> tensor<2x3xf32>
// CHECK:         mlopt.sub %[[P]], %[[OH]] : tensor<2x3xf32>
// CHECK:         %[[DA:.*]] = mlopt.matmul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x5xf32>
// CHECK:         %[[POS:.*]] = mlopt.compare gt, %[[H]], %{{.*}} : (tensor<2x5xf32>, tensor<f32>) -> tensor<2x5xi1>
// CHECK:         %[[DH:.*]] = mlopt.select %[[POS]], %[[DA]], %{{.*}} : (tensor<2x5xi1>, tensor<2x5xf32>, tensor<f32>) -> tensor<2x5xf32>
// CHECK:         mlopt.transpose %[[DH]], [1, 0] : tensor<2x5xf32> -> tensor<5x2xf32>
func.func @loss(%x: tensor<2x4xf32> {mlopt.input}, %y: tensor<2xi32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<5x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<3x5xf32>
  %h = mlopt.linear %x, %w1 : (tensor<2x4xf32>, tensor<5x4xf32>) -> tensor<2x5xf32>
  %a = mlopt.relu %h : tensor<2x5xf32>
  %logits = mlopt.linear %a, %w2 : (tensor<2x5xf32>, tensor<3x5xf32>) -> tensor<2x3xf32>
  %l = mlopt.cross_entropy %logits, %y : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
  return %l : tensor<f32>
}
