// Diagnostics of state declarations, initializers and state accesses.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Initializer attributes on their own
//===----------------------------------------------------------------------===//

// expected-error @+1 {{uniform initializer needs low < high, got [1.000000e+00, 1.000000e+00)}}
mlopt.state @u : tensor<4xf32> buffer init #mlopt.uniform<low = 1.0, high = 1.0>

// -----

// expected-error @+1 {{normal initializer needs a finite mean and std > 0, got mean 0.000000e+00, std 0.000000e+00}}
mlopt.state @n : tensor<4xf32> buffer init #mlopt.normal<mean = 0.0, std = 0.0>

// -----

// A NaN mean (the hexadecimal bit pattern of a quiet NaN).
// expected-error @+1 {{normal initializer needs a finite mean and std > 0, got mean nan}}
mlopt.state @n : tensor<4xf32> buffer init #mlopt.normal<mean = 0x7FF8000000000000, std = 1.0>

// -----

// An infinite 'a' (the bit pattern of +inf).
// expected-error @+1 {{kaiming_uniform needs a finite 'a'}}
mlopt.state @k : tensor<4x4xf32> parameter init #mlopt.kaiming_uniform<a = 0x7FF0000000000000>

// -----

// expected-error @+1 {{kaiming_uniform needs fan_in >= 0 (0: computed), got -1}}
mlopt.state @k : tensor<4xf32> parameter init #mlopt.kaiming_uniform<fan_in = -1>

// -----

// expected-error @+1 {{xavier_uniform needs a finite gain > 0, got -1.000000e+00}}
mlopt.state @x : tensor<4x4xf32> parameter init #mlopt.xavier_uniform<gain = -1.0>

// -----

// expected-error @+1 {{initializer 'zeros' takes no parameters}}
mlopt.state @z : tensor<4xf32> buffer init #mlopt.zeros<value = 1.0>

// -----

// expected-error @+1 {{initializer 'ones' takes no parameters}}
mlopt.state @o : tensor<4xf32> buffer init #mlopt.ones<>

// -----

// A missing parameter.
// expected-error @+1 {{expected ','}}
mlopt.state @u : tensor<4xf32> buffer init #mlopt.uniform<low = 0.0>

// -----

// expected-error @+1 {{invalid kind of attribute specified}}
mlopt.state @s : tensor<4xf32> buffer init 1.0

// -----

// expected-error @+1 {{Invalid attribute `initializer` in property conversion: 1.000000e+00 : f32}}
"mlopt.state"() <{initializer = 1.0 : f32, kind = 1 : i32, sym_name = "s", type = tensor<4xf32>}> : () -> ()

// -----

//===----------------------------------------------------------------------===//
// Initializers against the state's type
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'mlopt.state' op initializer 'uniform' needs a floating-point element type, got 'tensor<4xi32>'}}
mlopt.state @u : tensor<4xi32> buffer init #mlopt.uniform<low = 0.0, high = 1.0>

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'normal' needs a floating-point element type, got 'tensor<4xi64>'}}
mlopt.state @n : tensor<4xi64> buffer init #mlopt.normal<mean = 0.0, std = 1.0>

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'kaiming_uniform' needs a floating-point element type, got 'tensor<4x4xi8>'}}
mlopt.state @k : tensor<4x4xi8> parameter init #mlopt.kaiming_uniform

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'xavier_uniform' needs a floating-point element type, got 'tensor<4x4xi1>'}}
mlopt.state @x : tensor<4x4xi1> parameter init #mlopt.xavier_uniform

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'kaiming_uniform' computes fans from a tensor of rank >= 2, got 'tensor<16xf32>'}}
mlopt.state @fc.bias : tensor<16xf32> parameter init #mlopt.kaiming_uniform<a = 2.0>

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'xavier_uniform' computes fans from a tensor of rank >= 2, got 'tensor<f32>'}}
mlopt.state @x : tensor<f32> parameter init #mlopt.xavier_uniform

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'constant' value 1.500000e+00 is not integral for 'tensor<i64>'}}
mlopt.state @c : tensor<i64> step init #mlopt.constant<value = 1.5>

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'constant' value 1.280000e+02 does not fit in 'tensor<4xi8>'}}
mlopt.state @c : tensor<4xi8> observer init #mlopt.constant<value = 128.0>

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'constant' value 2.000000e+00 does not fit in 'tensor<4xi1>'}}
mlopt.state @c : tensor<4xi1> mask init #mlopt.constant<value = 2.0>

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'constant' value INF is not finite}}
mlopt.state @c : tensor<i32> buffer init #mlopt.constant<value = 0x7FF0000000000000>

// -----

// expected-error @+1 {{'mlopt.state' op initializer 'constant' value nan is not finite}}
mlopt.state @c : tensor<4xf32> buffer init #mlopt.constant<value = 0x7FF8000000000000>

// -----

// An element count that overflows int64_t.
// expected-error @+1 {{'mlopt.state' op has type 'tensor<4611686018427387904x10xf32>', whose size does not fit in 64 bits}}
mlopt.state @huge : tensor<4611686018427387904x10xf32> parameter init #mlopt.zeros

// -----

//===----------------------------------------------------------------------===//
// The state op
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'mlopt.state' op only 'parameter' state can be trainable, got 'buffer'}}
mlopt.state @running_mean : tensor<4xf32> buffer trainable init #mlopt.zeros

// -----

// expected-error @+1 {{'mlopt.state' op trainable state needs a floating-point element type, got 'tensor<4xi32>'}}
mlopt.state @w : tensor<4xi32> parameter trainable init #mlopt.zeros

// -----

// expected-error @+1 {{'mlopt.state' op attribute 'type' failed to satisfy constraint: type attribute of statically shaped tensor}}
mlopt.state @dyn : tensor<?xf32> parameter init #mlopt.zeros

// -----

// expected-error @+1 {{'mlopt.state' op attribute 'type' failed to satisfy constraint: type attribute of statically shaped tensor}}
mlopt.state @scalar : f32 parameter init #mlopt.zeros

// -----

// expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [parameter, buffer, optimizer_state, mask, observer, loss_scale, step, rng, teacher]}}
mlopt.state @w : tensor<4xf32> weights init #mlopt.zeros

// -----

func.func @nested() {
  // expected-error @+1 {{'mlopt.state' op expects parent op 'builtin.module'}}
  mlopt.state @w : tensor<4xf32> parameter init #mlopt.zeros
  return
}

// -----

// expected-note @+1 {{see existing symbol definition here}}
mlopt.state @w : tensor<4xf32> parameter init #mlopt.zeros
// expected-error @+1 {{redefinition of symbol named 'w'}}
mlopt.state @w : tensor<4xf32> buffer init #mlopt.zeros

// -----

//===----------------------------------------------------------------------===//
// state_read / state_write
//===----------------------------------------------------------------------===//

func.func @read_unknown() {
  // expected-error @+1 {{'mlopt.state_read' op refers to unknown state @missing}}
  %0 = mlopt.state_read @missing : tensor<4xf32>
  return
}

// -----

func.func @not_a_state() {
  return
}
func.func @read_function() {
  // expected-error @+1 {{'mlopt.state_read' op refers to unknown state @not_a_state}}
  %0 = mlopt.state_read @not_a_state : tensor<4xf32>
  return
}

// -----

mlopt.state @w : tensor<4x8xf32> parameter init #mlopt.zeros
func.func @read_mismatch() {
  // expected-error @+1 {{'mlopt.state_read' op type 'tensor<8x4xf32>' does not match the type 'tensor<4x8xf32>' of state @w}}
  %0 = mlopt.state_read @w : tensor<8x4xf32>
  return
}

// -----

func.func @write_unknown(%v: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.state_write' op refers to unknown state @missing}}
  mlopt.state_write %v, @missing : tensor<4xf32>
  return
}

// -----

mlopt.state @w : tensor<4xf32> parameter init #mlopt.zeros
func.func @write_mismatch(%v: tensor<4xf16>) {
  // expected-error @+1 {{'mlopt.state_write' op type 'tensor<4xf16>' does not match the type 'tensor<4xf32>' of state @w}}
  mlopt.state_write %v, @w : tensor<4xf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// initial_value / constant
//===----------------------------------------------------------------------===//

func.func @initial_value_rank(%seed: tensor<i64>) {
  // expected-error @+1 {{'mlopt.initial_value' op initializer 'kaiming_uniform' computes fans from a tensor of rank >= 2, got 'tensor<8xf32>'}}
  %0 = mlopt.initial_value %seed, #mlopt.kaiming_uniform stream = 0 : tensor<8xf32>
  return
}

// -----

func.func @initial_value_int(%seed: tensor<i64>) {
  // expected-error @+1 {{'mlopt.initial_value' op initializer 'normal' needs a floating-point element type, got 'tensor<8xi32>'}}
  %0 = mlopt.initial_value %seed, #mlopt.normal<mean = 0.0, std = 1.0> stream = 0 : tensor<8xi32>
  return
}

// -----

func.func @initial_value_seed(%seed: tensor<i32>) {
  // expected-error @+1 {{'mlopt.initial_value' op operand #0 must be 0D tensor of 64-bit signless integer values, but got 'tensor<i32>'}}
  %0 = "mlopt.initial_value"(%seed) <{initializer = #mlopt.zeros, stream = 0 : i64}> : (tensor<i32>) -> tensor<8xf32>
  return
}

// -----

func.func @initial_value_seed_syntax(%seed: tensor<i32>) {
  // Without the comma, `%seed #...` lexes as a result number `%seed#N`.
  // expected-error @+1 {{invalid SSA value result number}}
  %0 = mlopt.initial_value %seed #mlopt.zeros stream = 0 : tensor<8xf32>
  return
}

// -----

func.func @constant_vector() {
  // expected-error @+1 {{'mlopt.constant' op result #0 must be statically shaped tensor}}
  %0 = mlopt.constant dense<1.0> : vector<4xf32>
  return
}

// -----

func.func @constant_bad_element() {
  // expected-error @+1 {{'mlopt.constant' op result #0 must be statically shaped tensor}}
  %0 = mlopt.constant dense<1> : tensor<4xi4>
  return
}
