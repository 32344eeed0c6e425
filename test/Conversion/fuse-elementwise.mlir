// RUN: mlopt-opt %s --mlopt-fuse-elementwise | FileCheck %s

// An elementwise chain fuses into one generic; a matmul reading a reshaped
// operand stays a named op (upstream's reshape propagation would turn it
// into a generic contraction).
// CHECK-LABEL: func.func @chain_and_matmul
// CHECK: %[[X:.*]] = tensor.collapse_shape
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<8x4xf32>, tensor<4x6xf32>)
// CHECK: tensor.expand_shape %[[MM]]
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @chain_and_matmul(%x: tensor<2x4x4xf32>, %w: tensor<4x6xf32>, %a: tensor<8x4xf32>) -> (tensor<2x4x6xf32>, tensor<8x4xf32>) {
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x4x4xf32> into tensor<8x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x6xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x6xf32>) -> tensor<8x6xf32>
  %mm = linalg.matmul ins(%flat, %w : tensor<8x4xf32>, tensor<4x6xf32>) outs(%f : tensor<8x6xf32>) -> tensor<8x6xf32>
  %y = tensor.expand_shape %mm [[0, 1], [2]] output_shape [2, 4, 6] : tensor<8x6xf32> into tensor<2x4x6xf32>
  %e1 = tensor.empty() : tensor<8x4xf32>
  %m = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %a : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e1 : tensor<8x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.mulf %p, %q : f32
    linalg.yield %r : f32
  } -> tensor<8x4xf32>
  %e2 = tensor.empty() : tensor<8x4xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %a : tensor<8x4xf32>, tensor<8x4xf32>) outs(%e2 : tensor<8x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %r = arith.addf %p, %q : f32
    linalg.yield %r : f32
  } -> tensor<8x4xf32>
  return %y, %s : tensor<2x4x6xf32>, tensor<8x4xf32>
}

// The linear fast path: the producer's payload moves into the larger
// consumer, or the consumer's into the larger producer (both below); inputs
// that become identical (%a twice with the same map) are merged; a producer
// that yields its input directly forwards that input; a broadcast in the
// consumer's map composes with the producer's maps.
// CHECK-LABEL: func.func @fast_path
// CHECK-SAME: (%[[A:.*]]: tensor<4x8xf32>, %[[R:.*]]: tensor<8xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID:.*]], #[[ROW:.*]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[R]] : tensor<4x8xf32>, tensor<8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[PA:.*]]: f32, %[[PR:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[N:.*]] = arith.negf %[[PR]]
// CHECK-NEXT: %[[T:.*]] = math.tanh %[[N]]
// CHECK-NEXT: %[[E1:.*]] = math.exp %[[T]]
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[PA]], %[[E1]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[M]], %[[PA]]
// CHECK-NEXT: linalg.yield %[[S]]
// CHECK-NOT: linalg.generic
// CHECK: return
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#id1 = affine_map<(d0) -> (d0)>
func.func @fast_path(%a: tensor<4x8xf32>, %r: tensor<8xf32>) -> tensor<4x8xf32> {
  // A copy-like producer: yields its input.
  %e0 = tensor.empty() : tensor<8xf32>
  %c = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%r : tensor<8xf32>) outs(%e0 : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    linalg.yield %p : f32
  } -> tensor<8xf32>
  // Three ops: larger than the copy (the consumer keeps its region).
  %e1 = tensor.empty() : tensor<8xf32>
  %u = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%c : tensor<8xf32>) outs(%e1 : tensor<8xf32>) {
  ^bb0(%p: f32, %o: f32):
    %n = arith.negf %p : f32
    %t = math.tanh %n : f32
    %x = math.exp %t : f32
    linalg.yield %x : f32
  } -> tensor<8xf32>
  // Broadcast along the rows; smaller than the fused producer (the producer
  // keeps its region).
  %e2 = tensor.empty() : tensor<4x8xf32>
  %m = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a, %u : tensor<4x8xf32>, tensor<8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %y = arith.mulf %p, %q : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m, %a : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %y = arith.addf %p, %q : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}
