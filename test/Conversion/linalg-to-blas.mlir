// RUN: mlopt-opt %s --mlopt-linalg-to-blas --canonicalize | FileCheck %s

// CHECK: func.func private @mlopt_sgemm(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)

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

// f64 and non-unit inner strides stay for the loop lowering.
// CHECK-LABEL: func.func @unsupported
// CHECK: linalg.matmul
// CHECK: linalg.matmul
// CHECK-NOT: call @mlopt_sgemm
func.func @unsupported(%a: memref<6x4xf64>, %b: memref<4x5xf64>, %c: memref<6x5xf64>,
                       %s: memref<6x4xf32, strided<[1, 6]>>, %t: memref<4x5xf32>, %u: memref<6x5xf32>) {
  linalg.matmul ins(%a, %b : memref<6x4xf64>, memref<4x5xf64>) outs(%c : memref<6x5xf64>)
  linalg.matmul ins(%s, %t : memref<6x4xf32, strided<[1, 6]>>, memref<4x5xf32>) outs(%u : memref<6x5xf32>)
  return
}

