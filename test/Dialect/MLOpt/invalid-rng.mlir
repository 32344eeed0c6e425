// Diagnostics of the random-number contract: rng states are drawn from the
// seed, a dropout's seed state is an rng state, and no two dropouts of a
// function draw the same mask.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// rng states and #mlopt.from_seed
//===----------------------------------------------------------------------===//

// A fixed start would give every --seed the same masks.
// expected-error @+1 {{'mlopt.state' op of kind 'rng' must be initialized with #mlopt.from_seed, got #mlopt.zeros (the dropout masks would not depend on the seed)}}
mlopt.state @rng : tensor<i64> rng init #mlopt.zeros

// -----

// expected-error @+1 {{'mlopt.state' op of kind 'rng' must be initialized with #mlopt.from_seed, got #mlopt.constant<value = 4.200000e+01>}}
mlopt.state @rng : tensor<i64> rng init #mlopt.constant<value = 42.0>

// -----

// expected-error @+1 {{'mlopt.state' op of kind 'rng' must be a tensor<i64> (the seed of its dropouts), got 'tensor<2xi64>'}}
mlopt.state @rng : tensor<2xi64> rng init #mlopt.from_seed

// -----

// The initializer's own check comes first.
// expected-error @+1 {{'mlopt.state' op initializer 'from_seed' needs an i64 element type, got 'tensor<f32>'}}
mlopt.state @rng : tensor<f32> rng init #mlopt.from_seed

// -----

func.func @from_seed_i32(%seed: tensor<i64>) -> tensor<4xi32> {
  // expected-error @+1 {{'mlopt.initial_value' op initializer 'from_seed' needs an i64 element type, got 'tensor<4xi32>'}}
  %k = mlopt.initial_value %seed, #mlopt.from_seed stream = 1 : tensor<4xi32>
  return %k : tensor<4xi32>
}

// -----

// expected-error @+1 {{initializer 'from_seed' takes no parameters}}
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed<1>

//===----------------------------------------------------------------------===//
// The seed of a dropout
//===----------------------------------------------------------------------===//

// -----

// The step counter is an i64 state too, but nothing seeds it: its masks
// would repeat across runs.
mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros
func.func @seed_from_step(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = mlopt.state_read @optimizer.step : tensor<i64>
  // expected-error @+1 {{'mlopt.dropout' op seed reads state @optimizer.step of kind 'step'; a dropout's seed must be an 'rng' state, which @init draws from the seed and train_step advances}}
  %y = mlopt.dropout %x, %s p = 0.5 : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A buffer is never advanced: a frozen mask.
mlopt.state @seed : tensor<i64> buffer init #mlopt.constant<value = 3.0>
func.func @seed_from_buffer(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = mlopt.state_read @seed : tensor<i64>
  // expected-error @+1 {{seed reads state @seed of kind 'buffer'}}
  %y = mlopt.dropout %x, %s p = 0.5 stream = 2 : tensor<4xf32>
  return %y : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// Two dropouts drawing one mask
//===----------------------------------------------------------------------===//

// -----

// Both default to stream 0: the same mask twice.
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
func.func @default_streams(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = mlopt.state_read @rng : tensor<i64>
  // expected-note @+1 {{the earlier dropout}}
  %a = mlopt.dropout %x, %s p = 0.5 : tensor<4xf32>
  // expected-error @+1 {{'mlopt.dropout' op shares stream 0 of state @rng with an earlier dropout, so both draw the same mask; give each dropout its own stream}}
  %b = mlopt.dropout %a, %s p = 0.25 : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// Two reads of one state are one source; the shapes need not match.
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
func.func @two_reads(%x: tensor<4xf32>, %h: tensor<2x8xf32>)
    -> (tensor<4xf32>, tensor<2x8xf32>) {
  %s = mlopt.state_read @rng : tensor<i64>
  // expected-note @+1 {{the earlier dropout}}
  %a = mlopt.dropout %x, %s p = 0.5 stream = 3 : tensor<4xf32>
  %t = mlopt.state_read @rng : tensor<i64>
  %b = mlopt.dropout %h, %t p = 0.5 stream = 4 : tensor<2x8xf32>
  // expected-error @+1 {{'mlopt.dropout' op shares stream 3 of state @rng with an earlier dropout}}
  %c = mlopt.dropout %b, %t p = 0.5 stream = 3 : tensor<2x8xf32>
  return %a, %c : tensor<4xf32>, tensor<2x8xf32>
}

// -----

// Outside a model the seed may be any value; sharing it is still an error.
func.func @shared_seed_value(%x: tensor<4xf32>, %seed: tensor<i64>) -> tensor<4xf32> {
  // expected-note @+1 {{the earlier dropout}}
  %a = mlopt.dropout %x, %seed p = 0.5 stream = 1 : tensor<4xf32>
  // expected-error @+1 {{'mlopt.dropout' op shares stream 1 of its seed value with an earlier dropout}}
  %b = mlopt.dropout %a, %seed p = 0.5 stream = 1 : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// The loss function is checked like any other: @train_step is the only
// function whose dropouts may replay a mask.
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x3xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %s = mlopt.state_read @rng : tensor<i64>
  // expected-note @+1 {{the earlier dropout}}
  %a = mlopt.dropout %x, %s p = 0.1 stream = 1 : tensor<4x3xf32>
  // expected-error @+1 {{shares stream 1 of state @rng}}
  %b = mlopt.dropout %a, %s p = 0.1 stream = 1 : tensor<4x3xf32>
  %l = mlopt.mse_loss %b, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
