// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s

// bf16 linear: the matmul reads the bf16 operands directly and accumulates
// in f32, onto the bias extended to f32; one truncf rounds the result.
// CHECK-LABEL: func.func @linear_bf16
// CHECK: %[[BIAS:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<5xbf16>) outs(%{{.*}} : tensor<6x5xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[Y:.*]] = linalg.matmul
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<6x4xbf16>, tensor<5x4xbf16>) outs(%[[BIAS]] : tensor<6x5xf32>)
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[Y]] : tensor<6x5xf32>) outs(%{{.*}} : tensor<6x5xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: tensor.expand_shape %[[R]]
func.func @linear_bf16(%x: tensor<2x3x4xbf16>, %w: tensor<5x4xbf16>, %b: tensor<5xbf16>) -> tensor<2x3x5xbf16> {
  %y = mlopt.linear %x, %w, %b : (tensor<2x3x4xbf16>, tensor<5x4xbf16>, tensor<5xbf16>) -> tensor<2x3x5xbf16>
  return %y : tensor<2x3x5xbf16>
}

// -----

// f16 matmul (with a transposed operand folded into the map): f32 zeros as
// the accumulator.
// CHECK-LABEL: func.func @matmul_f16
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<4x6xf32>)
// CHECK: %[[Y:.*]] = linalg.matmul
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<8x4xf16>, tensor<8x6xf16>) outs(%[[ACC]] : tensor<4x6xf32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[Y]] : tensor<4x6xf32>) outs(%{{.*}} : tensor<4x6xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @matmul_f16(%a: tensor<8x4xf16>, %b: tensor<8x6xf16>) -> tensor<4x6xf16> {
  %t = mlopt.transpose %a, [1, 0] : tensor<8x4xf16> -> tensor<4x8xf16>
  %c = mlopt.matmul %t, %b : (tensor<4x8xf16>, tensor<8x6xf16>) -> tensor<4x6xf16>
  return %c : tensor<4x6xf16>
}

// -----

// bf16 batch_matmul accumulates in f32.
// CHECK-LABEL: func.func @batch_matmul_bf16
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<8x8x8xf32>)
// CHECK: %[[Y:.*]] = linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<8x8x16xbf16>, tensor<8x16x8xbf16>) outs(%[[ACC]] : tensor<8x8x8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[Y]] : tensor<8x8x8xf32>) outs(%{{.*}} : tensor<8x8x8xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @batch_matmul_bf16(%q: tensor<2x4x8x16xbf16>, %k: tensor<2x4x16x8xbf16>) -> tensor<2x4x8x8xbf16> {
  %s = mlopt.batch_matmul %q, %k : (tensor<2x4x8x16xbf16>, tensor<2x4x16x8xbf16>) -> tensor<2x4x8x8xbf16>
  return %s : tensor<2x4x8x8xbf16>
}

// -----

// Any other compute op computes in f32 between casts: the sum accumulates
// in f32 (the reduction's init and accumulator are f32) and is rounded once.
// CHECK-LABEL: func.func @sum_bf16
// CHECK: %[[WIDE:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<4x8xbf16>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: ins(%[[WIDE]] : tensor<4x8xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SUM]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @sum_bf16(%x: tensor<4x8xbf16>) -> tensor<4xbf16> {
  %s = mlopt.sum %x dims = [1] : tensor<4x8xbf16> -> tensor<4xbf16>
  return %s : tensor<4xbf16>
}

// -----

// Elementwise f16: extf, the op in f32, truncf (fused into one generic by
// mlopt-fuse-elementwise later).
// CHECK-LABEL: func.func @exp_f16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: math.exp %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT: math.exp %{{.*}} : f16
func.func @exp_f16(%x: tensor<16xf16>) -> tensor<16xf16> {
  %y = mlopt.exp %x : tensor<16xf16>
  return %y : tensor<16xf16>
}

// -----

// An integer result needs no cast back: argmax of bf16 compares in f32.
// CHECK-LABEL: func.func @argmax_bf16
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.cmpf ugt, %{{.*}}, %{{.*}} : f32
// CHECK-NOT: arith.truncf
// CHECK: return %{{.*}} : tensor<4xi64>
func.func @argmax_bf16(%x: tensor<4x8xbf16>) -> tensor<4xi64> {
  %a = mlopt.argmax %x dim = 1 : tensor<4x8xbf16> -> tensor<4xi64>
  return %a : tensor<4xi64>
}

// -----

// f32 is untouched: no casts.
// CHECK-LABEL: func.func @exp_f32
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: math.exp %{{.*}} : f32
func.func @exp_f32(%x: tensor<16xf32>) -> tensor<16xf32> {
  %y = mlopt.exp %x : tensor<16xf32>
  return %y : tensor<16xf32>
}
