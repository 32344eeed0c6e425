// RUN: mlopt-opt %s --mlopt-outline-chunks="threshold=100 op-threshold=12 max-ops=6" | FileCheck %s
// RUN: mlopt-opt %s --mlopt-outline-chunks="threshold=100 op-threshold=20 max-ops=6" | FileCheck %s --check-prefix=KEEP

// Two loop nests are far below the structured-op threshold, but their
// payloads make 12 operations (6 each, the generic and its yield included)
// and the return 13: more than op-threshold, so the function is cut after
// max-ops operations.
// CHECK-LABEL: func.func private @payload_chunk0(
// CHECK: linalg.generic
// CHECK-COUNT-3: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func private @payload_chunk1(
// CHECK: linalg.generic
// CHECK-COUNT-3: arith.addf
// CHECK: return
// CHECK-LABEL: func.func @payload(
// CHECK-NEXT: call @payload_chunk0
// CHECK-NEXT: call @payload_chunk1
// CHECK-NEXT: return
// Below op-threshold nothing changes.
// KEEP-NOT: chunk
#id = affine_map<(d0) -> (d0)>
func.func @payload(%a: memref<4xf32>, %b: memref<4xf32>, %c: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : memref<4xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %0 = arith.mulf %x, %x : f32
    %1 = arith.mulf %0, %x : f32
    %2 = arith.mulf %1, %x : f32
    %3 = arith.negf %2 : f32
    linalg.yield %3 : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%b : memref<4xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %0 = arith.addf %x, %x : f32
    %1 = arith.addf %0, %x : f32
    %2 = arith.addf %1, %x : f32
    %3 = arith.negf %2 : f32
    linalg.yield %3 : f32
  }
  return
}
