// An element type that does not exist.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

// CHECK: {{.*}}bad-type.mlir:[[@LINE+1]]:27: error: expected non-function type
func.func @f(%x: tensor<4xfloat>) {
  return
}
