// Diagnostics of the ops that exist for the VJP rules: mlopt.erf.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

func.func @erf_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.erf' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = mlopt.erf %x : tensor<4xi32>
  return
}

// -----

func.func @erf_dynamic(%x: tensor<?xf32>) {
  // expected-error @+1 {{'mlopt.erf' op operand #0 must be statically shaped tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<?xf32>'}}
  %0 = mlopt.erf %x : tensor<?xf32>
  return
}

// -----

func.func @erf_result_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.erf' op requires the same type for all operands and results}}
  %0 = "mlopt.erf"(%x) : (tensor<4xf32>) -> tensor<4xf64>
  return
}
