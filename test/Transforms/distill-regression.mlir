// RUN: python3 %S/Inputs/write_safetensors.py %t.safetensors 'fc.weight=F32[1,3]:1,2,3' 'fc.bias=F32[1]:0.5'
// RUN: mlopt-opt %s --mlopt-distill="mode=regression alpha=1 teacher=%S/Inputs/distill-teacher-linear.mlir teacher-checkpoint=%t.safetensors" | FileCheck %s
// RUN: mlopt-opt %s --mlopt-distill="mode=regression alpha=0.25 teacher=%S/Inputs/distill-teacher-linear.mlir teacher-checkpoint=%t.safetensors" | FileCheck %s --check-prefix=MIX
// RUN: mlopt-opt %s --mlopt-distill="mode=regression alpha=1 teacher=%S/Inputs/distill-teacher-linear.mlir teacher-checkpoint=%t.safetensors" --mlopt-autodiff | FileCheck %s --check-prefix=GRAD

// mlopt-distill mode=regression: MSE between the student's and the
// teacher's outputs (the predictions of their mse_loss ops). The teacher
// (Inputs/distill-teacher-linear.mlir, nn.Linear(3, 1)) is written for a
// batch of 4; the student's batch is 8, and the teacher follows it (as
// mlopt-set-batch-size would). alpha=1 trains on the teacher's outputs
// alone: the labels are not used.

// CHECK:      mlopt.state @teacher.fc.weight : tensor<1x3xf32> teacher init #mlopt.value<dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00]]> : tensor<1x3xf32>>
// CHECK-NEXT: mlopt.state @teacher.fc.bias : tensor<1xf32> teacher init #mlopt.value<dense<5.000000e-01> : tensor<1xf32>>
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:    -> (tensor<f32>, tensor<f32> {mlopt.metric = "student_loss", mlopt.train_only}, tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only})
// CHECK:         %[[S:.*]] = mlopt.linear %arg0, %{{.*}}, %{{.*}} : (tensor<8x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<8x1xf32>
// CHECK-NEXT:    %[[OWN:.*]] = mlopt.mse_loss %[[S]], %arg1 : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
// CHECK-NEXT:    %[[TW:.*]] = mlopt.state_read @teacher.fc.weight : tensor<1x3xf32>
// CHECK-NEXT:    %[[TB:.*]] = mlopt.state_read @teacher.fc.bias : tensor<1xf32>
// CHECK-NEXT:    %[[T:.*]] = mlopt.linear %arg0, %[[TW]], %[[TB]] : (tensor<8x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<8x1xf32>
// CHECK-NEXT:    %[[D:.*]] = mlopt.mse_loss %[[S]], %[[T]] : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
// CHECK-NEXT:    %[[LOSS:.*]] = mlopt.mode_select %[[D]], %[[OWN]] : tensor<f32>
// CHECK-NEXT:    return %[[LOSS]], %[[OWN]], %[[D]] : tensor<f32>, tensor<f32>, tensor<f32>

// alpha * MSE(s, t) + (1 - alpha) * the student's own loss.
// MIX:      %[[OWN:.*]] = mlopt.mse_loss %{{.*}}, %arg1
// MIX:      %[[D:.*]] = mlopt.mse_loss
// MIX-NEXT: %[[A:.*]] = mlopt.constant dense<2.500000e-01> : tensor<f32>
// MIX-NEXT: %[[DA:.*]] = mlopt.mul %[[D]], %[[A]] : tensor<f32>
// MIX-NEXT: %[[B:.*]] = mlopt.constant dense<7.500000e-01> : tensor<f32>
// MIX-NEXT: %[[OB:.*]] = mlopt.mul %[[OWN]], %[[B]] : tensor<f32>
// MIX-NEXT: %[[TOTAL:.*]] = mlopt.add %[[DA]], %[[OB]] : tensor<f32>
// MIX-NEXT: mlopt.mode_select %[[TOTAL]], %[[OWN]] : tensor<f32>

// GRAD-LABEL: func.func @train_step(
// GRAD-SAME:    tensor<1x3xf32> {mlopt.grad_of = @fc.weight}, tensor<1xf32> {mlopt.grad_of = @fc.bias}) attributes {mlopt.train_step}

mlopt.state @fc.weight : tensor<1x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<1xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>

func.func @loss(%x: tensor<8x3xf32> {mlopt.input},
                %y: tensor<8x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %pred = mlopt.linear %x, %w, %b
      : (tensor<8x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<8x1xf32>
  %loss = mlopt.mse_loss %pred, %y
      : (tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
