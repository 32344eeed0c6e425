// Checks that examples/mlp.mlir parses, verifies and round-trips.
// RUN: mlopt-opt %mlopt_src_root/examples/mlp.mlir | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %mlopt_src_root/examples/mlp.mlir --mlir-print-op-generic | mlopt-opt | FileCheck %s

// CHECK: mlopt.state @fc1.weight : tensor<256x784xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
// CHECK: mlopt.state @fc1.bias : tensor<256xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 784>
// CHECK: mlopt.state @fc2.weight : tensor<10x256xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
// CHECK: mlopt.state @fc2.bias : tensor<10xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 256>
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[X:.*]]: tensor<128x784xf32> {mlopt.input}, %[[Y:.*]]: tensor<128xi64> {mlopt.label})
// CHECK-SAME: -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.loss}
// CHECK: %[[H:.*]] = mlopt.linear %[[X]], {{.*}} -> tensor<128x256xf32>
// CHECK: %[[A:.*]] = mlopt.relu %[[H]] : tensor<128x256xf32>
// CHECK: %[[LOGITS:.*]] = mlopt.linear %[[A]], {{.*}} -> tensor<128x10xf32>
// CHECK: %[[LOSS:.*]] = mlopt.cross_entropy %[[LOGITS]], %[[Y]] : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
// CHECK: %[[ACC:.*]] = mlopt.accuracy %[[LOGITS]], %[[Y]] : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
// CHECK: return %[[LOSS]], %[[ACC]] : tensor<f32>, tensor<f32>
