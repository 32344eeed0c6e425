// Checks that examples/toy_linear.mlir parses, verifies and round-trips.
// RUN: mlopt-opt %mlopt_src_root/examples/toy_linear.mlir | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %mlopt_src_root/examples/toy_linear.mlir --mlir-print-op-generic | mlopt-opt | FileCheck %s

// CHECK: mlopt.state @fc.weight : tensor<1x10xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
// CHECK: mlopt.state @fc.bias : tensor<1xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 10>
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[X:.*]]: tensor<32x10xf32> {mlopt.input}, %[[Y:.*]]: tensor<32x1xf32> {mlopt.label}) -> tensor<f32>
// CHECK-SAME: attributes {mlopt.loss}
// CHECK-DAG: %[[W:.*]] = mlopt.state_read @fc.weight : tensor<1x10xf32>
// CHECK-DAG: %[[B:.*]] = mlopt.state_read @fc.bias : tensor<1xf32>
// CHECK: %[[P:.*]] = mlopt.linear %[[X]], %[[W]], %[[B]] : {{.*}} -> tensor<32x1xf32>
// CHECK: %[[L:.*]] = mlopt.mse_loss %[[P]], %[[Y]]
// CHECK: return %[[L]] : tensor<f32>
