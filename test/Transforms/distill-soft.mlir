// RUN: python3 %S/Inputs/write_safetensors.py %t.safetensors 'fc1.weight=F32[5,3]:arange' 'fc1.bias=F32[5]:0.25' 'fc2.weight=F32[2,5]:1,-1,0.5,2,0,0,1,1,1,1' 'fc2.bias=F32[2]:0,1' 'optimizer.step=I64[]:7'
// RUN: mlopt-opt %s --mlopt-distill="teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors alpha=0.75 temperature=2" | FileCheck %s
// RUN: mlopt-opt %s --mlopt-distill="teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors alpha=1" | FileCheck %s --check-prefix=ALPHA1
// RUN: mlopt-opt %s --mlopt-distill="teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors" --mlopt-autodiff | FileCheck %s --check-prefix=GRAD
// RUN: mlopt-opt %s --mlopt-distill="teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors" --mlopt-train-pipeline="optimizer=adamw lr=0.01" | FileCheck %s --check-prefix=TRAIN

// mlopt-distill mode=soft (the default): the teacher (Inputs/
// distill-teacher-mlp.mlir) runs in its evaluation form (no dropout, no read
// of its @rng) on the student's input; its states are frozen `teacher`
// states holding the checkpoint's values (the checkpoint's other tensors,
// such as optimizer.step, are ignored); the loss is
// alpha * T^2 * kl_div(log_softmax(s / T), softmax(t / T)) batchmean
// + (1 - alpha) * cross_entropy, selected in training only.

// CHECK:      mlopt.state @fc.bias
// CHECK-NEXT: mlopt.state @teacher.fc1.weight : tensor<5x3xf32> teacher init #mlopt.value<dense<{{\[\[}}0.000000e+00, 1.000000e-01, 2.000000e-01], [3.000000e-01
// CHECK-NEXT: mlopt.state @teacher.fc1.bias : tensor<5xf32> teacher init #mlopt.value<dense<2.500000e-01> : tensor<5xf32>>
// CHECK-NEXT: mlopt.state @teacher.fc2.weight : tensor<2x5xf32> teacher init #mlopt.value<dense<{{\[\[}}1.000000e+00, -1.000000e+00, 5.000000e-01, 2.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<2x5xf32>>
// CHECK-NEXT: mlopt.state @teacher.fc2.bias : tensor<2xf32> teacher init #mlopt.value<dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>>
// CHECK-NOT:  mlopt.state
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f32> {mlopt.metric = "student_loss", mlopt.train_only}, tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only}) attributes {mlopt.loss}
// CHECK:         %[[LOGITS:.*]] = mlopt.linear %arg0, %{{.*}}, %{{.*}} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK:         %[[CE:.*]] = mlopt.cross_entropy %[[LOGITS]], %arg1
// CHECK:         %[[ACC:.*]] = mlopt.accuracy %[[LOGITS]], %arg1
// CHECK-DAG:     %[[TW1:.*]] = mlopt.state_read @teacher.fc1.weight : tensor<5x3xf32>
// CHECK-DAG:     %[[TB1:.*]] = mlopt.state_read @teacher.fc1.bias : tensor<5xf32>
// CHECK-DAG:     %[[TW2:.*]] = mlopt.state_read @teacher.fc2.weight : tensor<2x5xf32>
// CHECK-DAG:     %[[TB2:.*]] = mlopt.state_read @teacher.fc2.bias : tensor<2xf32>
// CHECK:         %[[TH:.*]] = mlopt.linear %arg0, %[[TW1]], %[[TB1]]
// CHECK-NEXT:    %[[TR:.*]] = mlopt.relu %[[TH]] : tensor<4x5xf32>
// CHECK-NEXT:    %[[T:.*]] = mlopt.linear %[[TR]], %[[TW2]], %[[TB2]]
// CHECK-NEXT:    %[[TEMP:.*]] = mlopt.constant dense<2.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[SS:.*]] = mlopt.div %[[LOGITS]], %[[TEMP]]
// CHECK-NEXT:    %[[LOGP:.*]] = mlopt.log_softmax %[[SS]] dim = 1 : tensor<4x2xf32>
// CHECK-NEXT:    %[[TS:.*]] = mlopt.div %[[T]], %[[TEMP]]
// CHECK-NEXT:    %[[Q:.*]] = mlopt.softmax %[[TS]] dim = 1 : tensor<4x2xf32>
// CHECK-NEXT:    %[[KD:.*]] = mlopt.kl_div %[[LOGP]], %[[Q]] reduction = batchmean
// CHECK-NEXT:    %[[C3:.*]] = mlopt.constant dense<3.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[SOFT:.*]] = mlopt.mul %[[KD]], %[[C3]] : tensor<f32>
// CHECK-NEXT:    %[[C025:.*]] = mlopt.constant dense<2.500000e-01> : tensor<f32>
// CHECK-NEXT:    %[[HARD:.*]] = mlopt.mul %[[CE]], %[[C025]] : tensor<f32>
// CHECK-NEXT:    %[[TOTAL:.*]] = mlopt.add %[[SOFT]], %[[HARD]] : tensor<f32>
// CHECK-NEXT:    %[[LOSS:.*]] = mlopt.mode_select %[[TOTAL]], %[[CE]] : tensor<f32>
// CHECK-NEXT:    return %[[LOSS]], %[[ACC]], %[[CE]], %[[KD]] : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
// CHECK-NOT:     mlopt.dropout
// CHECK-NOT:     mlopt.tap

// alpha=1: the student's own loss is left out of the total.
// ALPHA1:      %[[CE:.*]] = mlopt.cross_entropy
// ALPHA1:      %[[KD:.*]] = mlopt.kl_div
// ALPHA1-NEXT: %[[C16:.*]] = mlopt.constant dense<1.600000e+01> : tensor<f32>
// ALPHA1-NEXT: %[[TOTAL:.*]] = mlopt.mul %[[KD]], %[[C16]] : tensor<f32>
// ALPHA1-NEXT: %[[LOSS:.*]] = mlopt.mode_select %[[TOTAL]], %[[CE]] : tensor<f32>

// No gradient for the teacher's states: autodiff differentiates the
// trainable parameters only.
// GRAD-LABEL: func.func @train_step(
// GRAD-SAME:    tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only}, tensor<2x3xf32> {mlopt.grad_of = @fc.weight}, tensor<2xf32> {mlopt.grad_of = @fc.bias}) attributes {mlopt.train_step}
// GRAD-NOT:   mlopt.grad_of = @teacher

// No optimizer state and no write for the teacher's states in @train_step.
// TRAIN-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[
// TRAIN-SAME:    <"teacher.fc1.weight", teacher, tensor<5x3xf32>>
// TRAIN-NOT:   optimizer.teacher
// TRAIN-LABEL: func.func @train_step(
// TRAIN:         mlopt.state_read @teacher.fc2.bias
// TRAIN-NOT:     mlopt.state_write %{{.*}}, @teacher
// TRAIN:         return
// TRAIN-LABEL: func.func @init(
// @eval_step reports the student's own loss and metrics, without the teacher.
// TRAIN-LABEL: func.func @eval_step(
// TRAIN-SAME:    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.eval_step}
// TRAIN-NOT:     @teacher
// TRAIN:         %[[CE:.*]] = mlopt.cross_entropy
// TRAIN-NOT:     @teacher
// TRAIN:         return %[[CE]], %{{.*}} : tensor<f32>, tensor<f32>

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %logits = mlopt.linear %x, %w, %b
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
