// RUN: mlopt-opt %s --mlopt-allocs-to-globals --split-input-file | FileCheck %s

// A static buffer in an entry point's body becomes a view of the function's
// byte arena; the function allocates nothing per call. %b, first used after
// %g's last use, takes %g's bytes although its type differs.
// CHECK: memref.global "private" @__mlopt_arena_step_0 : memref<802816xi8> = uninitialized {alignment = 64 : i64}
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @step
// CHECK-SAME: mlopt.buffer_bytes = 802816 : i64
// CHECK-SAME: mlopt.temporary_bytes = 802856 : i64
// CHECK-NOT: memref.alloc
// CHECK: %[[A:.*]] = memref.get_global @__mlopt_arena_step_0 : memref<802816xi8>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[G:.*]] = memref.view %[[A]][%[[C0]]][] : memref<802816xi8> to memref<256x784xf32>
// CHECK: linalg.fill {{.*}} outs(%[[G]] : memref<256x784xf32>)
// CHECK: %[[A1:.*]] = memref.get_global @__mlopt_arena_step_0
// CHECK: %[[C01:.*]] = arith.constant 0 : index
// CHECK: memref.view %[[A1]][%[[C01]]][] : memref<802816xi8> to memref<10xf32>
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

// Dynamic sizes, allocations inside loops and returned buffers (directly
// or through a view) stay allocations; the function has no arena.
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @kept
// CHECK-SAME: mlopt.buffer_bytes = 0 : i64
// CHECK-SAME: mlopt.temporary_bytes = 0 : i64
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: %[[R:.*]] = memref.alloc() : memref<8xf32>
// CHECK: %[[S:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: %[[V:.*]] = memref.collapse_shape %[[S]]
// CHECK: return %[[R]], %[[V]]
func.func @kept(%n: index) -> (memref<8xf32>, memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %l = memref.alloc() : memref<4xf32>
    memref.dealloc %l : memref<4xf32>
  }
  memref.dealloc %d : memref<?xf32>
  %r = memref.alloc() : memref<8xf32>
  %s = memref.alloc() : memref<2x4xf32>
  %v = memref.collapse_shape %s [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  return %r, %v : memref<8xf32>, memref<8xf32>
}

// -----

// Buffers of different types live at the same time get disjoint bytes, the
// largest first (%b at 0, %a above it, each at a multiple of 64 bytes); %c,
// first used after both, reuses the lowest bytes. A deallocation of a
// planned buffer goes away.
// CHECK: memref.global "private" @__mlopt_arena_overlap_0 : memref<192xi8> = uninitialized {alignment = 64 : i64}
// CHECK-LABEL: func.func @overlap
// CHECK-SAME: mlopt.buffer_bytes = 192 : i64
// CHECK-SAME: mlopt.temporary_bytes = 196 : i64
// CHECK: %[[O1:.*]] = arith.constant 128 : index
// CHECK: %[[A:.*]] = memref.view %{{.*}}[%[[O1]]][] : memref<192xi8> to memref<4x4xf32>
// CHECK: %[[O2:.*]] = arith.constant 0 : index
// CHECK: %[[B:.*]] = memref.view %{{.*}}[%[[O2]]][] : memref<192xi8> to memref<16xf64>
// CHECK: %[[O3:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %{{.*}}[%[[O3]]][] : memref<192xi8> to memref<4xi8>
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @overlap(%x: memref<4x4xf32>, %y: memref<16xf64>, %z: memref<4xi8>) {
  %a = memref.alloc() : memref<4x4xf32>
  %b = memref.alloc() : memref<16xf64>
  %c = memref.alloc() : memref<4xi8>
  linalg.negf ins(%x : memref<4x4xf32>) outs(%a : memref<4x4xf32>)
  linalg.negf ins(%y : memref<16xf64>) outs(%b : memref<16xf64>)
  memref.copy %a, %x : memref<4x4xf32> to memref<4x4xf32>
  memref.copy %b, %y : memref<16xf64> to memref<16xf64>
  memref.dealloc %a : memref<4x4xf32>
  linalg.copy ins(%z : memref<4xi8>) outs(%c : memref<4xi8>)
  linalg.copy ins(%c : memref<4xi8>) outs(%z : memref<4xi8>)
  return
}

// -----

// A buffer's alignment is kept: %b (256) sits at 256 above %a's 100 bytes,
// and the arena is aligned for it.
// CHECK: memref.global "private" @__mlopt_arena_aligned_0 : memref<261xi8> = uninitialized {alignment = 256 : i64}
// CHECK-LABEL: func.func @aligned
// CHECK: arith.constant 0 : index
// CHECK: memref.view {{.*}} to memref<100xi8>
// CHECK: arith.constant 256 : index
// CHECK: memref.view {{.*}} to memref<5xi8>
func.func @aligned(%x: memref<100xi8>, %y: memref<5xi8>) {
  %a = memref.alloc() : memref<100xi8>
  %b = memref.alloc() {alignment = 256 : i64} : memref<5xi8>
  linalg.copy ins(%x : memref<100xi8>) outs(%a : memref<100xi8>)
  linalg.copy ins(%y : memref<5xi8>) outs(%b : memref<5xi8>)
  linalg.copy ins(%a : memref<100xi8>) outs(%x : memref<100xi8>)
  linalg.copy ins(%b : memref<5xi8>) outs(%y : memref<5xi8>)
  return
}

// -----

// An elementwise op may write the buffer it last reads (%b into %a's bytes,
// %c into %b's); a buffer written while another is still to be read gets
// bytes of its own (%d).
// CHECK: memref.global "private" @__mlopt_arena_reuse_0 : memref<96xi8>
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @reuse
// CHECK: %[[O0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %{{.*}}[%[[O0]]]
// CHECK: %[[O1:.*]] = arith.constant 0 : index
// CHECK: %[[B:.*]] = memref.view %{{.*}}[%[[O1]]]
// CHECK: %[[O2:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %{{.*}}[%[[O2]]]
// CHECK: %[[O3:.*]] = arith.constant 64 : index
// CHECK: %[[D:.*]] = memref.view %{{.*}}[%[[O3]]]
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

// In place needs one type: %b, read elementwise into %a of another type by
// the op that first writes it, gets other bytes.
// CHECK: memref.global "private" @__mlopt_arena_cast_0 : memref<96xi8>
// CHECK-LABEL: func.func @cast
// CHECK: arith.constant 0 : index
// CHECK: memref.view {{.*}} to memref<8xf32>
// CHECK: arith.constant 64 : index
// CHECK: memref.view {{.*}} to memref<8xi32>
func.func @cast(%x: memref<8xf32>, %out: memref<8xi32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xi32>
  linalg.negf ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%a : memref<8xf32>) outs(%b : memref<8xi32>) {
  ^bb0(%in: f32, %o: i32):
    %i = arith.fptosi %in : f32 to i32
    linalg.yield %i : i32
  }
  linalg.copy ins(%b : memref<8xi32>) outs(%out : memref<8xi32>)
  return
}

// -----

// A buffer lives as long as the values derived from it: a view, and the
// pointer a call receives. %a and %b overlap so; %c, first used after
// both, takes %a's bytes.
// CHECK: memref.global "private" @__mlopt_arena_derived_0 : memref<96xi8>
// CHECK-LABEL: func.func @derived
// CHECK: arith.constant 0 : index
// CHECK: arith.constant 64 : index
// CHECK: arith.constant 0 : index
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

// -----

// A loop is one position: %a, read in the loop, and %b, written in it,
// overlap; %c, used after the loop only, takes %b's bytes (the larger
// buffer's, placed first).
// CHECK: memref.global "private" @__mlopt_arena_loop_0 : memref<80xi8>
// CHECK-LABEL: func.func @loop
// CHECK: arith.constant 64 : index
// CHECK: memref.view {{.*}} to memref<4xf32>
// CHECK: arith.constant 0 : index
// CHECK: memref.view {{.*}} to memref<8xf32>
// CHECK: arith.constant 0 : index
// CHECK: memref.view {{.*}} to memref<2xf32>
func.func @loop(%x: memref<4xf32>, %y: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<8xf32>
  %c = memref.alloc() : memref<2xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%a : memref<4xf32>)
  scf.for %i = %c0 to %n step %c1 {
    %e = memref.load %a[%c0] : memref<4xf32>
    memref.store %e, %b[%i] : memref<8xf32>
  }
  linalg.copy ins(%b : memref<8xf32>) outs(%y : memref<8xf32>)
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<2xf32>)
  %s = memref.subview %y[0] [2] [1] : memref<8xf32> to memref<2xf32, strided<[1]>>
  linalg.copy ins(%c : memref<2xf32>) outs(%s : memref<2xf32, strided<[1]>>)
  return
}

// -----

// A communicator call may keep the pointers it receives (a bucket that a
// later call reads and writes): %a stays live to the end, and %b, first
// used after %a's last named use, gets bytes of its own.
// CHECK: memref.global "private" @__mlopt_arena_bucket_0 : memref<96xi8>
// CHECK-LABEL: func.func @bucket
// CHECK: arith.constant 0 : index
// CHECK: arith.constant 64 : index
func.func private @mlopt_comm_bucket_add(i64)
func.func private @mlopt_comm_all_reduce()
func.func @bucket(%x: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  linalg.copy ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  %p = memref.extract_aligned_pointer_as_index %a : memref<8xf32> -> index
  %q = arith.index_cast %p : index to i64
  func.call @mlopt_comm_bucket_add(%q) : (i64) -> ()
  linalg.copy ins(%x : memref<8xf32>) outs(%b : memref<8xf32>)
  func.call @mlopt_comm_all_reduce() : () -> ()
  linalg.copy ins(%b : memref<8xf32>) outs(%x : memref<8xf32>)
  return
}
