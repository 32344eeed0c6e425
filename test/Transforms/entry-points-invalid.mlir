// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-entry-points

// expected-error@+1 {{mlopt-entry-points: no function marked 'mlopt.loss'}}
module {
  mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %p = mlopt.mul %w, %x : tensor<2xf32>
  %l = mlopt.sum %p dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// expected-error@+1 {{mlopt-entry-points: symbol @init already exists}}
func.func @init(%seed: tensor<i64>) {
  return
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %p = mlopt.mul %w, %x : tensor<2xf32>
  %l = mlopt.sum %p dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// expected-error@+1 {{mlopt-entry-points: symbol @eval_step already exists}}
mlopt.state @eval_step : tensor<f32> buffer init #mlopt.zeros

// -----

// The runtime holds no i16 tensors: the manifest cannot list the state.
mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{'mlopt.state' op cannot be listed in the manifest: state entry 'h' has element type 'i16', which the runtime does not hold (f64, f32, f16, bf16, i64, i32, i8, i1)}}
mlopt.state @h : tensor<2xi16> buffer init #mlopt.zeros

func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %p = mlopt.mul %w, %x : tensor<2xf32>
  %l = mlopt.sum %p dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %p = mlopt.mul %w, %x : tensor<2xf32>
  %l = mlopt.sum %p dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// expected-error@+1 {{mlopt-entry-points: symbol @predict_step already exists}}
func.func @predict_step(%x: tensor<2xf32>) {
  return
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %p = mlopt.mul %w, %x : tensor<2xf32>
  %l = mlopt.sum %p dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// expected-error@+1 {{mlopt-entry-points: symbol @calibrate_step already exists}}
func.func @calibrate_step(%x: tensor<2xf32>) {
  return
}

// -----

// The prediction must come from the inputs alone: here the model's output
// mixes in the target (teacher forcing), so no @predict_step can compute it.
func.func @loss(%x: tensor<4x2xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %p = mlopt.add %x, %y : tensor<4x2xf32>
  // expected-error@+1 {{mlopt-entry-points: the prediction of 'mlopt.mse_loss' depends on the label argument #1, so no @predict_step can compute it from the inputs}}
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
