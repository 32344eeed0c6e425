// RUN: mlopt-opt %s -split-input-file --mlopt-entry-points | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-autodiff --mlopt-entry-points | FileCheck %s --check-prefix=TRAIN

// A distilled loss function (mlopt-distill's form, docs/Distillation.md):
// the combined loss behind mlopt.mode_select, the student's loss and the
// distillation term as metrics marked mlopt.train_only. @eval_step takes the
// evaluation operand (the student's loss), drops the train-only results, and
// the teacher's forward, which only they and the combined loss used, goes
// with them. The loss function (and @train_step) keep everything.

mlopt.state @fc.weight : tensor<3x4xf32> parameter trainable init #mlopt.zeros
mlopt.state @teacher.fc.weight : tensor<3x4xf32> teacher
    init #mlopt.value<dense<0.5> : tensor<3x4xf32>>

// CHECK-LABEL: func.func @loss(
// CHECK-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f32> {mlopt.metric = "student_loss", mlopt.train_only}, tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only}) attributes {mlopt.loss}
// CHECK:         mlopt.state_read @teacher.fc.weight
// CHECK:         mlopt.mode_select
func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %y: tensor<2xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"},
        tensor<f32> {mlopt.metric = "student_loss", mlopt.train_only},
        tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<3x4xf32>
  %s = mlopt.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %student_loss = mlopt.cross_entropy %s, %y
      : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  %acc = mlopt.accuracy %s, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  %tw = mlopt.state_read @teacher.fc.weight : tensor<3x4xf32>
  %th = mlopt.linear %x, %tw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %t = mlopt.tap "logits" %th : tensor<2x3xf32>
  %ls = mlopt.log_softmax %s dim = 1 : tensor<2x3xf32>
  %pt = mlopt.softmax %t dim = 1 : tensor<2x3xf32>
  %kd = mlopt.kl_div %ls, %pt reduction = batchmean
      : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<f32>
  %alpha = mlopt.constant dense<0.9> : tensor<f32>
  %rest = mlopt.constant dense<0.1> : tensor<f32>
  %a = mlopt.mul %kd, %alpha : tensor<f32>
  %b = mlopt.mul %student_loss, %rest : tensor<f32>
  %total = mlopt.add %a, %b : tensor<f32>
  %loss = mlopt.mode_select %total, %student_loss : tensor<f32>
  return %loss, %acc, %student_loss, %kd
      : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<2x4xf32> {mlopt.input}, %[[Y:[^:]*]]: tensor<2xi64> {mlopt.label})
// CHECK-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.eval_step} {
// CHECK-NEXT:    %[[W:.*]] = mlopt.state_read @fc.weight
// CHECK-NEXT:    %[[S:.*]] = mlopt.linear %[[X]], %[[W]]
// CHECK-NEXT:    %[[L:.*]] = mlopt.cross_entropy %[[S]], %[[Y]]
// CHECK-NEXT:    %[[A:.*]] = mlopt.accuracy %[[S]], %[[Y]]
// CHECK-NEXT:    return %[[L]], %[[A]] : tensor<f32>, tensor<f32>
// CHECK-NEXT:  }

// The evaluation loss is the student's cross_entropy: @predict_step returns
// the student's logits.
// CHECK-LABEL: func.func @predict_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<2x4xf32> {mlopt.input})
// CHECK-SAME:      -> tensor<2x3xf32> attributes {mlopt.predict_step} {
// CHECK-NEXT:    %[[W:.*]] = mlopt.state_read @fc.weight
// CHECK-NEXT:    %[[S:.*]] = mlopt.linear %[[X]], %[[W]]
// CHECK-NEXT:    return %[[S]] : tensor<2x3xf32>
// CHECK-NEXT:  }

// @train_step keeps the train-only results (training reports them) and the
// combined loss; the teacher gets no gradient.
// TRAIN-LABEL: func.func @train_step(
// TRAIN-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f32> {mlopt.metric = "student_loss", mlopt.train_only}, tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only}, tensor<3x4xf32> {mlopt.grad_of = @fc.weight}) attributes {mlopt.train_step}
// TRAIN:         mlopt.state_read @teacher.fc.weight
// TRAIN:         mlopt.mode_select
// TRAIN-LABEL: func.func @eval_step(
// TRAIN-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.eval_step} {
// TRAIN-NOT:     teacher
// TRAIN-NOT:     mlopt.mode_select
// TRAIN:         return

// -----

// @calibrate_step (a model with observer state) returns what @eval_step
// does: the train-only results and the teacher's forward go; the observer
// update stays.

mlopt.state @fc.weight : tensor<3x4xf32> parameter trainable init #mlopt.zeros
mlopt.state @teacher.fc.weight : tensor<3x4xf32> teacher
    init #mlopt.value<dense<0.5> : tensor<3x4xf32>>
mlopt.state @fc.input_observer.min_val : tensor<f32> observer init #mlopt.zeros
mlopt.state @fc.input_observer.max_val : tensor<f32> observer init #mlopt.zeros

func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %y: tensor<2x3xf32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only})
    attributes {mlopt.loss} {
  %min = mlopt.state_read @fc.input_observer.min_val : tensor<f32>
  %max = mlopt.state_read @fc.input_observer.max_val : tensor<f32>
  %u = mlopt.constant dense<true> : tensor<i1>
  %min1, %max1 = mlopt.observe %x, %min, %max, %u : tensor<2x4xf32>, tensor<f32>
  mlopt.state_write %min1, @fc.input_observer.min_val : tensor<f32>
  mlopt.state_write %max1, @fc.input_observer.max_val : tensor<f32>
  %w = mlopt.state_read @fc.weight : tensor<3x4xf32>
  %s = mlopt.linear %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %student_loss = mlopt.mse_loss %s, %y
      : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<f32>
  %tw = mlopt.state_read @teacher.fc.weight : tensor<3x4xf32>
  %t = mlopt.linear %x, %tw : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  %d = mlopt.mse_loss %s, %t : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<f32>
  %total = mlopt.add %d, %student_loss : tensor<f32>
  %loss = mlopt.mode_select %total, %student_loss : tensor<f32>
  return %loss, %d : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      -> tensor<f32> attributes {mlopt.eval_step} {
// CHECK-NOT:     teacher
// CHECK-NOT:     mlopt.observe
// CHECK:         %[[L:.*]] = mlopt.mse_loss
// CHECK-NEXT:    return %[[L]] : tensor<f32>

// CHECK-LABEL: func.func @calibrate_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<2x4xf32>, %[[Y:[^:]*]]: tensor<2x3xf32>) -> tensor<f32> {
// CHECK:         %[[NMIN:.*]], %[[NMAX:.*]] = mlopt.observe %[[X]]
// CHECK-NEXT:    mlopt.state_write %[[NMIN]], @fc.input_observer.min_val
// CHECK-NEXT:    mlopt.state_write %[[NMAX]], @fc.input_observer.max_val
// CHECK-NEXT:    %[[W:.*]] = mlopt.state_read @fc.weight
// CHECK-NEXT:    %[[S:.*]] = mlopt.linear %[[X]], %[[W]]
// CHECK-NEXT:    %[[L:.*]] = mlopt.mse_loss %[[S]], %[[Y]]
// CHECK-NEXT:    return %[[L]] : tensor<f32>
// CHECK-NEXT:  }
