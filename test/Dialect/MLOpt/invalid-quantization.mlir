// Diagnostics of the quantization family.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

func.func @per_channel_range_without_axis(%x: tensor<4x8xf32>, %m: tensor<4xf32>, %u: tensor<i1>) {
  // expected-error @+1 {{'mlopt.observe' op needs a 0-d range per tensor (or an 'axis' for a per-channel one), got 'tensor<4xf32>'}}
  %a, %b = mlopt.observe %x, %m, %m, %u : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @observe_axis_out_of_range(%x: tensor<4x8xf32>, %m: tensor<4xf32>, %u: tensor<i1>) {
  // expected-error @+1 {{'mlopt.observe' op axis 2 is out of range for rank 2}}
  %a, %b = mlopt.observe %x, %m, %m, %u {axis = 2} : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @observe_channel_size(%x: tensor<4x8xf32>, %m: tensor<8xf32>, %u: tensor<i1>) {
  // expected-error @+1 {{'mlopt.observe' op needs a per-channel range of shape [4] along axis 0, got 'tensor<8xf32>'}}
  %a, %b = mlopt.observe %x, %m, %m, %u {axis = 0} : tensor<4x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @observe_averaging_constant(%x: tensor<4x8xf32>, %m: tensor<f32>, %u: tensor<i1>) {
  // expected-error @+1 {{'mlopt.observe' op averaging_constant must lie in [0, 1], got 1.5}}
  %a, %b = mlopt.observe %x, %m, %m, %u {averaging_constant = 1.5} : tensor<4x8xf32>, tensor<f32>
  return
}

// -----

func.func @params_rank(%m: tensor<2x2xf32>) {
  // expected-error @+1 {{'mlopt.quant_params' op needs a 0-d (per tensor) or 1-d (per channel) range, got 'tensor<2x2xf32>'}}
  %s, %z = mlopt.quant_params %m, %m {quant_min = -128, quant_max = 127} : tensor<2x2xf32>
  return
}

// -----

func.func @params_empty_range(%m: tensor<f32>) {
  // expected-error @+1 {{'mlopt.quant_params' op needs quant_min < quant_max, got [5, 5]}}
  %s, %z = mlopt.quant_params %m, %m {quant_min = 5, quant_max = 5} : tensor<f32>
  return
}

// -----

func.func @fake_quant_per_tensor_shape(%x: tensor<4x8xf32>, %s: tensor<4xf32>, %z: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.fake_quant' op needs 0-d quantization parameters per tensor (or an 'axis' for per-channel ones), got 'tensor<4xf32>'}}
  %y = mlopt.fake_quant %x, %s, %z {quant_min = -128, quant_max = 127} : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @fake_quant_channels(%x: tensor<4x8xf32>, %s: tensor<4xf32>, %z: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.fake_quant' op needs per-channel parameters of shape [8] along axis 1, got 'tensor<4xf32>'}}
  %y = mlopt.fake_quant %x, %s, %z {axis = 1, quant_min = -128, quant_max = 127} : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @fake_quant_grad_axis(%x: tensor<4x8xf32>, %s: tensor<4xf32>, %z: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.fake_quant_grad' op axis -1 is out of range for rank 2}}
  %y = mlopt.fake_quant_grad %x, %x, %s, %z {axis = -1, quant_min = -128, quant_max = 127} : tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @quantize_range(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{'mlopt.quantize' op integer range [0, 255] does not fit i8 [-128, 127]}}
  %q = mlopt.quantize %x, %s, %z {quant_min = 0, quant_max = 255} : tensor<4xf32>, tensor<f32> -> tensor<4xi8>
  return
}

// -----

func.func @quantize_shape(%x: tensor<4xf32>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{'mlopt.quantize' op result shape must equal the input's, got 'tensor<5xi8>' for 'tensor<4xf32>'}}
  %q = mlopt.quantize %x, %s, %z {quant_min = -128, quant_max = 127} : tensor<4xf32>, tensor<f32> -> tensor<5xi8>
  return
}

// -----

func.func @dequantize_shape(%q: tensor<4xi8>, %s: tensor<f32>, %z: tensor<i32>) {
  // expected-error @+1 {{'mlopt.dequantize' op result shape must equal the input's, got 'tensor<2xf32>' for 'tensor<4xi8>'}}
  %x = mlopt.dequantize %q, %s, %z : tensor<4xi8>, tensor<f32> -> tensor<2xf32>
  return
}

// -----

func.func @linear_contraction(%x: tensor<4x8xi8>, %z: tensor<i32>, %w: tensor<3x7xi8>) {
  // expected-error @+1 {{'mlopt.quantized_linear' op contracts 8 input columns with 7 weight columns}}
  %a = mlopt.quantized_linear %x, %z, %w : (tensor<4x8xi8>, tensor<i32>, tensor<3x7xi8>) -> tensor<4x3xi32>
  return
}

// -----

func.func @linear_result(%x: tensor<4x8xi8>, %z: tensor<i32>, %w: tensor<3x8xi8>) {
  // expected-error @+1 {{'mlopt.quantized_linear' op result must be [4, 3], got 'tensor<3x4xi32>'}}
  %a = mlopt.quantized_linear %x, %z, %w : (tensor<4x8xi8>, tensor<i32>, tensor<3x8xi8>) -> tensor<3x4xi32>
  return
}

// -----

func.func @matmul_rank(%x: tensor<2x4x8xi8>, %z: tensor<i32>, %w: tensor<8x3xi8>) {
  // expected-error @+1 {{'mlopt.quantized_matmul' op needs rank-2 operands and result}}
  %a = mlopt.quantized_matmul %x, %z, %w, %z : (tensor<2x4x8xi8>, tensor<i32>, tensor<8x3xi8>, tensor<i32>) -> tensor<2x4x3xi32>
  return
}
