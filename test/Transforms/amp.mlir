// RUN: mlopt-opt %s -split-input-file --mlopt-amp | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-amp="dtype=f16" | FileCheck %s --check-prefix=F16
// RUN: mlopt-opt %s -split-input-file --mlopt-amp --canonicalize --cse | FileCheck %s --check-prefix=FOLD
// RUN: mlopt-opt %s -split-input-file --mlopt-amp --mlopt-autodiff | FileCheck %s --check-prefix=GRAD

// Master weights and the MLP: the states stay f32; each parameter that a
// linear reads is cast after its state_read, the input once, the relu
// between the layers stays bf16 (no cast), and the logits are cast to f32
// once for the loss and the metric. The loss function still returns f32.
// CHECK: mlopt.state @fc1.weight : tensor<4x6xf32> parameter trainable
// CHECK: mlopt.state @fc1.bias : tensor<4xf32> parameter trainable
// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<8x6xf32> {mlopt.input}, %[[Y:.*]]: tensor<8xi64> {mlopt.label})
// CHECK-SAME: -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
// CHECK-NEXT: %[[XL:.*]] = mlopt.cast %[[X]] : tensor<8x6xf32> to tensor<8x6xbf16>
// CHECK-NEXT: %[[W1:.*]] = mlopt.state_read @fc1.weight : tensor<4x6xf32>
// CHECK-NEXT: %[[W1L:.*]] = mlopt.cast %[[W1]] : tensor<4x6xf32> to tensor<4x6xbf16>
// CHECK-NEXT: %[[B1:.*]] = mlopt.state_read @fc1.bias : tensor<4xf32>
// CHECK-NEXT: %[[B1L:.*]] = mlopt.cast %[[B1]] : tensor<4xf32> to tensor<4xbf16>
// CHECK-NEXT: %[[W2:.*]] = mlopt.state_read @fc2.weight : tensor<3x4xf32>
// CHECK-NEXT: %[[W2L:.*]] = mlopt.cast %[[W2]] : tensor<3x4xf32> to tensor<3x4xbf16>
// CHECK-NEXT: %[[B2:.*]] = mlopt.state_read @fc2.bias : tensor<3xf32>
// CHECK-NEXT: %[[B2L:.*]] = mlopt.cast %[[B2]] : tensor<3xf32> to tensor<3xbf16>
// CHECK-NEXT: %[[H:.*]] = mlopt.linear %[[XL]], %[[W1L]], %[[B1L]] : (tensor<8x6xbf16>, tensor<4x6xbf16>, tensor<4xbf16>) -> tensor<8x4xbf16>
// CHECK-NEXT: %[[A:.*]] = mlopt.relu %[[H]] : tensor<8x4xbf16>
// CHECK-NEXT: %[[L:.*]] = mlopt.linear %[[A]], %[[W2L]], %[[B2L]] : (tensor<8x4xbf16>, tensor<3x4xbf16>, tensor<3xbf16>) -> tensor<8x3xbf16>
// CHECK-NEXT: %[[LF:.*]] = mlopt.cast %[[L]] : tensor<8x3xbf16> to tensor<8x3xf32>
// CHECK-NEXT: %[[LOSS:.*]] = mlopt.cross_entropy %[[LF]], %[[Y]] : (tensor<8x3xf32>, tensor<8xi64>) -> tensor<f32>
// CHECK-NEXT: %[[ACC:.*]] = mlopt.accuracy %[[LF]], %[[Y]] : (tensor<8x3xf32>, tensor<8xi64>) -> tensor<f32>
// CHECK-NEXT: return %[[LOSS]], %[[ACC]] : tensor<f32>, tensor<f32>

// f16 the same way.
// F16-LABEL: func.func @mlp
// F16: mlopt.cast %{{.*}} : tensor<4x6xf32> to tensor<4x6xf16>
// F16: mlopt.linear {{.*}} -> tensor<8x4xf16>
// F16: mlopt.relu %{{.*}} : tensor<8x4xf16>
// F16: mlopt.linear {{.*}} -> tensor<8x3xf16>
// F16: mlopt.cast %{{.*}} : tensor<8x3xf16> to tensor<8x3xf32>
// F16-NEXT: mlopt.cross_entropy

// The gradients reaching the optimizer are f32: the VJP of each cast of a
// state read casts the low-precision cotangent back.
// GRAD-LABEL: func.func @train_step
// GRAD-SAME: -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<4x6xf32> {mlopt.grad_of = @fc1.weight}, tensor<4xf32> {mlopt.grad_of = @fc1.bias}, tensor<3x4xf32> {mlopt.grad_of = @fc2.weight}, tensor<3xf32> {mlopt.grad_of = @fc2.bias})
// GRAD-DAG: %[[G1:.*]] = mlopt.cast %{{.*}} : tensor<4x6xbf16> to tensor<4x6xf32>
// GRAD-DAG: %[[G2:.*]] = mlopt.cast %{{.*}} : tensor<4xbf16> to tensor<4xf32>
// GRAD-DAG: %[[G3:.*]] = mlopt.cast %{{.*}} : tensor<3x4xbf16> to tensor<3x4xf32>
// GRAD-DAG: %[[G4:.*]] = mlopt.cast %{{.*}} : tensor<3xbf16> to tensor<3xf32>
// GRAD: return %{{.*}}, %{{.*}}, %[[G1]], %[[G2]], %[[G3]], %[[G4]]
mlopt.state @fc1.weight : tensor<4x6xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.weight : tensor<3x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<3xf32> parameter trainable init #mlopt.zeros

func.func @mlp(%x: tensor<8x6xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<4x6xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<3x4xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<3xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<8x6xf32>, tensor<4x6xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %logits = mlopt.linear %a, %w2, %b2
      : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<8x3xf32>, tensor<8xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<8x3xf32>, tensor<8xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}

// -----

// Each class: matmul and batch_matmul compute in bf16; softmax, layer_norm,
// exp, sum and the loss in f32; transpose, reshape, gelu and argmax follow
// their input; add, compare and select compute in the widest type of their
// inputs (a bf16 and an f32 operand: f32). The embedding reads an f32
// table and stays f32. A value cast for several uses is cast once.
// CHECK-LABEL: func.func @classes
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x4x8xf32> {mlopt.input}, %[[IDS:[^:]*]]: tensor<2x4xi64> {mlopt.input}, %[[Y:[^:]*]]: tensor<2x4x8xf32> {mlopt.label})
// CHECK-NEXT: %[[P:.*]] = mlopt.state_read @proj : tensor<8x8xf32>
// CHECK-NEXT: %[[PL:.*]] = mlopt.cast %[[P]] : tensor<8x8xf32> to tensor<8x8xbf16>
// CHECK-NEXT: %[[G:.*]] = mlopt.state_read @norm.weight : tensor<8xf32>
// CHECK-NEXT: %[[B:.*]] = mlopt.state_read @norm.bias : tensor<8xf32>
// CHECK-NEXT: %[[T:.*]] = mlopt.state_read @emb : tensor<10x8xf32>
// CHECK-NEXT: %[[E:.*]] = mlopt.embedding %[[IDS]], %[[T]] : (tensor<2x4xi64>, tensor<10x8xf32>) -> tensor<2x4x8xf32>
// CHECK-NEXT: %[[R:.*]] = mlopt.reshape %[[X]] : tensor<2x4x8xf32> to tensor<8x8xf32>
// CHECK-NEXT: %[[RL:.*]] = mlopt.cast %[[R]] : tensor<8x8xf32> to tensor<8x8xbf16>
// CHECK-NEXT: %[[M:.*]] = mlopt.matmul %[[RL]], %[[PL]] : (tensor<8x8xbf16>, tensor<8x8xbf16>) -> tensor<8x8xbf16>
// CHECK-NEXT: %[[MT:.*]] = mlopt.transpose %[[M]], [1, 0] : tensor<8x8xbf16> -> tensor<8x8xbf16>
// CHECK-NEXT: %[[M3:.*]] = mlopt.reshape %[[MT]] : tensor<8x8xbf16> to tensor<2x4x8xbf16>
// CHECK-NEXT: %[[YT:.*]] = mlopt.transpose %[[Y]], [0, 2, 1] : tensor<2x4x8xf32> -> tensor<2x8x4xf32>
// CHECK-NEXT: %[[YTL:.*]] = mlopt.cast %[[YT]] : tensor<2x8x4xf32> to tensor<2x8x4xbf16>
// CHECK-NEXT: %[[Q:.*]] = mlopt.batch_matmul %[[M3]], %[[YTL]] : (tensor<2x4x8xbf16>, tensor<2x8x4xbf16>) -> tensor<2x4x4xbf16>
// CHECK-NEXT: %[[QF:.*]] = mlopt.cast %[[Q]] : tensor<2x4x4xbf16> to tensor<2x4x4xf32>
// CHECK-NEXT: %[[S:.*]] = mlopt.softmax %[[QF]] dim = -1 : tensor<2x4x4xf32>
// CHECK-NEXT: %[[SL:.*]] = mlopt.cast %[[S]] : tensor<2x4x4xf32> to tensor<2x4x4xbf16>
// CHECK-NEXT: %[[SQ:.*]] = mlopt.batch_matmul %[[SL]], %[[M3]] : (tensor<2x4x4xbf16>, tensor<2x4x8xbf16>) -> tensor<2x4x8xbf16>
// CHECK-NEXT: %[[SQF:.*]] = mlopt.cast %[[SQ]] : tensor<2x4x8xbf16> to tensor<2x4x8xf32>
// CHECK-NEXT: %[[RES:.*]] = mlopt.add %[[SQF]], %[[E]] : tensor<2x4x8xf32>
// CHECK-NEXT: %[[N:.*]] = mlopt.layer_norm %[[RES]] weight %[[G]] bias %[[B]] : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
// CHECK-NEXT: %[[GL:.*]] = mlopt.gelu %[[M3]] : tensor<2x4x8xbf16>
// CHECK-NEXT: %[[GLF:.*]] = mlopt.cast %[[GL]] : tensor<2x4x8xbf16> to tensor<2x4x8xf32>
// CHECK-NEXT: %[[EX:.*]] = mlopt.exp %[[GLF]] : tensor<2x4x8xf32>
// CHECK-NEXT: %[[SUM:.*]] = mlopt.sum %[[GLF]] dims = [1] : tensor<2x4x8xf32> -> tensor<2x8xf32>
// CHECK-NEXT: %[[Z:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT: %[[C:.*]] = mlopt.compare gt, %[[GLF]], %[[Z]] : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xi1>
// CHECK-NEXT: %[[SEL:.*]] = mlopt.select %[[C]], %[[GLF]], %[[N]] : (tensor<2x4x8xi1>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
// CHECK-NEXT: %[[AM:.*]] = mlopt.argmax %[[GL]] dim = 2 : tensor<2x4x8xbf16> -> tensor<2x4xi64>
// CHECK-NEXT: %[[LOSS:.*]] = mlopt.mse_loss %[[SEL]], %[[Y]] : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<f32>
// CHECK-NEXT: return %[[LOSS]] : tensor<f32>
mlopt.state @proj : tensor<8x8xf32> parameter trainable init #mlopt.zeros
mlopt.state @norm.weight : tensor<8xf32> parameter trainable init #mlopt.ones
mlopt.state @norm.bias : tensor<8xf32> parameter trainable init #mlopt.zeros
mlopt.state @emb : tensor<10x8xf32> parameter trainable init #mlopt.zeros
func.func @classes(%x: tensor<2x4x8xf32> {mlopt.input}, %ids: tensor<2x4xi64> {mlopt.input},
                   %y: tensor<2x4x8xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %p = mlopt.state_read @proj : tensor<8x8xf32>
  %g = mlopt.state_read @norm.weight : tensor<8xf32>
  %b = mlopt.state_read @norm.bias : tensor<8xf32>
  %t = mlopt.state_read @emb : tensor<10x8xf32>
  %e = mlopt.embedding %ids, %t : (tensor<2x4xi64>, tensor<10x8xf32>) -> tensor<2x4x8xf32>
  %r = mlopt.reshape %x : tensor<2x4x8xf32> to tensor<8x8xf32>
  %m = mlopt.matmul %r, %p : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
  %mt = mlopt.transpose %m, [1, 0] : tensor<8x8xf32> -> tensor<8x8xf32>
  %m3 = mlopt.reshape %mt : tensor<8x8xf32> to tensor<2x4x8xf32>
  %yt = mlopt.transpose %y, [0, 2, 1] : tensor<2x4x8xf32> -> tensor<2x8x4xf32>
  %q = mlopt.batch_matmul %m3, %yt : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %s = mlopt.softmax %q dim = -1 : tensor<2x4x4xf32>
  %sq = mlopt.batch_matmul %s, %m3 : (tensor<2x4x4xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %res = mlopt.add %sq, %e : tensor<2x4x8xf32>
  %n = mlopt.layer_norm %res weight %g bias %b : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %gl = mlopt.gelu %m3 : tensor<2x4x8xf32>
  %ex = mlopt.exp %gl : tensor<2x4x8xf32>
  %sum = mlopt.sum %gl dims = [1] : tensor<2x4x8xf32> -> tensor<2x8xf32>
  %z = mlopt.constant dense<0.0> : tensor<f32>
  %c = mlopt.compare gt, %gl, %z : (tensor<2x4x8xf32>, tensor<f32>) -> tensor<2x4x8xi1>
  %sel = mlopt.select %c, %gl, %n : (tensor<2x4x8xi1>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %am = mlopt.argmax %gl dim = 2 : tensor<2x4x8xf32> -> tensor<2x4xi64>
  %loss = mlopt.mse_loss %sel, %y : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Without a low-precision op nothing changes type: no cast at all.
// CHECK-LABEL: func.func @no_matmul
// CHECK-NOT: mlopt.cast
// CHECK: return
// FOLD-LABEL: func.func @no_matmul
// FOLD-NOT: mlopt.cast
// FOLD: return
mlopt.state @scale : tensor<4xf32> parameter trainable init #mlopt.ones
func.func @no_matmul(%x: tensor<8x4xf32> {mlopt.input}, %y: tensor<8x4xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %s = mlopt.state_read @scale : tensor<4xf32>
  %m = mlopt.mul %x, %s : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %m : tensor<8x4xf32>
  %e = mlopt.exp %a : tensor<8x4xf32>
  %loss = mlopt.mse_loss %e, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Only the f32 computation changes. A state is written in its own type
// (the bf16 product is cast back for @avg and shared with the add), an f64
// matmul and a matmul the model wrote in bf16 stay as they are, and the
// model's own widening cast of a bf16 value that a matmul then needs in
// bf16 folds away with the pass's cast.
// CHECK-LABEL: func.func @kept
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4x4xf32> {mlopt.input}, %[[H:[^:]*]]: tensor<4x4xbf16> {mlopt.input}, %[[Y:[^:]*]]: tensor<4x4xf32> {mlopt.label})
// CHECK-NEXT: %[[XL:.*]] = mlopt.cast %[[X]] : tensor<4x4xf32> to tensor<4x4xbf16>
// CHECK-NEXT: %[[W:.*]] = mlopt.state_read @w : tensor<4x4xf32>
// CHECK-NEXT: %[[WL:.*]] = mlopt.cast %[[W]] : tensor<4x4xf32> to tensor<4x4xbf16>
// CHECK-NEXT: %[[M:.*]] = mlopt.matmul %[[XL]], %[[WL]] : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16>
// CHECK-NEXT: %[[MF:.*]] = mlopt.cast %[[M]] : tensor<4x4xbf16> to tensor<4x4xf32>
// CHECK-NEXT: mlopt.state_write %[[MF]], @avg : tensor<4x4xf32>
// CHECK-NEXT: %[[D:.*]] = mlopt.state_read @d : tensor<4x4xf64>
// CHECK-NEXT: %[[DD:.*]] = mlopt.matmul %[[D]], %[[D]] : (tensor<4x4xf64>, tensor<4x4xf64>) -> tensor<4x4xf64>
// CHECK-NEXT: %[[DF:.*]] = mlopt.cast %[[DD]] : tensor<4x4xf64> to tensor<4x4xf32>
// CHECK-NEXT: %[[HH:.*]] = mlopt.matmul %[[H]], %[[H]] : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16>
// CHECK-NEXT: %[[HF:.*]] = mlopt.cast %[[HH]] : tensor<4x4xbf16> to tensor<4x4xf32>
// CHECK-NEXT: %[[HL:.*]] = mlopt.cast %[[HF]] : tensor<4x4xf32> to tensor<4x4xbf16>
// CHECK-NEXT: %[[K:.*]] = mlopt.matmul %[[HL]], %[[WL]] : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16>
// CHECK-NEXT: %[[KF:.*]] = mlopt.cast %[[K]] : tensor<4x4xbf16> to tensor<4x4xf32>
// CHECK-NEXT: %[[S0:.*]] = mlopt.add %[[MF]], %[[DF]] : tensor<4x4xf32>
// CHECK-NEXT: %[[S1:.*]] = mlopt.add %[[S0]], %[[KF]] : tensor<4x4xf32>
// CHECK-NEXT: mlopt.mse_loss %[[S1]], %[[Y]]
// FOLD-LABEL: func.func @kept
// FOLD-SAME: (%{{[^:]*}}: tensor<4x4xf32> {mlopt.input}, %[[H:[^:]*]]: tensor<4x4xbf16> {mlopt.input},
// FOLD: %[[W:.*]] = mlopt.state_read @w
// FOLD-NEXT: %[[WL:.*]] = mlopt.cast %[[W]] : tensor<4x4xf32> to tensor<4x4xbf16>
// FOLD: %[[HH:.*]] = mlopt.matmul %[[H]], %[[H]] : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16>
// FOLD-NEXT: %[[K:.*]] = mlopt.matmul %[[HH]], %[[WL]] : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16>
// FOLD-NEXT: mlopt.cast %[[K]] : tensor<4x4xbf16> to tensor<4x4xf32>
mlopt.state @w : tensor<4x4xf32> parameter trainable init #mlopt.zeros
mlopt.state @avg : tensor<4x4xf32> buffer init #mlopt.zeros
mlopt.state @d : tensor<4x4xf64> buffer init #mlopt.zeros
func.func @kept(%x: tensor<4x4xf32> {mlopt.input}, %h: tensor<4x4xbf16> {mlopt.input},
                %y: tensor<4x4xf32> {mlopt.label}) -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4x4xf32>
  %m = mlopt.matmul %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  mlopt.state_write %m, @avg : tensor<4x4xf32>
  %d = mlopt.state_read @d : tensor<4x4xf64>
  %dd = mlopt.matmul %d, %d : (tensor<4x4xf64>, tensor<4x4xf64>) -> tensor<4x4xf64>
  %df = mlopt.cast %dd : tensor<4x4xf64> to tensor<4x4xf32>
  %hh = mlopt.matmul %h, %h : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16>
  %hf = mlopt.cast %hh : tensor<4x4xbf16> to tensor<4x4xf32>
  %k = mlopt.matmul %hf, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %s0 = mlopt.add %m, %df : tensor<4x4xf32>
  %s1 = mlopt.add %s0, %k : tensor<4x4xf32>
  %loss = mlopt.mse_loss %s1, %y : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
