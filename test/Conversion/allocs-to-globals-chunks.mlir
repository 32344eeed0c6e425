// RUN: mlopt-opt %s --mlopt-allocs-to-globals --mlopt-outline-chunks="threshold=2 chunk-size=2" | FileCheck %s

// A planned buffer is a view of the arena at a constant offset: a chunk
// recreates it (global, offset, view) like a global, so the buffer being
// live across a cut does not stop mlopt-outline-chunks from cutting.
// CHECK-LABEL: func.func private @step_chunk0(
// CHECK-SAME: %[[X:[^:]*]]: memref<4xf32>, %[[Y:[^:]*]]: memref<4xf32>)
// CHECK: %[[G:.*]] = memref.get_global @__mlopt_arena_step_0 : memref<16xi8>
// CHECK: %[[C:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[G]][%[[C]]][] : memref<16xi8> to memref<4xf32>
// CHECK: linalg.negf ins(%[[X]] : memref<4xf32>) outs(%[[A]]
// CHECK: linalg.negf ins(%[[X]] : memref<4xf32>) outs(%[[Y]]
// CHECK-NEXT: return
// CHECK-LABEL: func.func private @step_chunk1(
// CHECK-SAME: %[[Y1:[^:]*]]: memref<4xf32>, %[[X1:[^:]*]]: memref<4xf32>)
// CHECK: %[[G1:.*]] = memref.get_global @__mlopt_arena_step_0 : memref<16xi8>
// CHECK: %[[C1:.*]] = arith.constant 0 : index
// CHECK: %[[A1:.*]] = memref.view %[[G1]][%[[C1]]][] : memref<16xi8> to memref<4xf32>
// CHECK: linalg.negf ins(%[[Y1]] : memref<4xf32>) outs(%[[X1]]
// CHECK: linalg.add ins(%[[A1]], %[[X1]] : {{.*}}) outs(%[[Y1]]
// CHECK-LABEL: func.func @step(
// CHECK: call @step_chunk0
// CHECK: call @step_chunk1
func.func @step(%x: memref<4xf32>, %y: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.negf ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  linalg.negf ins(%x : memref<4xf32>) outs(%y : memref<4xf32>)
  linalg.negf ins(%y : memref<4xf32>) outs(%x : memref<4xf32>)
  linalg.add ins(%a, %x : memref<4xf32>, memref<4xf32>) outs(%y : memref<4xf32>)
  return
}
