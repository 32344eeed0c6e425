// RUN: mlopt-opt %s --mlopt-quantize=mode=static | FileCheck %s
// RUN: mlopt-opt %s --mlopt-quantize="mode=static observer=moving-average averaging-constant=0.5 per-channel=false" | FileCheck %s --check-prefix=AVG
// RUN: mlopt-opt %s --mlopt-quantize="mode=static" --mlopt-quantize="mode=convert activation-bits=7" | FileCheck %s --check-prefix=INT8

// mode=static (PyTorch's prepare for post-training quantization): the
// observers only, running min/max by default; the float forward is
// unchanged (no fake_quant), and the op is stamped with its layer for
// mode=convert.

// CHECK:       mlopt.state @fc1.input_observer.min_val : tensor<f32> observer init #mlopt.value<dense<0x7F800000> : tensor<f32>>
// CHECK-NEXT:  mlopt.state @fc1.input_observer.max_val : tensor<f32> observer init #mlopt.value<dense<0xFF800000> : tensor<f32>>
// CHECK-NEXT:  mlopt.state @fc1.weight_observer.min_val : tensor<3xf32> observer
// CHECK-SAME:    init #mlopt.value<dense<0x7F800000> : tensor<3xf32>>
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<2x5x4xbf16> {mlopt.input}
// CHECK-NOT:     mlopt.fake_quant
// CHECK-NOT:     mlopt.quant_params
// CHECK:         %[[W:.*]] = mlopt.state_read @fc1.weight : tensor<3x4xf32>
// CHECK:         %[[WB:.*]] = mlopt.cast %[[W]] : tensor<3x4xf32> to tensor<3x4xbf16>
// CHECK:         %[[MIN:.*]], %[[MAX:.*]] = mlopt.observe %[[X]], %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x5x4xbf16>, tensor<f32>
// CHECK-NEXT:    mlopt.state_write %[[MIN]], @fc1.input_observer.min_val
// CHECK-NEXT:    mlopt.state_write %[[MAX]], @fc1.input_observer.max_val
// CHECK:         mlopt.observe %[[WB]], %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64} : tensor<3x4xbf16>, tensor<3xf32>
// CHECK:         mlopt.linear %[[X]], %[[WB]] {mlopt.quant_layer = "fc1"}
// CHECK-NOT:     mlopt.fake_quant

// AVG:       mlopt.state @fc1.weight_observer.min_val : tensor<f32> observer
// AVG:       mlopt.observe {{.*}} {averaging_constant = 5.000000e-01 : f64} : tensor<2x5x4xbf16>, tensor<f32>
// AVG:       mlopt.observe {{.*}} {averaging_constant = 5.000000e-01 : f64} : tensor<3x4xbf16>, tensor<f32>

// A statically prepared model converts with the ranges of mode=convert's
// own bits: 7-bit activations in i8 ([-64, 63], the int8 kernels' fast
// path), 8-bit weights.
// INT8:       mlopt.state @fc1.weight : tensor<3x4xi8> parameter
// INT8-LABEL: func.func @loss(
// INT8:         mlopt.quantize %{{.*}} {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<2x5x4xbf16>, tensor<f32> -> tensor<2x5x4xi8>
// INT8:         mlopt.quantized_linear
// INT8-NOT:     mlopt.observe

mlopt.state @fc1.weight : tensor<3x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>

func.func @loss(%x: tensor<2x5x4xbf16> {mlopt.input},
                %y: tensor<2x5x3xbf16> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc1.weight : tensor<3x4xf32>
  %wb = mlopt.cast %w : tensor<3x4xf32> to tensor<3x4xbf16>
  %h = mlopt.linear %x, %wb : (tensor<2x5x4xbf16>, tensor<3x4xbf16>) -> tensor<2x5x3xbf16>
  %hf = mlopt.cast %h : tensor<2x5x3xbf16> to tensor<2x5x3xf32>
  %yf = mlopt.cast %y : tensor<2x5x3xbf16> to tensor<2x5x3xf32>
  %l = mlopt.mse_loss %hf, %yf : (tensor<2x5x3xf32>, tensor<2x5x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
