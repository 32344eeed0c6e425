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

// -----

// Buffers whose live ranges do not overlap share a global: an elementwise
// op may write the buffer it last reads (%b, %c into %a's), a buffer written
// while another is still to be read gets its own (%d).
// CHECK: memref.global "private" @__mlopt_buffer_reuse_0 : memref<8xf32>
// CHECK: memref.global "private" @__mlopt_buffer_reuse_1 : memref<8xf32>
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @reuse
// CHECK: %[[A:.*]] = memref.get_global @__mlopt_buffer_reuse_0
// CHECK: %[[B:.*]] = memref.get_global @__mlopt_buffer_reuse_0
// CHECK: %[[C:.*]] = memref.get_global @__mlopt_buffer_reuse_0
// CHECK: %[[D:.*]] = memref.get_global @__mlopt_buffer_reuse_1
// CHECK: linalg.negf ins(%{{.*}} : memref<8xf32>) outs(%[[A]]
// CHECK: linalg.negf ins(%[[A]] : memref<8xf32>) outs(%[[B]]
// CHECK: linalg.add ins(%[[B]], %{{.*}} : {{.*}}) outs(%[[C]]
// CHECK: linalg.negf ins(%{{.*}} : memref<8xf32>) outs(%[[D]]
// CHECK: linalg.add ins(%[[C]], %[[D]] : {{.*}})
func.func @reuse(%x: memref<8xf32>, %out: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  %c = memref.alloc() : memref<8xf32>
  %d = memref.alloc() : memref<8xf32>
  linalg.negf ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  linalg.negf ins(%a : memref<8xf32>) outs(%b : memref<8xf32>)
  linalg.add ins(%b, %x : memref<8xf32>, memref<8xf32>) outs(%c : memref<8xf32>)
  linalg.negf ins(%x : memref<8xf32>) outs(%d : memref<8xf32>)
  linalg.add ins(%c, %d : memref<8xf32>, memref<8xf32>) outs(%out : memref<8xf32>)
  return
}

// -----

// A buffer lives as long as the values derived from it: a view, and the
// pointer a call receives. %a and %b overlap so; %c, first used after
// both, takes one of their globals.
// CHECK: memref.global "private" @__mlopt_buffer_derived_0 : memref<8xf32>
// CHECK: memref.global "private" @__mlopt_buffer_derived_1 : memref<8xf32>
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @derived
// CHECK: memref.get_global @__mlopt_buffer_derived_0
// CHECK: memref.get_global @__mlopt_buffer_derived_1
// CHECK: memref.get_global @__mlopt_buffer_derived_{{[01]}}
func.func private @consume(index)
func.func @derived(%x: memref<8xf32>, %out: memref<2x4xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  %c = memref.alloc() : memref<8xf32>
  linalg.negf ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  linalg.negf ins(%x : memref<8xf32>) outs(%b : memref<8xf32>)
  %p = memref.extract_aligned_pointer_as_index %b : memref<8xf32> -> index
  linalg.copy ins(%v : memref<2x4xf32>) outs(%out : memref<2x4xf32>)
  func.call @consume(%p) : (index) -> ()
  linalg.negf ins(%x : memref<8xf32>) outs(%c : memref<8xf32>)
  return
}
