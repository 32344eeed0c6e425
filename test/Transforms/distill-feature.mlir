// RUN: python3 %S/Inputs/write_safetensors.py %t.safetensors 'fc1.weight=F32[5,3]:arange' 'fc1.bias=F32[5]:0.25' 'fc2.weight=F32[2,5]:1' 'fc2.bias=F32[2]:0'
// RUN: mlopt-opt %s --mlopt-distill="mode=feature student-tap=hidden teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors hint-weight=0.5" | FileCheck %s
// RUN: mlopt-opt %s --mlopt-distill="mode=feature student-tap=out teacher-tap=hidden projection=never teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors" | FileCheck %s --check-prefix=SAME
// RUN: mlopt-opt %s --mlopt-distill="mode=feature student-tap=out teacher-tap=hidden projection=always teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors" | FileCheck %s --check-prefix=ALWAYS
// RUN: mlopt-opt %s --mlopt-distill="mode=feature student-tap=hidden teacher=%S/Inputs/distill-teacher-mlp.mlir teacher-checkpoint=%t.safetensors" --mlopt-autodiff | FileCheck %s --check-prefix=GRAD

// mlopt-distill mode=feature (FitNets hints): MSE between the student's
// tensor tapped "hidden" (4x4) and the teacher's (4x5, Inputs/
// distill-teacher-mlp.mlir); the widths differ, so a learned projection
// without bias, @distill.projection.weight [5, 4] with nn.Linear's
// initialization, maps the student's onto the teacher's. Only the teacher's
// slice up to its tap is cloned (not its fc2), and its tap is not: the
// student's tap names stay unique. loss = student_loss + hint-weight * hint.

// CHECK:      mlopt.state @teacher.fc1.weight : tensor<5x3xf32> teacher
// CHECK-NEXT: mlopt.state @teacher.fc1.bias : tensor<5xf32> teacher
// CHECK-NEXT: mlopt.state @distill.projection.weight : tensor<5x4xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
// CHECK-NOT:  mlopt.state
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:    -> (tensor<f32>, tensor<f32> {mlopt.metric = "student_loss", mlopt.train_only}, tensor<f32> {mlopt.metric = "hint_loss", mlopt.train_only})
// CHECK:         %[[A:.*]] = mlopt.tap "hidden" %{{.*}} : tensor<4x4xf32>
// CHECK:         %[[CE:.*]] = mlopt.cross_entropy
// CHECK-NEXT:    %[[TW:.*]] = mlopt.state_read @teacher.fc1.weight : tensor<5x3xf32>
// CHECK-NEXT:    %[[TB:.*]] = mlopt.state_read @teacher.fc1.bias : tensor<5xf32>
// CHECK-NEXT:    %[[TH:.*]] = mlopt.linear %arg0, %[[TW]], %[[TB]]
// CHECK-NEXT:    %[[B:.*]] = mlopt.relu %[[TH]] : tensor<4x5xf32>
// CHECK-NEXT:    %[[P:.*]] = mlopt.state_read @distill.projection.weight : tensor<5x4xf32>
// CHECK-NEXT:    %[[PA:.*]] = mlopt.linear %[[A]], %[[P]] : (tensor<4x4xf32>, tensor<5x4xf32>) -> tensor<4x5xf32>
// CHECK-NEXT:    %[[H:.*]] = mlopt.mse_loss %[[PA]], %[[B]] : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<f32>
// CHECK-NEXT:    %[[W:.*]] = mlopt.constant dense<5.000000e-01> : tensor<f32>
// CHECK-NEXT:    %[[HW:.*]] = mlopt.mul %[[H]], %[[W]] : tensor<f32>
// CHECK-NEXT:    %[[TOTAL:.*]] = mlopt.add %[[CE]], %[[HW]] : tensor<f32>
// CHECK-NEXT:    %[[LOSS:.*]] = mlopt.mode_select %[[TOTAL]], %[[CE]] : tensor<f32>
// CHECK-NEXT:    return %[[LOSS]], %[[CE]], %[[H]]
// CHECK-NOT:     mlopt.tap

// The same widths (the student's "out", 4x5, against the teacher's
// "hidden"): no projection with projection=never (or auto).
// SAME-NOT:  distill.projection
// SAME:      %[[A:.*]] = mlopt.tap "out" %{{.*}} : tensor<4x5xf32>
// SAME:      %[[B:.*]] = mlopt.relu
// SAME-NEXT: %[[H:.*]] = mlopt.mse_loss %[[A]], %[[B]] : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<f32>
// SAME-NEXT: %[[TOTAL:.*]] = mlopt.add %{{.*}}, %[[H]] : tensor<f32>

// projection=always: a square projection.
// ALWAYS: mlopt.state @distill.projection.weight : tensor<5x5xf32> parameter trainable
// ALWAYS: mlopt.linear %{{.*}}, %{{.*}} : (tensor<4x5xf32>, tensor<5x5xf32>) -> tensor<4x5xf32>

// The projection is trained; the teacher's states are not.
// GRAD-LABEL: func.func @train_step(
// GRAD-SAME:    {mlopt.grad_of = @fc1.weight}, {{.*}} {mlopt.grad_of = @fc1.bias}, {{.*}} {mlopt.grad_of = @fc2.weight}, {{.*}} {mlopt.grad_of = @fc2.bias}, tensor<5x4xf32> {mlopt.grad_of = @distill.projection.weight}) attributes {mlopt.train_step}

mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>
mlopt.state @fc2.weight : tensor<5x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<5xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 4>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<5x4xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<5xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<4x4xf32>
  %r = mlopt.relu %h : tensor<4x4xf32>
  %a = mlopt.tap "hidden" %r : tensor<4x4xf32>
  %o = mlopt.linear %a, %w2, %b2
      : (tensor<4x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<4x5xf32>
  %logits = mlopt.tap "out" %o : tensor<4x5xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<4x5xf32>, tensor<4xi64>) -> tensor<f32>
  return %loss : tensor<f32>
}
