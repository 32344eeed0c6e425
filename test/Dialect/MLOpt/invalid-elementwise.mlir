// Diagnostics of the elementwise ops: unary, broadcasting binary, compare, select, cast.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

func.func @unary_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.exp' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = mlopt.exp %x : tensor<4xi32>
  return
}

// -----

func.func @unary_dynamic(%x: tensor<?x4xf32>) {
  // expected-error @+1 {{'mlopt.relu' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<?x4xf32>'}}
  %0 = mlopt.relu %x : tensor<?x4xf32>
  return
}

// -----

func.func @unary_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{custom op 'mlopt.neg' invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = mlopt.neg %x : tensor<*xf32>
  return
}

// -----

// The ODS constraints run before the shape function, which may assume ranked tensors.
func.func @binary_generic_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{'mlopt.add' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<*xf32>'}}
  %0 = "mlopt.add"(%x, %x) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @unary_result_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.tanh' op requires the same type for all operands and results}}
  %0 = "mlopt.tanh"(%x) : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @gelu_bad_approximation(%x: tensor<4xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'approximate' [none, tanh]}}
  %0 = mlopt.gelu %x approximate = exact : tensor<4xf32>
  return
}

// -----

func.func @binary_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+2 {{operands have different element types 'f32' and 'f16'}}
  // expected-error @+1 {{'mlopt.add' op failed to infer returned types}}
  %0 = mlopt.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @binary_no_broadcast(%a: tensor<4x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operand shapes 'tensor<4x8xf32>' and 'tensor<4xf32>' do not broadcast}}
  // expected-error @+1 {{'mlopt.sub' op failed to infer returned types}}
  %0 = mlopt.sub %a, %b : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @binary_wrong_result(%a: tensor<4x1xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{'mlopt.mul' op inferred type(s) 'tensor<4x8xf32>' are incompatible with return type(s) of operation 'tensor<4x1xf32>'}}
  // expected-error @+1 {{'mlopt.mul' op failed to infer returned types}}
  %0 = mlopt.mul %a, %b : (tensor<4x1xf32>, tensor<8xf32>) -> tensor<4x1xf32>
  return
}

// -----

func.func @binary_int(%a: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.maximum' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = mlopt.maximum %a, %a : tensor<4xi32>
  return
}

// -----

// expected-note @+1 {{prior use here}}
func.func @binary_short_form_mismatch(%a: tensor<4xf32>, %b: tensor<8xf32>) {
  // The short form states a single type for both operands and the result.
  // expected-error @+1 {{use of value '%b' expects different type than prior uses: 'tensor<4xf32>' vs 'tensor<8xf32>'}}
  %0 = mlopt.div %a, %b : tensor<4xf32>
  return
}

// -----

func.func @compare_element_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+2 {{operands have different element types 'f32' and 'i32'}}
  // expected-error @+1 {{'mlopt.compare' op failed to infer returned types}}
  %0 = mlopt.compare eq, %a, %b : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_no_broadcast(%a: tensor<3xi64>, %b: tensor<4xi64>) {
  // expected-error @+2 {{operand shapes 'tensor<3xi64>' and 'tensor<4xi64>' do not broadcast}}
  // expected-error @+1 {{'mlopt.compare' op failed to infer returned types}}
  %0 = mlopt.compare lt, %a, %b : (tensor<3xi64>, tensor<4xi64>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_result_not_bool(%a: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.compare' op result #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = mlopt.compare gt, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_bad_predicate(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'predicate' [eq, ne, lt, le, gt, ge]}}
  %0 = mlopt.compare neq, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return
}

// -----

func.func @select_element_types(%c: tensor<4xi1>, %t: tensor<4xf32>, %f: tensor<4xf64>) {
  // expected-error @+2 {{operands have different element types 'f32' and 'f64'}}
  // expected-error @+1 {{'mlopt.select' op failed to infer returned types}}
  %0 = mlopt.select %c, %t, %f : (tensor<4xi1>, tensor<4xf32>, tensor<4xf64>) -> tensor<4xf32>
  return
}

// -----

func.func @select_values_no_broadcast(%c: tensor<4xi1>, %t: tensor<4xf32>, %f: tensor<2xf32>) {
  // expected-error @+2 {{operand shapes 'tensor<4xf32>' and 'tensor<2xf32>' do not broadcast}}
  // expected-error @+1 {{'mlopt.select' op failed to infer returned types}}
  %0 = mlopt.select %c, %t, %f : (tensor<4xi1>, tensor<4xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @select_condition_no_broadcast(%c: tensor<3xi1>, %t: tensor<4xf32>, %f: tensor<f32>) {
  // expected-error @+2 {{condition 'tensor<3xi1>' does not broadcast with 'tensor<4xf32>'}}
  // expected-error @+1 {{'mlopt.select' op failed to infer returned types}}
  %0 = mlopt.select %c, %t, %f : (tensor<3xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return
}

// -----

func.func @select_condition_not_bool(%c: tensor<4xi32>, %t: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.select' op operand #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = mlopt.select %c, %t, %t : (tensor<4xi32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.cast' op all non-scalar operands/results must have the same shape and base type}}
  %0 = mlopt.cast %x : tensor<4xf32> to tensor<2x2xf16>
  return
}

// -----

func.func @cast_unsupported_element(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.cast' op result #0 must be statically shaped tensor}}
  %0 = mlopt.cast %x : tensor<4xf32> to tensor<4xf8E4M3FN>
  return
}
