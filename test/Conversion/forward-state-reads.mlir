// RUN: mlopt-opt %s -split-input-file --mlopt-forward-state-reads | FileCheck %s

// A second read of a state sees the value of the first, also across writes
// of other states; a read after a write of the state sees the written value.
// CHECK-LABEL: func.func @step
// CHECK: %[[W:.*]] = mlopt.state_read @w
// CHECK: %[[V:.*]] = mlopt.state_read @v
// CHECK: %[[N:.*]] = mlopt.neg %[[W]]
// CHECK: mlopt.state_write %[[N]], @v
// CHECK-NOT: mlopt.state_read
// CHECK: %[[S:.*]] = mlopt.add %[[W]], %[[N]]
// CHECK: mlopt.state_write %[[S]], @w
// CHECK: return %[[S]], %[[V]]
mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @v : tensor<4xf32> buffer init #mlopt.zeros
func.func @step(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %w = mlopt.state_read @w : tensor<4xf32>
  %v = mlopt.state_read @v : tensor<4xf32>
  %n = mlopt.neg %w : tensor<4xf32>
  mlopt.state_write %n, @v : tensor<4xf32>
  %w2 = mlopt.state_read @w : tensor<4xf32>
  %v2 = mlopt.state_read @v : tensor<4xf32>
  %s = mlopt.add %w2, %v2 : tensor<4xf32>
  mlopt.state_write %s, @w : tensor<4xf32>
  %w3 = mlopt.state_read @w : tensor<4xf32>
  return %w3, %v : tensor<4xf32>, tensor<4xf32>
}

// -----

// An op that may write memory (a call) ends what is known; reads in a
// nested region are left alone.
// CHECK-LABEL: func.func @barrier
// CHECK: mlopt.state_read @w
// CHECK: call @opaque
// CHECK: mlopt.state_read @w
// CHECK: scf.if
// CHECK-NEXT: mlopt.state_read @w
mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
func.func private @opaque()
func.func @barrier(%c: i1) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %a = mlopt.state_read @w : tensor<4xf32>
  call @opaque() : () -> ()
  %b = mlopt.state_read @w : tensor<4xf32>
  %r = scf.if %c -> tensor<4xf32> {
    %in = mlopt.state_read @w : tensor<4xf32>
    scf.yield %in : tensor<4xf32>
  } else {
    scf.yield %b : tensor<4xf32>
  }
  return %a, %b, %r : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
