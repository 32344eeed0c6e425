// RUN: mlopt-opt %s -split-input-file --mlopt-set-batch-size=size=64 | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-set-batch-size=size=8 | FileCheck %s --check-prefix=SAME
// RUN: mlopt-opt %mlopt_src_root/examples/mlp.mlir --mlopt-set-batch-size=size=256 | FileCheck %s --check-prefix=EXMLP
// RUN: mlopt-opt %mlopt_src_root/examples/transformer_block.mlir --mlopt-set-batch-size=size=3 | FileCheck %s --check-prefix=EXBLOCK
// The resized model still trains: the whole pipeline runs on it.
// RUN: mlopt-opt %mlopt_src_root/examples/transformer_block.mlir --mlopt-set-batch-size=size=3 --mlopt-train-pipeline | FileCheck %s --check-prefix=TRAIN

// An MLP: the reshape, the bias broadcast and the splat constant scale with
// the batch; the weights, the loss and the metric keep their types.
// CHECK-LABEL: func.func @loss
// CHECK-SAME: %[[X:.*]]: tensor<64x1x4x4xf32> {mlopt.input}
// CHECK-SAME: %[[Y:.*]]: tensor<64xi64> {mlopt.label}
// CHECK-SAME: -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
// CHECK: %[[W:.*]] = mlopt.state_read @fc.weight : tensor<10x16xf32>
// CHECK: %[[B:.*]] = mlopt.state_read @fc.bias : tensor<10xf32>
// CHECK: %[[F:.*]] = mlopt.reshape %[[X]] : tensor<64x1x4x4xf32> to tensor<64x16xf32>
// CHECK: %[[H:.*]] = mlopt.linear %[[F]], %[[W]] : (tensor<64x16xf32>, tensor<10x16xf32>) -> tensor<64x10xf32>
// CHECK: %[[BB:.*]] = mlopt.broadcast_to %[[B]] : tensor<10xf32> to tensor<64x10xf32>
// CHECK: %[[HB:.*]] = mlopt.add %[[H]], %[[BB]] : tensor<64x10xf32>
// CHECK: %[[HALF:.*]] = mlopt.constant dense<5.000000e-01> : tensor<64x10xf32>
// CHECK: %[[S:.*]] = mlopt.mul %[[HB]], %[[HALF]] : tensor<64x10xf32>
// CHECK: %[[R:.*]] = mlopt.relu %[[S]] : tensor<64x10xf32>
// CHECK: %[[LOSS:.*]] = mlopt.cross_entropy %[[R]], %[[Y]] : (tensor<64x10xf32>, tensor<64xi64>) -> tensor<f32>
// CHECK: %[[ACC:.*]] = mlopt.accuracy %[[R]], %[[Y]] : (tensor<64x10xf32>, tensor<64xi64>) -> tensor<f32>
// CHECK: return %[[LOSS]], %[[ACC]] : tensor<f32>, tensor<f32>

// Batch 8 is the model's: nothing changes.
// SAME-LABEL: func.func @loss
// SAME-SAME: tensor<8x1x4x4xf32> {mlopt.input}
// SAME: mlopt.constant dense<5.000000e-01> : tensor<8x10xf32>
mlopt.state @fc.weight : tensor<10x16xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<10xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<8x1x4x4xf32> {mlopt.input},
                %y: tensor<8xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<10x16xf32>
  %b = mlopt.state_read @fc.bias : tensor<10xf32>
  %f = mlopt.reshape %x : tensor<8x1x4x4xf32> to tensor<8x16xf32>
  %h = mlopt.linear %f, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
  %bb = mlopt.broadcast_to %b : tensor<10xf32> to tensor<8x10xf32>
  %hb = mlopt.add %h, %bb : tensor<8x10xf32>
  %half = mlopt.constant dense<0.5> : tensor<8x10xf32>
  %s = mlopt.mul %hb, %half : tensor<8x10xf32>
  %r = mlopt.relu %s : tensor<8x10xf32>
  %loss = mlopt.cross_entropy %r, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  %acc = mlopt.accuracy %r, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return %loss, %acc : tensor<f32>, tensor<f32>
}

// -----

// Attention-like: heads split by reshape and transpose, batch_matmul,
// softmax, layer_norm, a flatten of batch and sequence into rows and back,
// the labels one-hot encoded and cast, an MSE loss.
// CHECK-LABEL: func.func @loss
// CHECK-SAME: %[[X:.*]]: tensor<64x6x8xf32> {mlopt.input}
// CHECK-SAME: %[[T:.*]]: tensor<64x6xi64> {mlopt.label}
// CHECK-SAME: -> tensor<f32>
// CHECK: mlopt.layer_norm %[[X]] {{.*}}-> tensor<64x6x8xf32>
// CHECK: mlopt.reshape %{{.*}} : tensor<64x6x8xf32> to tensor<64x6x2x4xf32>
// CHECK: mlopt.transpose %{{.*}}, [0, 2, 1, 3] : tensor<64x6x2x4xf32> -> tensor<64x2x6x4xf32>
// CHECK: mlopt.transpose %{{.*}}, [0, 1, 3, 2] : tensor<64x2x6x4xf32> -> tensor<64x2x4x6xf32>
// CHECK: mlopt.batch_matmul {{.*}} -> tensor<64x2x6x6xf32>
// CHECK: mlopt.softmax %{{.*}} dim = -1 : tensor<64x2x6x6xf32>
// CHECK: mlopt.batch_matmul {{.*}} -> tensor<64x2x6x4xf32>
// CHECK: mlopt.transpose %{{.*}}, [0, 2, 1, 3] : tensor<64x2x6x4xf32> -> tensor<64x6x2x4xf32>
// CHECK: mlopt.reshape %{{.*}} : tensor<64x6x2x4xf32> to tensor<384x8xf32>
// CHECK: mlopt.linear {{.*}} -> tensor<384x8xf32>
// CHECK: mlopt.reshape %{{.*}} : tensor<384x8xf32> to tensor<64x6x8xf32>
// CHECK: mlopt.one_hot %[[T]] : tensor<64x6xi64> -> tensor<64x6x8xf64>
// CHECK: mlopt.cast %{{.*}} : tensor<64x6x8xf64> to tensor<64x6x8xf32>
// CHECK: mlopt.mse_loss {{.*}} : (tensor<64x6x8xf32>, tensor<64x6x8xf32>) -> tensor<f32>
mlopt.state @proj.weight : tensor<8x8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
func.func @loss(%x: tensor<8x6x8xf32> {mlopt.input},
                %t: tensor<8x6xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %xn = mlopt.layer_norm %x : (tensor<8x6x8xf32>) -> tensor<8x6x8xf32>
  %q4 = mlopt.reshape %xn : tensor<8x6x8xf32> to tensor<8x6x2x4xf32>
  %qh = mlopt.transpose %q4, [0, 2, 1, 3] : tensor<8x6x2x4xf32> -> tensor<8x2x6x4xf32>
  %kt = mlopt.transpose %qh, [0, 1, 3, 2] : tensor<8x2x6x4xf32> -> tensor<8x2x4x6xf32>
  %raw = mlopt.batch_matmul %qh, %kt
      : (tensor<8x2x6x4xf32>, tensor<8x2x4x6xf32>) -> tensor<8x2x6x6xf32>
  %probs = mlopt.softmax %raw dim = -1 : tensor<8x2x6x6xf32>
  %ctx = mlopt.batch_matmul %probs, %qh
      : (tensor<8x2x6x6xf32>, tensor<8x2x6x4xf32>) -> tensor<8x2x6x4xf32>
  %ctx_t = mlopt.transpose %ctx, [0, 2, 1, 3] : tensor<8x2x6x4xf32> -> tensor<8x6x2x4xf32>
  %rows = mlopt.reshape %ctx_t : tensor<8x6x2x4xf32> to tensor<48x8xf32>
  %w = mlopt.state_read @proj.weight : tensor<8x8xf32>
  %p = mlopt.linear %rows, %w : (tensor<48x8xf32>, tensor<8x8xf32>) -> tensor<48x8xf32>
  %out = mlopt.reshape %p : tensor<48x8xf32> to tensor<8x6x8xf32>
  %h = mlopt.one_hot %t : tensor<8x6xi64> -> tensor<8x6x8xf64>
  %h32 = mlopt.cast %h : tensor<8x6x8xf64> to tensor<8x6x8xf32>
  %loss = mlopt.mse_loss %out, %h32
      : (tensor<8x6x8xf32>, tensor<8x6x8xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// tap and mode_select infer their types: a tapped hidden layer and a
// distillation-style combined loss follow the batch.
// CHECK-LABEL: func.func @loss
// CHECK-SAME: %[[X:.*]]: tensor<64x4xf32> {mlopt.input}
// CHECK: %[[H:.*]] = mlopt.linear %[[X]], %{{.*}} -> tensor<64x3xf32>
// CHECK: mlopt.tap "hidden" %[[H]] : tensor<64x3xf32>
// CHECK: mlopt.mode_select %{{.*}}, %{{.*}} : tensor<f32>
mlopt.state @fc.weight : tensor<3x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<8x4xf32> {mlopt.input},
                %y: tensor<8x3xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<3x4xf32>
  %h = mlopt.linear %x, %w : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %t = mlopt.tap "hidden" %h : tensor<8x3xf32>
  %l = mlopt.mse_loss %t, %y : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<f32>
  %two = mlopt.constant dense<2.0> : tensor<f32>
  %total = mlopt.mul %l, %two : tensor<f32>
  %loss = mlopt.mode_select %total, %l : tensor<f32>
  return %loss : tensor<f32>
}

// EXMLP-LABEL: func.func @loss
// EXMLP-SAME: tensor<256x784xf32> {mlopt.input}
// EXMLP-SAME: tensor<256xi64> {mlopt.label}
// EXMLP: mlopt.linear {{.*}} -> tensor<256x256xf32>
// EXMLP: mlopt.linear {{.*}} -> tensor<256x10xf32>
// EXMLP: mlopt.cross_entropy {{.*}} : (tensor<256x10xf32>, tensor<256xi64>) -> tensor<f32>
// EXMLP: mlopt.accuracy {{.*}} : (tensor<256x10xf32>, tensor<256xi64>) -> tensor<f32>

// EXBLOCK-LABEL: func.func @loss
// EXBLOCK-SAME: tensor<3x128x256xf32> {mlopt.input}
// EXBLOCK-SAME: tensor<3x128x256xf32> {mlopt.label}
// EXBLOCK: mlopt.reshape %{{.*}} : tensor<3x128x256xf32> to tensor<3x128x4x64xf32>
// EXBLOCK: mlopt.batch_matmul {{.*}} -> tensor<3x4x128x128xf32>
// EXBLOCK: mlopt.softmax %{{.*}} : tensor<3x4x128x128xf32>
// EXBLOCK: mlopt.reshape %{{.*}} : tensor<3x128x4x64xf32> to tensor<3x128x256xf32>
// EXBLOCK: mlopt.mse_loss {{.*}} -> tensor<f32>

// TRAIN: func.func @train_step(%{{.*}}: tensor<3x128x256xf32> {mlopt.input}, %{{.*}}: tensor<3x128x256xf32> {mlopt.label}) -> {{\(?}}tensor<f32>
// TRAIN: func.func @eval_step(%{{.*}}: tensor<3x128x256xf32> {mlopt.input}
