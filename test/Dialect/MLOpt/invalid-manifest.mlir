// Diagnostics of the state manifest: malformed #mlopt.state_entry and
// #mlopt.manifest attributes, and a module attribute `mlopt.manifest` that
// disagrees with the module's states.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// #mlopt.state_entry
//===----------------------------------------------------------------------===//

// expected-error @+1 {{state entry needs a non-empty name}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"", parameter, tensor<2xf32>>]>} {
}

// -----

// expected-error @+1 {{state entry 'w' needs a static shape, got 'tensor<?xf32>'}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<?xf32>>]>} {
}

// -----

// expected-error @+1 {{state entry 'w' has element type 'i16', which the runtime does not hold (f64, f32, f16, bf16, i64, i32, i8, i1)}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", buffer, tensor<2xi16>>]>} {
}

// -----

// expected-error @+1 {{state entry 'm': only 'parameter' state can be trainable, got 'mask'}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"m", mask, tensor<2xf32>, trainable>]>} {
}

// -----

// expected-error @+1 {{state entry 'w': trainable state needs a floating-point element type, got 'tensor<2xi32>'}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xi32>, trainable>]>} {
}

// -----

// expected-error @+1 {{expected one of [parameter, buffer, optimizer_state, mask, observer, loss_scale, step, rng, teacher] for kind of a training-state tensor, got: weight}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", weight, tensor<2xf32>>]>} {
}

// -----

// expected-error @+1 {{invalid kind of type specified}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, f32>]>} {
}

// -----

// expected-error @+1 {{expected 'trainable'}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>, frozen>]>} {
}

// -----

// expected-error @+1 {{expected string}}
module attributes {mlopt.manifest = #mlopt.manifest<[<w, parameter, tensor<2xf32>>]>} {
}

// -----

//===----------------------------------------------------------------------===//
// #mlopt.manifest
//===----------------------------------------------------------------------===//

// expected-error @+1 {{manifest lists state 'w' twice}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>>, <"v", buffer, tensor<2xf32>>, <"w", buffer, tensor<2xf32>>]>} {
}

// -----

// expected-error @+1 {{invalid kind of attribute specified}}
module attributes {mlopt.manifest = #mlopt.manifest<[#mlopt.zeros]>} {
}

// -----

// expected-error @+1 {{expected '['}}
module attributes {mlopt.manifest = #mlopt.manifest<<"w", parameter, tensor<2xf32>>>} {
}

// -----

//===----------------------------------------------------------------------===//
// The module attribute `mlopt.manifest`
//===----------------------------------------------------------------------===//

// expected-error @+1 {{'mlopt.manifest' only applies to modules}}
func.func @f() attributes {mlopt.manifest = #mlopt.manifest<[]>} {
  return
}

// -----

// The untyped form of earlier versions is rejected.
// expected-error @+1 {{'mlopt.manifest' must be a #mlopt.manifest attribute, got [{dtype = "f32", kind = "parameter", name = "w", shape = [2], trainable = true}]}}
module attributes {mlopt.manifest = [{name = "w", kind = "parameter", shape = [2], dtype = "f32", trainable = true}]} {
}

// -----

// expected-error @+1 {{'mlopt.manifest' must be a #mlopt.manifest attribute, got #mlopt.state_entry<"w", parameter, tensor<2xf32>>}}
module attributes {mlopt.manifest = #mlopt.state_entry<"w", parameter, tensor<2xf32>>} {
}

// -----

// expected-error @+1 {{'mlopt.manifest' lists state 'v', which the module does not declare}}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>>, <"v", buffer, tensor<2xf32>>]>} {
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
}

// -----

module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>>]>} {
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
  // expected-error @+1 {{'mlopt.state' op is missing from the module's 'mlopt.manifest'}}
  mlopt.state @step : tensor<i64> step init #mlopt.zeros
}

// -----

module attributes {mlopt.manifest = #mlopt.manifest<[<"w", buffer, tensor<2xf32>>]>} {
  // expected-error @+1 {{'mlopt.state' op has kind 'parameter' but its 'mlopt.manifest' entry says 'buffer'}}
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
}

// -----

module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<3xf32>>]>} {
  // expected-error @+1 {{'mlopt.state' op has type 'tensor<2xf32>' but its 'mlopt.manifest' entry says 'tensor<3xf32>'}}
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
}

// -----

module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf16>>]>} {
  // expected-error @+1 {{'mlopt.state' op has type 'tensor<2xf32>' but its 'mlopt.manifest' entry says 'tensor<2xf16>'}}
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
}

// -----

module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>>]>} {
  // expected-error @+1 {{'mlopt.state' op is trainable but its 'mlopt.manifest' entry says the opposite}}
  mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
}

// -----

module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>, trainable>]>} {
  // expected-error @+1 {{'mlopt.state' op is not trainable but its 'mlopt.manifest' entry says the opposite}}
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
}

// -----

// The state arguments of the entry points follow the manifest's order.
module attributes {mlopt.manifest = #mlopt.manifest<[<"b", parameter, tensor<2xf32>>, <"w", parameter, tensor<2xf32>>]>} {
  // expected-error @+1 {{'mlopt.state' op is state #0 but entry #1 of 'mlopt.manifest', which lists states in declaration order}}
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
  mlopt.state @b : tensor<2xf32> parameter init #mlopt.zeros
}
