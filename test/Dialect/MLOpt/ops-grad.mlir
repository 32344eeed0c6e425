// Ops that exist for the VJP rules: mlopt.erf (gelu's Gaussian CDF).
// RUN: mlopt-opt %s -split-input-file | FileCheck %s
// RUN: mlopt-opt %s -split-input-file | mlopt-opt -split-input-file | FileCheck %s
// RUN: mlopt-opt %s -split-input-file -mlir-print-op-generic | mlopt-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @erf(
// CHECK-SAME:      %[[X:.*]]: tensor<4x8xf32>, %[[H:.*]]: tensor<3xbf16>, %[[S:.*]]: tensor<f64>)
// CHECK:         %[[A:.*]] = mlopt.erf %[[X]] : tensor<4x8xf32>
// CHECK:         %[[B:.*]] = mlopt.erf %[[H]] : tensor<3xbf16>
// CHECK:         %[[C:.*]] = mlopt.erf %[[S]] : tensor<f64>
// CHECK:         return %[[A]], %[[B]], %[[C]]
func.func @erf(%x: tensor<4x8xf32>, %h: tensor<3xbf16>, %s: tensor<f64>)
    -> (tensor<4x8xf32>, tensor<3xbf16>, tensor<f64>) {
  %a = mlopt.erf %x : tensor<4x8xf32>
  %b = mlopt.erf %h : tensor<3xbf16>
  %c = mlopt.erf %s : tensor<f64>
  return %a, %b, %c : tensor<4x8xf32>, tensor<3xbf16>, tensor<f64>
}
