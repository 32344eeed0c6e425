// RUN: mlopt-opt %s --mlopt-linalg-to-blas --canonicalize | FileCheck %s

// CHECK-DAG: func.func private @mlopt_sgemm(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-DAG: func.func private @mlopt_gemm_bf16(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-DAG: func.func private @mlopt_gemm_f16(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)

// Transposes are read off the indexing maps; pointers, leading dimensions
// and batch strides come from the strided metadata.
// CHECK-LABEL: func.func @matmul_tb
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[SIX:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[FIVE:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4 : i64
// CHECK: %[[A:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[PA:.*]] = arith.index_cast %[[A]] : index to i64
// CHECK: call @mlopt_sgemm(%[[ZERO]], %[[ONE]], %[[SIX]], %[[FIVE]], %[[FOUR]], %[[PA]], %[[FOUR]], %{{.*}}, %[[FOUR]], %{{.*}}, %[[FIVE]], %[[ONE]], %[[ZERO]], %[[ZERO]], %[[ZERO]])
// CHECK-NOT: linalg.matmul
func.func @matmul_tb(%a: memref<6x4xf32>, %b: memref<5x4xf32>, %c: memref<6x5xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : memref<6x4xf32>, memref<5x4xf32>) outs(%c : memref<6x5xf32>)
  return
}

// CHECK-LABEL: func.func @batch_ta
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK: call @mlopt_sgemm(%[[ONE]], %[[ZERO]],
func.func @batch_ta(%a: memref<3x8x5xf32>, %b: memref<3x8x4xf32>, %c: memref<3x5x4xf32>) {
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, k, m)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
      ins(%a, %b : memref<3x8x5xf32>, memref<3x8x4xf32>) outs(%c : memref<3x5x4xf32>)
  return
}

// bf16 (f16) operands accumulating into f32 call mlopt_gemm_bf16
// (mlopt_gemm_f16); a subview's offset is counted in 2-byte elements.
// CHECK-LABEL: func.func @low_precision
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[EIGHT:.*]] = arith.constant 8 : i64
// CHECK: %[[BASE:.*]] = memref.extract_aligned_pointer_as_index %subview
// CHECK: %[[P:.*]] = arith.index_cast %[[BASE]] : index to i64
// CHECK: %[[PA:.*]] = arith.addi %[[P]], %[[EIGHT]] : i64
// CHECK: call @mlopt_gemm_bf16(%{{.*}}, %{{.*}}, %[[TWO]], %{{.*}}, %{{.*}}, %[[PA]],
// CHECK: call @mlopt_gemm_f16(
// CHECK-NOT: linalg.matmul
func.func @low_precision(%a: memref<6x4xbf16>, %b: memref<4x5xbf16>, %c: memref<2x5xf32>,
                         %d: memref<6x4xf16>, %e: memref<4x5xf16>, %f: memref<6x5xf32>) {
  %s = memref.subview %a[1, 0] [2, 4] [1, 1] : memref<6x4xbf16> to memref<2x4xbf16, strided<[4, 1], offset: 4>>
  linalg.matmul ins(%s, %b : memref<2x4xbf16, strided<[4, 1], offset: 4>>, memref<4x5xbf16>) outs(%c : memref<2x5xf32>)
  linalg.matmul ins(%d, %e : memref<6x4xf16>, memref<4x5xf16>) outs(%f : memref<6x5xf32>)
  return
}

// f64, bf16 operands into a bf16 C, and non-unit inner strides stay for the loop lowering.
// CHECK-LABEL: func.func @unsupported
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK-NOT: call @mlopt_
func.func @unsupported(%a: memref<6x4xf64>, %b: memref<4x5xf64>, %c: memref<6x5xf64>,
                       %s: memref<6x4xf32, strided<[1, 6]>>, %t: memref<4x5xf32>, %u: memref<6x5xf32>,
                       %v: memref<6x4xbf16>, %w: memref<4x5xbf16>, %x: memref<6x5xbf16>) {
  linalg.matmul ins(%a, %b : memref<6x4xf64>, memref<4x5xf64>) outs(%c : memref<6x5xf64>)
  linalg.matmul ins(%v, %w : memref<6x4xbf16>, memref<4x5xbf16>) outs(%x : memref<6x5xbf16>)
  linalg.matmul ins(%s, %t : memref<6x4xf32, strided<[1, 6]>>, memref<4x5xf32>) outs(%u : memref<6x5xf32>)
  return
}

