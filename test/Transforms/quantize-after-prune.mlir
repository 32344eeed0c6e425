// RUN: mlopt-opt %s --mlopt-prune="method=nm n=2 m=4" --mlopt-quantize=mode=qat | FileCheck %s
// RUN: mlopt-opt %s --mlopt-prune="method=nm n=2 m=4" --mlopt-quantize=mode=qat --mlopt-train-pipeline="optimizer=adam lr=0.01" | FileCheck %s --check-prefix=TRAIN

// mlopt-quantize after mlopt-prune: the weight's observer and fake_quant
// see the masked weight (apply_mask), the layer is named after the state
// behind the mask, and fake_quant(0) = 0 for the symmetric weight, so the
// 2:4 mask survives QAT. The optimizer still masks the updated weight.

// CHECK:       mlopt.state @fc.weight.mask : tensor<4x8xf32> mask
// CHECK:       mlopt.state @fc.weight_observer.min_val : tensor<4xf32> observer
// CHECK-LABEL: func.func @loss(
// CHECK:         mlopt.prune_mask
// CHECK:         %[[W:.*]] = mlopt.state_read @fc.weight : tensor<4x8xf32>
// CHECK-NEXT:    %[[WM:.*]] = mlopt.apply_mask %[[W]], %{{.*}} : tensor<4x8xf32>
// CHECK:         mlopt.observe %[[WM]], %{{.*}}, %{{.*}}, %{{.*}} {averaging_constant = 1.000000e-02 : f64, axis = 0 : i64} : tensor<4x8xf32>, tensor<4xf32>
// CHECK:         %[[WQ:.*]] = mlopt.fake_quant %[[WM]], {{.*}} {axis = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : tensor<4x8xf32>, tensor<4xf32>
// CHECK-NEXT:    mlopt.linear %{{.*}}, %[[WQ]], %{{.*}} {mlopt.quant_layer = "fc"}

// TRAIN-LABEL: func.func @train_step(
// TRAIN:         mlopt.fake_quant_grad
// TRAIN:         %[[MASK:.*]] = mlopt.state_read @fc.weight.mask
// TRAIN:         mlopt.apply_mask %{{.*}}, %[[MASK]]
// TRAIN:         mlopt.state_write %{{.*}}, @fc.weight : tensor<4x8xf32>

mlopt.state @fc.weight : tensor<4x8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<4xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<2x8xf32> {mlopt.input},
                %y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<4x8xf32>
  %b = mlopt.state_read @fc.bias : tensor<4xf32>
  %h = mlopt.linear %x, %w, %b
      : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
