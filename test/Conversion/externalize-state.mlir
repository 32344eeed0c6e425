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
// anything else is copied. Each fill and copy then writes its destination
// directly (its tensor.empty goes): no empty-tensor elimination is needed.
// CHECK-LABEL: func.func @init(
// CHECK-SAME: %[[A:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "a"}, %[[B:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "b"}, %[[C:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "c"}, %[[D:[^:]*]]: tensor<4xf32> {mlopt_abi.state = "d"}, %[[X:[^:]*]]: tensor<4xf32>
// CHECK-NOT: tensor.empty
// CHECK: %[[CST:.*]] = arith.constant
// CHECK: %[[Z:.*]] = linalg.fill ins(%[[CST]] : f32) outs(%[[A]]
// CHECK: %[[N:.*]] = mlopt.neg %[[X]]
// CHECK: %[[Z2:.*]] = linalg.fill ins(%[[CST]] : f32) outs(%[[B]]
// CHECK: %[[N2:.*]] = linalg.copy ins(%[[N]] : tensor<4xf32>) outs(%[[D]]
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

// The destination-passing chain behind a stored value writes into the
// destination: through the reduction's init to the fill's tensor.empty. A
// chain op whose result has other uses stops it (the mul's empty stays).
// CHECK-LABEL: func.func @chain(
// CHECK-SAME: %[[S:[^:]*]]: tensor<f32> {mlopt_abi.state = "s"}, %[[X:[^:]*]]: tensor<4xf32> {bufferization.writable = false}, %[[OUT:[^:]*]]: tensor<4xf32> {mlopt_abi.result = 0 : i64})
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[S]] : tensor<f32>)
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X]] : tensor<4xf32>) outs(%[[F]] : tensor<f32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[M:.*]] = linalg.mul ins(%[[X]], %[[X]] : tensor<4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<4xf32>)
// CHECK: %[[T:.*]] = linalg.add ins(%[[M]], %[[M]] : tensor<4xf32>, tensor<4xf32>) outs(%[[OUT]] : tensor<4xf32>)
// CHECK: materialize_in_destination %[[R]] in %[[S]]
// CHECK: materialize_in_destination %[[T]] in %[[OUT]]
mlopt.state @s : tensor<f32> buffer init #mlopt.zeros
func.func @chain(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<f32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %r = linalg.reduce ins(%x : tensor<4xf32>) outs(%f : tensor<f32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %sum = arith.addf %in, %acc : f32
      linalg.yield %sum : f32
    }
  mlopt.state_write %r, @s : tensor<f32>
  %e1 = tensor.empty() : tensor<4xf32>
  %m = linalg.mul ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e1 : tensor<4xf32>) -> tensor<4xf32>
  %e2 = tensor.empty() : tensor<4xf32>
  %t = linalg.add ins(%m, %m : tensor<4xf32>, tensor<4xf32>) outs(%e2 : tensor<4xf32>) -> tensor<4xf32>
  return %t : tensor<4xf32>
}

// -----

// Every tensor.empty gets one use (CSE merged them; one-shot analysis is
// quadratic in the writers of one empty), and no tensor is read by more
// than 16 linalg ops: the 17th and later readers of %x read a copy. (A
// module without states gets an empty manifest.)
// CHECK: module attributes {mlopt.manifest = #mlopt.manifest<[]>}
// CHECK-LABEL: func.func @fanout(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4xf32> {bufferization.writable = false}, %[[OUT:[^:]*]]: tensor<4xf32> {mlopt_abi.result = 0 : i64})
// CHECK-COUNT-16: = tensor.empty() : tensor<4xf32>
// CHECK-NOT: tensor.empty
// CHECK-COUNT-8: linalg.add ins(%[[X]], %[[X]] : tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[CE:.*]] = tensor.empty() : tensor<4xf32>
// CHECK: %[[C:.*]] = linalg.copy ins(%[[X]] : tensor<4xf32>) outs(%[[CE]] : tensor<4xf32>)
// CHECK: linalg.add ins(%[[C]], %[[C]] : tensor<4xf32>, tensor<4xf32>)
// CHECK-NOT: linalg.copy
// CHECK: linalg.add {{.*}} outs(%[[OUT]] : tensor<4xf32>)
func.func @fanout(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %a0 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a1 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a2 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a3 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a4 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a5 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a6 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a7 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %a8 = linalg.add ins(%x, %x : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s0 = linalg.add ins(%a0, %a1 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s1 = linalg.add ins(%a2, %a3 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.add ins(%a4, %a5 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s3 = linalg.add ins(%a6, %a7 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s4 = linalg.add ins(%s0, %s1 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s5 = linalg.add ins(%s2, %s3 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s6 = linalg.add ins(%s4, %s5 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s7 = linalg.add ins(%s6, %a8 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %s7 : tensor<4xf32>
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
