// RUN: mlopt-opt %s -split-input-file --mlopt-externalize-state -verify-diagnostics | FileCheck %s

// State arguments first (declaration order), then the function's own
// arguments (read-only), then one argument per result; the final state
// values and the results are stored into their arguments.
// CHECK: module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<4xf32>, trainable>, <"step", step, tensor<i64>>]>}
// CHECK-NOT: mlopt.state @
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W:.*]]: tensor<4xf32> {mlopt_abi.state = "w"},
// CHECK-SAME: %[[STEP:.*]]: tensor<i64> {mlopt_abi.state = "step"},
// CHECK-SAME: %[[X:.*]]: tensor<4xf32> {bufferization.writable = false},
// CHECK-SAME: %[[OUT:.*]]: tensor<f32> {mlopt_abi.result = 0 : i64})
// CHECK-SAME: attributes {llvm.emit_c_interface, llvm.linkage = #llvm.linkage<internal>, mlopt.train_step, passthrough = ["alwaysinline"]}
// CHECK: %[[NW:.*]] = mlopt.sub %[[W]], %[[X]]
// CHECK: %[[L:.*]] = mlopt.sum %[[NW]]
// CHECK: bufferization.materialize_in_destination %[[NW]] in %[[W]]
// CHECK-NOT: materialize_in_destination {{.*}} in %[[STEP]]
// CHECK: bufferization.materialize_in_destination %[[L]] in %[[OUT]]
// CHECK: return{{$}}
mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @step : tensor<i64> step init #mlopt.zeros
func.func @train_step(%x: tensor<4xf32>) -> tensor<f32> attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %nw = mlopt.sub %w, %x : tensor<4xf32>
  mlopt.state_write %nw, @w : tensor<4xf32>
  // A read after a write sees the new value.
  %again = mlopt.state_read @w : tensor<4xf32>
  %l = mlopt.sum %again dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A value stored into two states gets a tensor of its own for the second:
// a fill of a fresh tensor is recomputed (N zero-initialized states must not
// become N readers of one fill: bufferization would be quadratic in N),
// anything else is copied.
// CHECK-LABEL: func.func @init(
// CHECK-SAME: %[[A:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "a"}, %[[B:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "b"}, %[[C:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "c"}, %[[D:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "d"}, %[[X:[^:]*]]: tensor<4xf32>
// CHECK: %[[CST:.*]] = arith.constant
// CHECK: %[[Z:.*]] = linalg.fill ins(%[[CST]] : f32)
// CHECK: %[[N:.*]] = mlopt.neg %[[X]]
// CHECK: %[[E2:.*]] = tensor.empty()
// CHECK: %[[Z2:.*]] = linalg.fill ins(%[[CST]] : f32) outs(%[[E2]]
// CHECK: %[[N2:.*]] = linalg.copy ins(%[[N]]
// CHECK-NOT: linalg.copy
// CHECK: materialize_in_destination %[[Z]] in %[[A]]
// CHECK: materialize_in_destination %[[Z2]] in %[[B]]
// CHECK: materialize_in_destination %[[N]] in %[[C]]
// CHECK: materialize_in_destination %[[N2]] in %[[D]]
mlopt.state @a : tensor<4xf32> buffer init #mlopt.zeros
mlopt.state @b : tensor<4xf32> buffer init #mlopt.zeros
mlopt.state @c : tensor<4xf32> buffer init #mlopt.zeros
mlopt.state @d : tensor<4xf32> buffer init #mlopt.zeros
func.func @init(%x: tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %cst = arith.constant 0.0 : f32
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  mlopt.state_write %z, @a : tensor<4xf32>
  mlopt.state_write %z, @b : tensor<4xf32>
  %n = mlopt.neg %x : tensor<4xf32>
  mlopt.state_write %n, @c : tensor<4xf32>
  mlopt.state_write %n, @d : tensor<4xf32>
  return
}

// -----

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
func.func private @helper() -> tensor<4xf32> {
  // expected-error @+1 {{accesses state in a private function}}
  %w = mlopt.state_read @w : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
func.func @nested(%c: i1) -> tensor<4xf32> {
  %r = scf.if %c -> tensor<4xf32> {
    // expected-error @+1 {{accesses state inside a nested region}}
    %w = mlopt.state_read @w : tensor<4xf32>
    scf.yield %w : tensor<4xf32>
  } else {
    %z = mlopt.constant dense<0.0> : tensor<4xf32>
    scf.yield %z : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
