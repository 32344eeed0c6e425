// A missing '=' between a result and its op is a located parse error.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}syntax-error.mlir:[[@LINE+1]]:5: error: expected '=' after SSA name
  %0 mlopt.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
