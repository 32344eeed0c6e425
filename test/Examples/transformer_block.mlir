// Checks that examples/transformer_block.mlir parses, verifies and round-trips.
// RUN: mlopt-opt %mlopt_src_root/examples/transformer_block.mlir | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %mlopt_src_root/examples/transformer_block.mlir --mlir-print-op-generic | mlopt-opt | FileCheck %s

// CHECK: mlopt.state @ln1.weight : tensor<256xf32> parameter trainable init #mlopt.ones
// CHECK: mlopt.state @ln1.bias : tensor<256xf32> parameter trainable init #mlopt.zeros
// CHECK: mlopt.state @attn.q_proj.weight : tensor<256x256xf32>
// CHECK: mlopt.state @attn.out_proj.bias : tensor<256xf32>
// CHECK: mlopt.state @ffn.fc2.bias : tensor<256xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 1024>
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[X:.*]]: tensor<16x128x256xf32> {mlopt.input}, %[[T:.*]]: tensor<16x128x256xf32> {mlopt.label}) -> tensor<f32>
// CHECK: %[[XN:.*]] = mlopt.layer_norm %[[X]] weight
// CHECK: %[[Q:.*]] = mlopt.linear %[[XN]]
// CHECK: %[[K:.*]] = mlopt.linear %[[XN]]
// CHECK: %[[V:.*]] = mlopt.linear %[[XN]]
// CHECK: %[[Q4:.*]] = mlopt.reshape %[[Q]] : tensor<16x128x256xf32> to tensor<16x128x4x64xf32>
// CHECK: %[[K4:.*]] = mlopt.reshape %[[K]]
// CHECK: %[[V4:.*]] = mlopt.reshape %[[V]]
// CHECK: %[[QH:.*]] = mlopt.transpose %[[Q4]], [0, 2, 1, 3] : tensor<16x128x4x64xf32> -> tensor<16x4x128x64xf32>
// CHECK: %[[KT:.*]] = mlopt.transpose %[[K4]], [0, 2, 3, 1] : tensor<16x128x4x64xf32> -> tensor<16x4x64x128xf32>
// CHECK: %[[VH:.*]] = mlopt.transpose %[[V4]], [0, 2, 1, 3]
// CHECK: %[[RAW:.*]] = mlopt.batch_matmul %[[QH]], %[[KT]] : {{.*}} -> tensor<16x4x128x128xf32>
// CHECK: %[[SCALE:.*]] = mlopt.constant dense<1.250000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = mlopt.mul %[[RAW]], %[[SCALE]]
// CHECK: %[[P:.*]] = mlopt.softmax %[[S]] dim = -1 : tensor<16x4x128x128xf32>
// CHECK: %[[CTX:.*]] = mlopt.batch_matmul %[[P]], %[[VH]] : {{.*}} -> tensor<16x4x128x64xf32>
// CHECK: %[[CT:.*]] = mlopt.transpose %[[CTX]], [0, 2, 1, 3]
// CHECK: %[[M:.*]] = mlopt.reshape %[[CT]] : tensor<16x128x4x64xf32> to tensor<16x128x256xf32>
// CHECK: %[[ATTN:.*]] = mlopt.linear %[[M]]
// CHECK: %[[H:.*]] = mlopt.add %[[X]], %[[ATTN]] : tensor<16x128x256xf32>
// CHECK: %[[HN:.*]] = mlopt.layer_norm %[[H]] weight
// CHECK: %[[UP:.*]] = mlopt.linear %[[HN]], {{.*}} -> tensor<16x128x1024xf32>
// CHECK: %[[ACT:.*]] = mlopt.gelu %[[UP]] : tensor<16x128x1024xf32>
// CHECK: %[[DOWN:.*]] = mlopt.linear %[[ACT]], {{.*}} -> tensor<16x128x256xf32>
// CHECK: %[[OUT:.*]] = mlopt.add %[[H]], %[[DOWN]]
// CHECK: %[[L:.*]] = mlopt.mse_loss %[[OUT]], %[[T]]
// CHECK: return %[[L]] : tensor<f32>
