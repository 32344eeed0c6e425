// Diagnostics of the mlopt.loss / mlopt.input / mlopt.label / mlopt.metric / mlopt.train_only attributes.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'func.func' op marked 'mlopt.loss' must return the loss as a 0-d float tensor first result}}
func.func @no_result(%x: tensor<4xf32> {mlopt.input}) attributes {mlopt.loss} {
  return
}

// -----

// expected-error @+1 {{'func.func' op marked 'mlopt.loss' must return the loss as a 0-d float tensor first result}}
func.func @not_scalar(%x: tensor<4xf32> {mlopt.input}) -> tensor<4xf32> attributes {mlopt.loss} {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{'func.func' op marked 'mlopt.loss' must return the loss as a 0-d float tensor first result}}
func.func @int_loss(%x: tensor<i32> {mlopt.input}) -> tensor<i32> attributes {mlopt.loss} {
  return %x : tensor<i32>
}

// -----

// expected-error @+1 {{'func.func' op argument #1 of the loss function must be marked either 'mlopt.input' or 'mlopt.label'}}
func.func @unmarked(%x: tensor<4xf32> {mlopt.input}, %y: tensor<f32>) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{'func.func' op argument #0 of the loss function must be marked either 'mlopt.input' or 'mlopt.label'}}
func.func @both(%x: tensor<4xf32> {mlopt.input, mlopt.label}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

func.func @first(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}
// expected-error @+1 {{'func.func' op is a second loss function; the first is 'first'}}
func.func @second(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.loss' must be a unit attribute}}
func.func @not_unit(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss = true} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.loss' only applies to functions}}
module attributes {mlopt.loss} {
}

// -----

// expected-error @+1 {{unknown mlopt attribute 'mlopt.losss' on an operation}}
func.func @typo(%x: tensor<f32>) -> tensor<f32> attributes {mlopt.losss} {
  return %x : tensor<f32>
}

// -----

// expected-error @+1 {{unknown mlopt argument attribute 'mlopt.inputs'}}
func.func @unknown_arg_attr(%x: tensor<4xf32> {mlopt.input, mlopt.inputs}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.label' must be a unit attribute}}
func.func @label_not_unit(%x: tensor<4xf32> {mlopt.input}, %y: tensor<4xf32> {mlopt.label = 1 : i64}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.input' on argument #0 needs a function marked 'mlopt.loss'}}
func.func @input_without_loss(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{unknown mlopt result attribute 'mlopt.metrics'}}
func.func @unknown_result_attr(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metrics = "acc"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.metric' must be a non-empty string naming the metric}}
func.func @metric_not_string(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.metric' must be a non-empty string naming the metric}}
func.func @metric_empty(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = ""}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.metric' needs a function marked 'mlopt.loss'}}
func.func @metric_without_loss(%x: tensor<f32>) -> (tensor<f32>, tensor<f32> {mlopt.metric = "acc"}) {
  return %x, %x : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{result #0 is the loss and cannot be a metric}}
func.func @metric_on_loss(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32> {mlopt.metric = "acc"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{metric 'acc' must be a 0-d float tensor}}
func.func @metric_not_scalar(%x: tensor<4xf32> {mlopt.input}, %y: tensor<4xf32> {mlopt.label}) -> (tensor<f32>, tensor<4xf32> {mlopt.metric = "acc"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %y : tensor<f32>, tensor<4xf32>
}

// -----

// expected-error @+1 {{metric 'count' must be a 0-d float tensor}}
func.func @metric_int(%x: tensor<4xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> (tensor<f32>, tensor<i64> {mlopt.metric = "count"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  %c = mlopt.constant dense<0> : tensor<i64>
  return %l, %c : tensor<f32>, tensor<i64>
}

// -----

// Inputs and labels are batches: statically shaped tensors, dimension 0 the
// batch.

// expected-error @+1 {{argument #0 marked 'mlopt.input' must be a statically shaped tensor with a leading batch dimension, got 'f32'}}
func.func @input_not_tensor(%x: f32 {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{argument #1 marked 'mlopt.label' must be a statically shaped tensor with a leading batch dimension, got 'i32'}}
func.func @label_not_tensor(%x: tensor<4xf32> {mlopt.input}, %y: i32 {mlopt.label}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{argument #0 marked 'mlopt.input' must be a statically shaped tensor with a leading batch dimension, got 'tensor<f32>'}}
func.func @input_no_batch(%x: tensor<f32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{argument #1 marked 'mlopt.label' must be a statically shaped tensor with a leading batch dimension, got 'tensor<i64>'}}
func.func @label_no_batch(%x: tensor<4xf32> {mlopt.input}, %y: tensor<i64> {mlopt.label}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{argument #0 marked 'mlopt.input' must be a statically shaped tensor with a leading batch dimension, got 'tensor<?x4xf32>'}}
func.func @input_dynamic(%x: tensor<?x4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{argument #1 marked 'mlopt.label' must be a statically shaped tensor with a leading batch dimension, got 'tensor<*xi32>'}}
func.func @label_unranked(%x: tensor<4xf32> {mlopt.input}, %y: tensor<*xi32> {mlopt.label}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// The same rule holds for the entry points that carry the loss's arguments.
// expected-error @+1 {{argument #0 marked 'mlopt.input' must be a statically shaped tensor with a leading batch dimension, got 'tensor<f32>'}}
func.func @eval_step(%x: tensor<f32> {mlopt.input}) -> tensor<f32> attributes {mlopt.eval_step} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// The training-IR attributes (docs/TrainingIR.md)
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'mlopt.train_step' must be a unit attribute}}
func.func @train_step() attributes {mlopt.train_step = 1 : i64} {
  return
}

// -----

// expected-error @+1 {{'mlopt.eval_step' only applies to functions}}
module attributes {mlopt.eval_step} {
}

// -----

// expected-error @+1 {{'mlopt.init' only applies to functions}}
module attributes {mlopt.init} {
}

// -----

// expected-error @+1 {{'mlopt.predict_step' must be a unit attribute}}
func.func @predict_step() attributes {mlopt.predict_step = "yes"} {
  return
}

// -----

// expected-error @+1 {{'mlopt.predict_step' only applies to functions}}
module attributes {mlopt.predict_step} {
}

// -----

// @predict_step's inputs are batches too.
// expected-error @+1 {{argument #0 marked 'mlopt.input' must be a statically shaped tensor with a leading batch dimension, got 'tensor<f32>'}}
func.func @predict_step(%x: tensor<f32> {mlopt.input}) -> tensor<f32> attributes {mlopt.predict_step} {
  return %x : tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.grad_of' must name a state (@name)}}
func.func @train_step() -> (tensor<f32> {mlopt.grad_of = "w"}) attributes {mlopt.train_step} {
  %0 = mlopt.constant dense<0.0> : tensor<f32>
  return %0 : tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.grad_of' needs a function marked 'mlopt.train_step'}}
func.func @not_train_step() -> (tensor<f32> {mlopt.grad_of = @w}) {
  %0 = mlopt.constant dense<0.0> : tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A zero-sized batch leaves nothing to train on.
// expected-error @+1 {{argument #0 marked 'mlopt.input' has a zero-sized dimension: 'tensor<0x4xf32>'}}
func.func @empty_batch(%x: tensor<0x4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{metric name 'loss' is taken by the loss (result #0)}}
func.func @metric_named_loss(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = "loss"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{results #1 and #2 are both metric 'accuracy'}}
func.func @duplicate_metrics(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l, %l : tensor<f32>, tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.train_only' must be a unit attribute}}
func.func @train_only_not_unit(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = "kd", mlopt.train_only = true}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.train_only' needs a function marked 'mlopt.loss' or 'mlopt.train_step'}}
func.func @train_only_without_loss(%x: tensor<f32>) -> (tensor<f32>, tensor<f32> {mlopt.train_only}) {
  return %x, %x : tensor<f32>, tensor<f32>
}

// -----

// The loss is no metric: evaluation always reports it.
// expected-error @+1 {{'mlopt.train_only' on result #0 must mark a metric result}}
func.func @train_only_loss(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32> {mlopt.train_only}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{'mlopt.train_only' on result #1 must mark a metric result}}
func.func @train_only_not_metric(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.train_only}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}
