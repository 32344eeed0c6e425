// An initializer the mlopt dialect does not define.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

// CHECK: {{.*}}unknown-initializer.mlir:[[@LINE+1]]:56: error: unknown attribute `he_normal` in dialect `mlopt`
mlopt.state @w : tensor<4x4xf32> parameter init #mlopt.he_normal
