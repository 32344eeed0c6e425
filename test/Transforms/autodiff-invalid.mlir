// RUN: mlopt-opt %s -split-input-file -allow-unregistered-dialect --mlopt-autodiff -verify-diagnostics

// expected-error @+1 {{mlopt-autodiff: no function is marked 'mlopt.loss'}}
module {
  mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones
}

// -----

// expected-error @+1 {{marked 'mlopt.loss' has no body to differentiate}}
func.func private @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss}

// -----

mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

// expected-error @+1 {{has 2 blocks; mlopt-autodiff supports a single-block loss function}}
func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  "test.br"() [^bb1] : () -> ()
^bb1:
  %w = mlopt.state_read @w : tensor<3xf32>
  %l = mlopt.sum %w dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

func.func private @helper(tensor<3xf32>) -> tensor<3xf32>

func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<3xf32>
  // expected-error @+1 {{calls a function inside the loss function, which mlopt-autodiff does not support; inline it first}}
  %h = func.call @helper(%w) : (tensor<3xf32>) -> tensor<3xf32>
  %l = mlopt.sum %h dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<3xf32>
  // expected-error @+1 {{'test.opaque' op has no VJP rule, but it lies on the path from trainable state to the loss}}
  %h = "test.opaque"(%w) : (tensor<3xf32>) -> tensor<3xf32>
  %l = mlopt.sum %h dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// accuracy has no gradient: it may compute a metric, not the loss.

mlopt.state @w : tensor<2x3xf32> parameter trainable init #mlopt.ones

func.func @loss(%y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x3xf32>
  // expected-error @+1 {{'mlopt.accuracy' op has no VJP rule, but it lies on the path from trainable state to the loss}}
  %a = mlopt.accuracy %w, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  %l = mlopt.neg %a : tensor<f32>
  return %l : tensor<f32>
}

// -----

// An op without a VJP is fine off the path to the loss.

mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = "opaque"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<3xf32>
  %m = "test.opaque"(%w) : (tensor<3xf32>) -> tensor<f32>
  %l = mlopt.sum %w dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l, %m : tensor<f32>, tensor<f32>
}

// -----

mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<3xf32>
  %l = mlopt.sum %w dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// expected-error @+1 {{is named 'train_step', the function mlopt-autodiff generates}}
func.func @train_step() {
  return
}
