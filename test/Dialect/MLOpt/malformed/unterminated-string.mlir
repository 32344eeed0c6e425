// A metric name whose string literal is never closed.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

// CHECK: {{.*}}unterminated-string.mlir:[[@LINE+1]]:97: error: expected '"' in string literal
func.func @loss(%x: tensor<f32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = "acc
