// A value used with another type than the one it was defined with.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: {{.*}}wrong-type.mlir:[[@LINE+1]]:19: error: use of value '%x' expects different type than prior uses: 'tensor<8xf32>' vs 'tensor<4xf32>'
  %0 = mlopt.relu %x : tensor<8xf32>
  return %0 : tensor<4xf32>
}
