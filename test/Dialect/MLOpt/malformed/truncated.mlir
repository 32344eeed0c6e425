// RUN: not mlopt-opt %s 2>&1 | FileCheck %s
// A file that ends inside a function body.
// CHECK: {{.*}}truncated.mlir:6:37: error: expected operation name in quotes

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mlopt.relu %x : tensor<4xf32>
