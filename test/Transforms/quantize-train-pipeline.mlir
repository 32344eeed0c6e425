// RUN: mlopt-opt %s --mlopt-quantize="mode=qat freeze-observers-after=10" --mlopt-train-pipeline="optimizer=sgd lr=0.1" | FileCheck %s

// A QAT model through mlopt-autodiff, mlopt-optimizer and
// mlopt-entry-points: fake_quant's gradient is the straight-through
// estimator (fake_quant_grad), the observers are state of kind observer
// that the training step updates and no optimizer touches, @init writes
// their initial range, and @eval_step / @predict_step use the observed
// ranges without updating them.

// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[
// CHECK-SAME:    <"fc.weight", parameter, tensor<4x8xf32>, trainable>
// CHECK-SAME:    <"quantization.step", step, tensor<i64>>
// CHECK-SAME:    <"fc.input_observer.min_val", observer, tensor<f32>>
// CHECK-SAME:    <"fc.weight_observer.max_val", observer, tensor<4xf32>>
// CHECK-NOT:   optimizer.fc.input_observer

// CHECK-LABEL: func.func @train_step(
// CHECK:         mlopt.state_write %{{.*}}, @quantization.step : tensor<i64>
// CHECK:         %[[MIN:.*]], %[[MAX:.*]] = mlopt.observe
// CHECK-NEXT:    mlopt.state_write %[[MIN]], @fc.input_observer.min_val
// CHECK-NEXT:    mlopt.state_write %[[MAX]], @fc.input_observer.max_val
// CHECK:         %[[WS:.*]], %[[WZ:.*]] = mlopt.quant_params {{.*}} symmetric} : tensor<4xf32>
// CHECK-NEXT:    %[[WQ:.*]] = mlopt.fake_quant %[[W:[^,]*]], %[[WS]], %[[WZ]] {axis = 0 : i64
// CHECK:         mlopt.linear %{{.*}}, %[[WQ]]
// CHECK:         mlopt.fake_quant_grad %{{.*}}, %[[W]], %[[WS]], %[[WZ]] {axis = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : tensor<4x8xf32>, tensor<4xf32>
// CHECK:         mlopt.state_write %{{.*}}, @fc.weight : tensor<4x8xf32>
// CHECK:         return

// CHECK-LABEL: func.func @init(
// CHECK:         mlopt.state_write %{{.*}}, @fc.input_observer.min_val : tensor<f32>
// CHECK:         return

// CHECK-LABEL: func.func @eval_step(
// CHECK-NOT:     mlopt.observe
// CHECK-NOT:     mlopt.state_write
// CHECK:         %[[EMIN:.*]] = mlopt.state_read @fc.input_observer.min_val
// CHECK-NEXT:    %[[EMAX:.*]] = mlopt.state_read @fc.input_observer.max_val
// CHECK-NEXT:    mlopt.quant_params %[[EMIN]], %[[EMAX]]
// CHECK-NOT:     mlopt.observe
// CHECK-NOT:     mlopt.state_write
// CHECK:         return

// CHECK-LABEL: func.func @predict_step(
// CHECK-NOT:     mlopt.observe
// CHECK:         mlopt.fake_quant
// CHECK-NOT:     mlopt.observe
// CHECK:         return

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
