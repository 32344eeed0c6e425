// RUN: mlopt-opt %s -split-input-file --mlopt-outline-chunks="threshold=2 chunk-size=2" | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-outline-chunks="threshold=2 chunk-size=100 max-arguments=2" | FileCheck %s --check-prefix=ARGS
// RUN: mlopt-opt %s -split-input-file --mlopt-outline-chunks | FileCheck %s --check-prefix=SMALL

// Cut every 2 structured ops, but not while the buffer %v is live: each
// chunk receives the arguments it reads, recreates constants and globals,
// and returns the scalar a later chunk reads.
// CHECK-LABEL: func.func private @step_chunk0(
// CHECK-SAME: %[[A:[^:]*]]: memref<4xf32>, %[[B:[^:]*]]: memref<4xf32>)
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
// CHECK: %[[CST:.*]] = arith.constant 1.0
// CHECK: %[[G:.*]] = memref.get_global @g
// CHECK: linalg.fill ins(%[[CST]] : f32) outs(%[[G]]
// CHECK: linalg.add ins(%[[G]], %[[A]] : {{.*}}) outs(%[[B]]
// CHECK-NEXT: return
// CHECK-LABEL: func.func private @step_chunk1(
// CHECK-SAME: %[[B1:[^:]*]]: memref<4xf32>, %[[A1:[^:]*]]: memref<4xf32>) -> f32
// CHECK: %[[CST1:.*]] = arith.constant 1.0
// CHECK: %[[X:.*]] = memref.load %[[B1]]
// CHECK: linalg.fill ins(%[[X]] : f32) outs(%[[A1]]
// CHECK: %[[V:.*]] = memref.alloc()
// CHECK: linalg.fill ins(%[[CST1]] : f32) outs(%[[V]]
// CHECK: linalg.copy ins(%[[V]] : memref<4xf32>) outs(%[[B1]]
// CHECK-NEXT: return %[[X]] : f32
// CHECK-LABEL: func.func private @step_chunk2(
// CHECK-SAME: %[[X2:[^:]*]]: f32, %[[B2:[^:]*]]: memref<4xf32>)
// CHECK-NEXT: linalg.fill ins(%[[X2]] : f32) outs(%[[B2]]
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[SA:[^:]*]]: memref<4xf32>, %[[SB:[^:]*]]: memref<4xf32>)
// CHECK: call @step_chunk0(%[[SA]], %[[SB]])
// CHECK: %[[R:.*]] = call @step_chunk1(%[[SB]], %[[SA]])
// CHECK: call @step_chunk2(%[[R]], %[[SB]])
// CHECK-NEXT: return
// Functions with fewer structured ops than the threshold (256) are kept.
// SMALL-NOT: call
// SMALL-NOT: chunk
memref.global "private" @g : memref<4xf32> = uninitialized
func.func @step(%a: memref<4xf32>, %b: memref<4xf32>) {
  %cst = arith.constant 1.0 : f32
  %g = memref.get_global @g : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%g : memref<4xf32>)
  linalg.add ins(%g, %a : memref<4xf32>, memref<4xf32>) outs(%b : memref<4xf32>)
  %c0 = arith.constant 0 : index
  %x = memref.load %b[%c0] : memref<4xf32>
  linalg.fill ins(%x : f32) outs(%a : memref<4xf32>)
  %v = memref.alloc() : memref<4xf32>
  linalg.fill ins(%cst : f32) outs(%v : memref<4xf32>)
  linalg.copy ins(%v : memref<4xf32>) outs(%b : memref<4xf32>)
  linalg.fill ins(%x : f32) outs(%b : memref<4xf32>)
  return
}

// -----

// A chunk also ends once it reads max-arguments values from before it.
// ARGS-LABEL: func.func private @wide_chunk0(
// ARGS-SAME: %[[A:[^:]*]]: memref<4xf32>, %[[B:[^:]*]]: memref<4xf32>)
// ARGS-NEXT: linalg.add ins(%[[A]], %[[A]] : {{.*}}) outs(%[[B]]
// ARGS-NEXT: return
// ARGS-LABEL: func.func private @wide_chunk1(
// ARGS-SAME: %[[C:[^:]*]]: memref<4xf32>, %[[D:[^:]*]]: memref<4xf32>)
// ARGS-NEXT: linalg.add ins(%[[C]], %[[C]] : {{.*}}) outs(%[[D]]
// ARGS-NEXT: return
// ARGS-LABEL: func.func private @wide_chunk2(
// ARGS-SAME: %{{[^:]*}}: memref<4xf32>, %{{[^:]*}}: memref<4xf32>)
// ARGS-LABEL: func.func @wide(
// ARGS: call @wide_chunk0
// ARGS: call @wide_chunk1
// ARGS: call @wide_chunk2
func.func @wide(%a: memref<4xf32>, %b: memref<4xf32>, %c: memref<4xf32>, %d: memref<4xf32>) {
  linalg.add ins(%a, %a : memref<4xf32>, memref<4xf32>) outs(%b : memref<4xf32>)
  linalg.add ins(%c, %c : memref<4xf32>, memref<4xf32>) outs(%d : memref<4xf32>)
  linalg.add ins(%d, %d : memref<4xf32>, memref<4xf32>) outs(%a : memref<4xf32>)
  return
}
