// RUN: mlopt-opt %s --mlopt-allocs-to-globals --split-input-file | FileCheck %s

// A static buffer in an entry point's body becomes a private global of its
// own; the function allocates nothing per call.
// CHECK: memref.global "private" @__mlopt_buffer_step_0 : memref<256x784xf32> = uninitialized {alignment = 64 : i64}
// CHECK: memref.global "private" @__mlopt_buffer_step_1 : memref<10xf32> = uninitialized
// CHECK-LABEL: func.func @step
// CHECK-NOT: memref.alloc
// CHECK: %[[G:.*]] = memref.get_global @__mlopt_buffer_step_0 : memref<256x784xf32>
// CHECK: linalg.fill {{.*}} outs(%[[G]] : memref<256x784xf32>)
// CHECK: memref.get_global @__mlopt_buffer_step_1 : memref<10xf32>
func.func @step(%w: memref<256x784xf32>) {
  %zero = arith.constant 0.0 : f32
  %g = memref.alloc() {alignment = 64 : i64} : memref<256x784xf32>
  linalg.fill ins(%zero : f32) outs(%g : memref<256x784xf32>)
  memref.copy %g, %w : memref<256x784xf32> to memref<256x784xf32>
  %b = memref.alloc() : memref<10xf32>
  linalg.fill ins(%zero : f32) outs(%b : memref<10xf32>)
  return
}

// -----

// Dynamic sizes, allocations inside loops and returned buffers stay.
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @kept
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: %[[R:.*]] = memref.alloc() : memref<8xf32>
// CHECK: return %[[R]]
func.func @kept(%n: index) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %l = memref.alloc() : memref<4xf32>
    memref.dealloc %l : memref<4xf32>
  }
  memref.dealloc %d : memref<?xf32>
  %r = memref.alloc() : memref<8xf32>
  return %r : memref<8xf32>
}
