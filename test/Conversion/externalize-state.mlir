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
// CHECK-SAME: attributes {llvm.emit_c_interface, mlopt.train_step}
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
