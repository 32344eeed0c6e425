// An initializer attribute whose parameters are not comma separated.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

// CHECK: {{.*}}bad-attribute.mlir:[[@LINE+1]]:68: error: expected ','
mlopt.state @w : tensor<4xf32> buffer init #mlopt.uniform<low = 0.0 high = 1.0>
