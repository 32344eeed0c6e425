// The IR of mlopt-prune, with the masks of a trained model put in (sed
// stands for the checkpoint), finalizes: ln dim=0 removes fc1's neurons 0
// and 2, and l1 on fc2 only folds.
// RUN: mlopt-opt %s --mlopt-prune='method=ln dim=0 amount=0.5 targets=fc1\.weight' \
// RUN:   --mlopt-prune='method=l1 amount=0.5 targets=fc2\.weight' \
// RUN: | sed -e 's/@fc1.weight.mask : tensor<4x3xf32> mask init #mlopt.ones/@fc1.weight.mask : tensor<4x3xf32> mask init #mlopt.value<dense<[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>>/' \
// RUN:       -e 's/@fc1.bias.mask : tensor<4xf32> mask init #mlopt.ones/@fc1.bias.mask : tensor<4xf32> mask init #mlopt.value<dense<[0.0, 1.0, 0.0, 1.0]> : tensor<4xf32>>/' \
// RUN:       -e 's/@fc2.weight.mask : tensor<2x4xf32> mask init #mlopt.ones/@fc2.weight.mask : tensor<2x4xf32> mask init #mlopt.value<dense<[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]> : tensor<2x4xf32>>/' \
// RUN: | mlopt-opt --mlopt-prune-finalize | FileCheck %s

// CHECK-LABEL: mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[4.000000e+00, 5.000000e+00, 6.000000e+00], [1.000000e+01, 1.100000e+01, 1.200000e+01]]> : tensor<2x3xf32>>
// CHECK-NEXT: mlopt.state @fc1.bias : tensor<2xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<[2.000000e-01, 4.000000e-01]> : tensor<2xf32>>
// CHECK-NEXT: mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[0.000000e+00, 0.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>>
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK-NOT: mlopt.apply_mask
// CHECK-NOT: mlopt.prune_mask
// CHECK-NOT: mlopt.sparsity_schedule
// CHECK-NOT: mlopt.state_write
// CHECK: mlopt.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
// CHECK: mlopt.linear %{{.*}}, %{{.*}} : (tensor<8x2xf32>, tensor<2x2xf32>) -> tensor<8x2xf32>
mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0],
                             [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<4x3xf32>>
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable
    init #mlopt.value<dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>>
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>>

func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<8x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %o = mlopt.linear %a, %w2 : (tensor<8x4xf32>, tensor<2x4xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
