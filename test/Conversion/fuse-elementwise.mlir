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
