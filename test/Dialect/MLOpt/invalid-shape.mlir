// Diagnostics of the shape ops: reshape, broadcast_to, transpose, slice, concat.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

func.func @reshape_element_type(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'mlopt.reshape' op changes the element type from 'f32' to 'f16'; use mlopt.cast}}
  %0 = mlopt.reshape %x : tensor<4x4xf32> to tensor<16xf16>
  return
}

// -----

func.func @reshape_count(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'mlopt.reshape' op cannot reshape 'tensor<4x4xf32>' (16 elements) to 'tensor<15xf32>' (15 elements)}}
  %0 = mlopt.reshape %x : tensor<4x4xf32> to tensor<15xf32>
  return
}

// -----

func.func @reshape_dynamic(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'mlopt.reshape' op result #0 must be statically shaped tensor}}
  %0 = mlopt.reshape %x : tensor<4x4xf32> to tensor<?xf32>
  return
}

// -----

func.func @broadcast_element_type(%x: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.broadcast_to' op changes the element type from 'i32' to 'i64'}}
  %0 = mlopt.broadcast_to %x : tensor<4xi32> to tensor<2x4xi64>
  return
}

// -----

func.func @broadcast_mismatch(%x: tensor<3xf32>) {
  // expected-error @+1 {{'mlopt.broadcast_to' op cannot broadcast 'tensor<3xf32>' to 'tensor<2x4xf32>'}}
  %0 = mlopt.broadcast_to %x : tensor<3xf32> to tensor<2x4xf32>
  return
}

// -----

func.func @broadcast_to_lower_rank(%x: tensor<1x4xf32>) {
  // expected-error @+1 {{'mlopt.broadcast_to' op cannot broadcast 'tensor<1x4xf32>' to 'tensor<4xf32>'}}
  %0 = mlopt.broadcast_to %x : tensor<1x4xf32> to tensor<4xf32>
  return
}

// -----

func.func @transpose_count(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation has 3 entries for an input of rank 2}}
  // expected-error @+1 {{'mlopt.transpose' op failed to infer returned types}}
  %0 = mlopt.transpose %x, [1, 0, 2] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation [1, 2] is not a permutation of 0..1}}
  // expected-error @+1 {{'mlopt.transpose' op failed to infer returned types}}
  %0 = mlopt.transpose %x, [1, 2] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @transpose_repeated(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{permutation [0, 2, 0] is not a permutation of 0..2}}
  // expected-error @+1 {{'mlopt.transpose' op failed to infer returned types}}
  %0 = mlopt.transpose %x, [0, 2, 0] : tensor<2x3x4xf32> -> tensor<2x4x2xf32>
  return
}

// -----

func.func @transpose_wrong_result(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{'mlopt.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error @+1 {{'mlopt.transpose' op failed to infer returned types}}
  %0 = mlopt.transpose %x, [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_entries(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{start, limit and step need 2 entries each (the input's rank)}}
  // expected-error @+1 {{'mlopt.slice' op failed to infer returned types}}
  %0 = mlopt.slice %x start [0] limit [4] step [1] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @slice_start_after_limit(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{dimension 1: need 0 <= start (5) <= limit (3) <= size (8)}}
  // expected-error @+1 {{'mlopt.slice' op failed to infer returned types}}
  %0 = mlopt.slice %x start [0, 5] limit [4, 3] step [1, 1] : tensor<4x8xf32> -> tensor<4x0xf32>
  return
}

// -----

func.func @slice_limit_past_size(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{dimension 0: need 0 <= start (0) <= limit (5) <= size (4)}}
  // expected-error @+1 {{'mlopt.slice' op failed to infer returned types}}
  %0 = mlopt.slice %x start [0, 0] limit [5, 8] step [1, 1] : tensor<4x8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @slice_negative_start(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{dimension 0: need 0 <= start (-1) <= limit (4) <= size (4)}}
  // expected-error @+1 {{'mlopt.slice' op failed to infer returned types}}
  %0 = mlopt.slice %x start [-1, 0] limit [4, 8] step [1, 1] : tensor<4x8xf32> -> tensor<5x8xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{dimension 1: step 0 must be >= 1}}
  // expected-error @+1 {{'mlopt.slice' op failed to infer returned types}}
  %0 = mlopt.slice %x start [0, 0] limit [4, 8] step [1, 0] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @slice_wrong_result(%x: tensor<4x8xf32>) {
  // expected-error @+2 {{'mlopt.slice' op inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<4x4xf32>'}}
  // expected-error @+1 {{'mlopt.slice' op failed to infer returned types}}
  %0 = mlopt.slice %x start [0, 2] limit [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @concat_no_inputs() {
  // expected-error @+2 {{needs at least one input}}
  // expected-error @+1 {{'mlopt.concat' op failed to infer returned types}}
  %0 = mlopt.concat dim = 0 : () -> tensor<4xf32>
  return
}

// -----

func.func @concat_dim(%a: tensor<4x2xf32>) {
  // expected-error @+2 {{dimension -3 is out of range for rank 2}}
  // expected-error @+1 {{'mlopt.concat' op failed to infer returned types}}
  %0 = mlopt.concat %a, %a dim = -3 : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @concat_element_type(%a: tensor<4x2xf32>, %b: tensor<4x2xf16>) {
  // expected-error @+2 {{input #1 of type 'tensor<4x2xf16>' does not match input #0 of type 'tensor<4x2xf32>'}}
  // expected-error @+1 {{'mlopt.concat' op failed to infer returned types}}
  %0 = mlopt.concat %a, %b dim = 1 : (tensor<4x2xf32>, tensor<4x2xf16>) -> tensor<4x4xf32>
  return
}

// -----

func.func @concat_rank(%a: tensor<4x2xf32>, %b: tensor<4x2x1xf32>) {
  // expected-error @+2 {{input #1 of type 'tensor<4x2x1xf32>' does not match input #0 of type 'tensor<4x2xf32>'}}
  // expected-error @+1 {{'mlopt.concat' op failed to infer returned types}}
  %0 = mlopt.concat %a, %b dim = 0 : (tensor<4x2xf32>, tensor<4x2x1xf32>) -> tensor<8x2xf32>
  return
}

// -----

func.func @concat_other_dim(%a: tensor<4x2xf32>, %b: tensor<3x2xf32>) {
  // expected-error @+2 {{input #1 of type 'tensor<3x2xf32>' differs from input #0 in dimension 0}}
  // expected-error @+1 {{'mlopt.concat' op failed to infer returned types}}
  %0 = mlopt.concat %a, %b dim = 1 : (tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @concat_wrong_result(%a: tensor<4x2xi32>, %b: tensor<4x3xi32>) {
  // expected-error @+2 {{'mlopt.concat' op inferred type(s) 'tensor<4x5xi32>' are incompatible with return type(s) of operation 'tensor<4x6xi32>'}}
  // expected-error @+1 {{'mlopt.concat' op failed to infer returned types}}
  %0 = mlopt.concat %a, %b dim = -1 : (tensor<4x2xi32>, tensor<4x3xi32>) -> tensor<4x6xi32>
  return
}

// -----

// Element counts that overflow int64_t are refused on every op, so a reshape
// whose counts agree only modulo 2^64 never reaches its own check.
func.func @overflowing_reshape(%x: tensor<4xf32>) -> tensor<4611686018427387905x4xf32> {
  // expected-error @+1 {{'mlopt.reshape' op result #0 has type 'tensor<4611686018427387905x4xf32>', whose size does not fit in 64 bits}}
  %y = mlopt.reshape %x : tensor<4xf32> to tensor<4611686018427387905x4xf32>
  return %y : tensor<4611686018427387905x4xf32>
}
