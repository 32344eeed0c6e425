// Errors of mlopt-amp.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-amp -o /dev/null

// An unsupported dtype, reported at the module before anything changes.
// RUN: not mlopt-opt %s -split-input-file --mlopt-amp="dtype=f64" 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: mlopt-amp: unsupported dtype 'f64' (expected bf16 or f16)
// RUN: not mlopt-opt %s -split-input-file --mlopt-amp="dtype=fp8" 2>&1 | FileCheck %s --check-prefix=FP8
// FP8: error: mlopt-amp: unsupported dtype 'fp8' (expected bf16 or f16)

// expected-error @+1 {{mlopt-amp: no loss function with a body (marked 'mlopt.loss') to compute in bf16}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

mlopt.state @w : tensor<4x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x4xf32> {mlopt.input}, %y: tensor<4x4xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4x4xf32>
  %m = mlopt.matmul %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %loss = mlopt.mse_loss %m, %y : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
// expected-error @+1 {{mlopt-amp: the module already has @train_step; mlopt-amp runs on the model, before mlopt-autodiff, whose gradients would miss the casts}}
func.func @train_step(%x: tensor<4x4xf32> {mlopt.input}, %y: tensor<4x4xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<4x4xf32>
  %m = mlopt.matmul %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %loss = mlopt.mse_loss %m, %y : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// expected-error @+1 {{mlopt-amp: trainable state @w is 'bf16'; the master weights must be f32 (declare it f32: mlopt-amp makes the low-precision copy in the step)}}
mlopt.state @w : tensor<4x4xbf16> parameter trainable init #mlopt.zeros
// expected-error @+1 {{mlopt-amp: trainable state @b is 'f16'}}
mlopt.state @b : tensor<4xf16> parameter trainable init #mlopt.zeros
// A buffer in bf16 is the model's choice.
mlopt.state @buf : tensor<4xbf16> buffer init #mlopt.zeros
func.func @loss(%x: tensor<4x4xbf16> {mlopt.input}, %y: tensor<4x4xbf16> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4x4xbf16>
  %b = mlopt.state_read @b : tensor<4xf16>
  %m = mlopt.matmul %x, %w : (tensor<4x4xbf16>, tensor<4x4xbf16>) -> tensor<4x4xbf16>
  %mf = mlopt.cast %m : tensor<4x4xbf16> to tensor<4x4xf32>
  %yf = mlopt.cast %y : tensor<4x4xbf16> to tensor<4x4xf32>
  %loss = mlopt.mse_loss %mf, %yf : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
