// A state kind outside the StateKind enum.
// RUN: not mlopt-opt %s 2>&1 | FileCheck %s

// CHECK: {{.*}}unknown-state-kind.mlir:[[@LINE+1]]:32: error: custom op 'mlopt.state' expected string or keyword containing one of the following enum values for attribute 'kind'
mlopt.state @w : tensor<4xf32> weight init #mlopt.zeros
