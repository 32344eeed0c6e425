// Diagnostics of the loss and metric ops.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

func.func @mse_types(%p: tensor<8x1xf32>, %t: tensor<8xf32>) {
  // expected-error @+2 {{input 'tensor<8x1xf32>' and target 'tensor<8xf32>' must have the same type}}
  // expected-error @+1 {{'mlopt.mse_loss' op failed to infer returned types}}
  %0 = mlopt.mse_loss %p, %t : (tensor<8x1xf32>, tensor<8xf32>) -> tensor<f32>
  return
}

// -----

func.func @mse_result_element(%p: tensor<8xf32>) {
  // expected-error @+2 {{'mlopt.mse_loss' op inferred type(s) 'tensor<f32>' are incompatible with return type(s) of operation 'tensor<f64>'}}
  // expected-error @+1 {{'mlopt.mse_loss' op failed to infer returned types}}
  %0 = mlopt.mse_loss %p, %p : (tensor<8xf32>, tensor<8xf32>) -> tensor<f64>
  return
}

// -----

func.func @mse_result_not_scalar(%p: tensor<8xf32>) {
  // expected-error @+1 {{'mlopt.mse_loss' op result #0 must be 0D tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<8xf32>'}}
  %0 = mlopt.mse_loss %p, %p : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @kl_div_types(%p: tensor<8x10xf32>, %q: tensor<8x10xf16>) {
  // expected-error @+2 {{input 'tensor<8x10xf32>' and target 'tensor<8x10xf16>' must have the same type}}
  // expected-error @+1 {{'mlopt.kl_div' op failed to infer returned types}}
  %0 = mlopt.kl_div %p, %q : (tensor<8x10xf32>, tensor<8x10xf16>) -> tensor<f32>
  return
}

// -----

func.func @kl_div_batchmean_scalar(%p: tensor<f32>) {
  // expected-error @+2 {{batchmean needs an input of rank >= 1}}
  // expected-error @+1 {{'mlopt.kl_div' op failed to infer returned types}}
  %0 = mlopt.kl_div %p, %p reduction = batchmean : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @kl_div_reduction(%p: tensor<4xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'reduction' [mean, batchmean, sum]}}
  %0 = mlopt.kl_div %p, %p reduction = none : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_scores_rank(%p: tensor<8xf32>, %y: tensor<8xi32>) {
  // expected-error @+2 {{scores must be [N, C], got 'tensor<8xf32>'}}
  // expected-error @+1 {{'mlopt.cross_entropy' op failed to infer returned types}}
  %0 = mlopt.cross_entropy %p, %y : (tensor<8xf32>, tensor<8xi32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_labels_rank(%p: tensor<8x10xf32>, %y: tensor<8x1xi32>) {
  // expected-error @+2 {{labels must be [8] for scores 'tensor<8x10xf32>', got 'tensor<8x1xi32>'}}
  // expected-error @+1 {{'mlopt.cross_entropy' op failed to infer returned types}}
  %0 = mlopt.cross_entropy %p, %y : (tensor<8x10xf32>, tensor<8x1xi32>) -> tensor<f32>
  return
}

// -----

func.func @cross_entropy_float_labels(%p: tensor<8x10xf32>, %y: tensor<8xf32>) {
  // expected-error @+1 {{'mlopt.cross_entropy' op operand #1 must be statically shaped tensor of 8-bit signless integer or 16-bit signless integer or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = mlopt.cross_entropy %p, %y : (tensor<8x10xf32>, tensor<8xf32>) -> tensor<f32>
  return
}

// -----

func.func @nll_loss_labels_size(%p: tensor<8x10xf32>, %y: tensor<4xi64>) {
  // expected-error @+2 {{labels must be [8] for scores 'tensor<8x10xf32>', got 'tensor<4xi64>'}}
  // expected-error @+1 {{'mlopt.nll_loss' op failed to infer returned types}}
  %0 = mlopt.nll_loss %p, %y : (tensor<8x10xf32>, tensor<4xi64>) -> tensor<f32>
  return
}

// -----

func.func @accuracy_scores_rank(%p: tensor<2x8x10xf32>, %y: tensor<2xi32>) {
  // expected-error @+2 {{scores must be [N, C], got 'tensor<2x8x10xf32>'}}
  // expected-error @+1 {{'mlopt.accuracy' op failed to infer returned types}}
  %0 = mlopt.accuracy %p, %y : (tensor<2x8x10xf32>, tensor<2xi32>) -> tensor<f32>
  return
}

// -----

func.func @accuracy_result_element(%p: tensor<8x10xbf16>, %y: tensor<8xi32>) {
  // expected-error @+2 {{'mlopt.accuracy' op inferred type(s) 'tensor<bf16>' are incompatible with return type(s) of operation 'tensor<f32>'}}
  // expected-error @+1 {{'mlopt.accuracy' op failed to infer returned types}}
  %0 = mlopt.accuracy %p, %y : (tensor<8x10xbf16>, tensor<8xi32>) -> tensor<f32>
  return
}
