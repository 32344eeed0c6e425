// An op the mlopt dialect does not define.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}unknown-op.mlir:[[@LINE+1]]:8: error: custom op 'mlopt.swish' is unknown
  %0 = mlopt.swish %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
