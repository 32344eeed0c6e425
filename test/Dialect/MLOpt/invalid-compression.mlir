// Diagnostics of the pruning family: prune_mask, sparsity_schedule, the
// #mlopt.value initializer and mlopt.masked_by.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// prune_mask
//===----------------------------------------------------------------------===//

func.func @scalar_scores(%x: tensor<f32>, %s: tensor<f64>, %u: tensor<i1>) -> tensor<f32> {
  // expected-error @+1 {{'mlopt.prune_mask' op needs scores of rank >= 1 (the last dimension is the group the mask prunes within)}}
  %m = mlopt.prune_mask %x, %s, %u, %x : tensor<f32>
  return %m : tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// sparsity_schedule
//===----------------------------------------------------------------------===//

func.func @initial_above_one(%t: tensor<i64>) -> tensor<f64> {
  // expected-error @+1 {{'mlopt.sparsity_schedule' op sparsity 'initial' must lie in [0, 1], got 1.500000e+00}}
  %s, %u = mlopt.sparsity_schedule %t initial = 1.5 final = 0.9 start = 0
      end = 10 frequency = 1 : tensor<i64>
  return %s : tensor<f64>
}

// -----

func.func @final_below_zero(%t: tensor<i64>) -> tensor<f64> {
  // expected-error @+1 {{'mlopt.sparsity_schedule' op sparsity 'final' must lie in [0, 1], got -2.500000e-01}}
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = -0.25 start = 0
      end = 10 frequency = 1 : tensor<i64>
  return %s : tensor<f64>
}

// -----

// A NaN sparsity (the bit pattern of a quiet NaN) lies in no interval.
func.func @nan_final(%t: tensor<i64>) -> tensor<f64> {
  // expected-error @+1 {{'mlopt.sparsity_schedule' op sparsity 'final' must lie in [0, 1], got nan}}
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0
      final = 0x7FF8000000000000 start = 0 end = 10 frequency = 1 : tensor<i64>
  return %s : tensor<f64>
}

// -----

func.func @negative_start(%t: tensor<i64>) -> tensor<f64> {
  // expected-error @+1 {{'mlopt.sparsity_schedule' op start step must be >= 0, got -1}}
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.5 start = -1
      end = 9 frequency = 1 : tensor<i64>
  return %s : tensor<f64>
}

// -----

func.func @end_before_start(%t: tensor<i64>) -> tensor<f64> {
  // expected-error @+1 {{'mlopt.sparsity_schedule' op end step 3 must not come before the start step 5}}
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.5 start = 5
      end = 3 frequency = 1 : tensor<i64>
  return %s : tensor<f64>
}

// -----

func.func @zero_frequency(%t: tensor<i64>) -> tensor<f64> {
  // expected-error @+1 {{'mlopt.sparsity_schedule' op frequency must be >= 1, got 0}}
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.5 start = 0
      end = 10 frequency = 0 : tensor<i64>
  return %s : tensor<f64>
}

// -----

func.func @end_off_the_updates(%t: tensor<i64>) -> tensor<f64> {
  // expected-error @+1 {{'mlopt.sparsity_schedule' op end - start = 5 must be a multiple of the frequency 2, so that the last update reaches the final sparsity}}
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.5 start = 1
      end = 6 frequency = 2 : tensor<i64>
  return %s : tensor<f64>
}

// -----

//===----------------------------------------------------------------------===//
// #mlopt.value
//===----------------------------------------------------------------------===//

// expected-error @+1 {{initializer 'value' of type 'tensor<3xf32>' does not match the state's type 'tensor<2xf32>'}}
mlopt.state @w.mask : tensor<2xf32> mask init #mlopt.value<dense<1.0> : tensor<3xf32>>

// -----

// The element type counts too.
// expected-error @+1 {{initializer 'value' of type 'tensor<2xf64>' does not match the state's type 'tensor<2xf32>'}}
mlopt.state @w : tensor<2xf32> parameter init #mlopt.value<dense<[1.0, 2.0]> : tensor<2xf64>>

// -----

// NaN (its bit pattern); infinities are values (an observer's initial
// range).
// expected-error @+1 {{initializer 'value' holds a non-finite element}}
mlopt.state @w : tensor<2xf32> parameter init #mlopt.value<dense<[1.0, 0x7FC00000]> : tensor<2xf32>>

// -----

func.func @initial_value_type(%seed: tensor<i64>) -> tensor<2xf32> {
  // expected-error @+1 {{initializer 'value' of type 'tensor<2xf16>' does not match the state's type 'tensor<2xf32>'}}
  %v = mlopt.initial_value %seed, #mlopt.value<dense<1.0> : tensor<2xf16>>
      stream = 0 : tensor<2xf32>
  return %v : tensor<2xf32>
}

// -----

func.func @initial_value_nan(%seed: tensor<i64>) -> tensor<2xf64> {
  // expected-error @+1 {{initializer 'value' holds a non-finite element}}
  %v = mlopt.initial_value %seed,
      #mlopt.value<dense<[0x7FF8000000000000, 1.0]> : tensor<2xf64>>
      stream = 0 : tensor<2xf64>
  return %v : tensor<2xf64>
}

// -----

//===----------------------------------------------------------------------===//
// mlopt.masked_by
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'mlopt.masked_by' only applies to mlopt.state}}
func.func @not_a_state() attributes {mlopt.masked_by = @m} {
  return
}

// -----

mlopt.state @m : tensor<2xf32> mask init #mlopt.ones
// expected-error @+1 {{'mlopt.masked_by' must be a flat symbol reference, got "m"}}
mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros {mlopt.masked_by = "m"}

// -----

// expected-error @+1 {{'mlopt.masked_by' names unknown state @w.mask}}
mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros {mlopt.masked_by = @w.mask}

// -----

mlopt.state @w.mask : tensor<2xf32> buffer init #mlopt.ones
// expected-error @+1 {{'mlopt.masked_by' names state @w.mask of kind 'buffer', expected 'mask'}}
mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros {mlopt.masked_by = @w.mask}

// -----

mlopt.state @w.mask : tensor<3xf32> mask init #mlopt.ones
// expected-error @+1 {{mask @w.mask of type 'tensor<3xf32>' does not match the state's type 'tensor<2xf32>'}}
mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros {mlopt.masked_by = @w.mask}
