// RUN: mlopt-opt %s --mlopt-quantize=mode=dynamic | FileCheck %s
// RUN: mlopt-opt %s --mlopt-quantize="mode=dynamic per-channel=false ops=mlopt.linear" | FileCheck %s --check-prefix=TENSOR
// RUN: mlopt-opt %s --mlopt-quantize="mode=dynamic activation-bits=7 weight-bits=4" | FileCheck %s --check-prefix=BITS

// mode=dynamic (PyTorch's quantize_dynamic): int8 weights with parameters
// from their own range, per output channel (the values here follow from the
// #mlopt.value initializer), and activations quantized per batch in the
// graph: observe of an unobserved range (+inf, -inf), quant_params,
// quantize.

// CHECK-LABEL: module {
// CHECK-NEXT:  mlopt.state @fc.weight : tensor<2x3xi8> parameter init #mlopt.value<dense<{{\[\[}}64, -127, 32], [127, 51, -51]]> : tensor<2x3xi8>>
// CHECK-NEXT:  mlopt.state @fc.weight.scale : tensor<2xf32> buffer init #mlopt.value<dense<[0.0156862754, 0.00196078443]> : tensor<2xf32>>
// CHECK-NEXT:  mlopt.state @fc.weight.zero_point : tensor<2xi32> buffer init #mlopt.value<dense<0> : tensor<2xi32>>
// CHECK-NEXT:  mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
// CHECK-NOT:   fc.input
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<4x3xf32> {mlopt.input}
// CHECK:         %[[INF:.*]] = mlopt.constant dense<0x7F800000> : tensor<f32>
// CHECK-NEXT:    %[[NINF:.*]] = mlopt.constant dense<0xFF800000> : tensor<f32>
// CHECK-NEXT:    %[[TRUE:.*]] = mlopt.constant dense<true> : tensor<i1>
// CHECK-NEXT:    %[[MIN:.*]], %[[MAX:.*]] = mlopt.observe %[[X]], %[[INF]], %[[NINF]], %[[TRUE]] : tensor<4x3xf32>, tensor<f32>
// CHECK-NEXT:    %[[S:.*]], %[[Z:.*]] = mlopt.quant_params %[[MIN]], %[[MAX]] {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<f32>
// CHECK-NEXT:    %[[XQ:.*]] = mlopt.quantize %[[X]], %[[S]], %[[Z]] {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi8>
// CHECK:         %[[W:.*]] = mlopt.state_read @fc.weight : tensor<2x3xi8>
// CHECK-NEXT:    mlopt.quantized_linear %[[XQ]], %[[Z]], %[[W]]
// CHECK:         mlopt.dequantize
// The matmul of two activations: both quantized per batch.
// CHECK:         mlopt.observe
// CHECK:         mlopt.observe
// CHECK:         mlopt.quantized_matmul
// CHECK-NOT:     mlopt.state_write

// Per tensor, only linear.
// TENSOR:       mlopt.state @fc.weight : tensor<2x3xi8> parameter init #mlopt.value<dense<{{\[\[}}64, -127, 32], [16, 6, -6]]> : tensor<2x3xi8>>
// TENSOR-NEXT:  mlopt.state @fc.weight.scale : tensor<f32> buffer init #mlopt.value<dense<0.0156862754> : tensor<f32>>
// TENSOR:       mlopt.quantized_linear
// TENSOR:       mlopt.matmul

// Narrower ranges in i8: 4-bit weights (symmetric, [-8, 7]: scale
// max|w| / 7.5; -2 * (1/scale) rounds to -7.4999995 in f32, so -7) and
// 7-bit activations ([-64, 63], the int8 kernels' fast path).
// BITS-LABEL: module {
// BITS-NEXT:  mlopt.state @fc.weight : tensor<2x3xi8> parameter init #mlopt.value<dense<{{\[\[}}4, -7, 2], [7, 3, -3]]> : tensor<2x3xi8>>
// BITS-NEXT:  mlopt.state @fc.weight.scale : tensor<2xf32> buffer init #mlopt.value<dense<[0.266666681, 0.0333333351]> : tensor<2xf32>>
// BITS:         mlopt.quant_params %{{.*}}, %{{.*}} {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<f32>
// BITS-NEXT:    mlopt.quantize %{{.*}} {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi8>
// BITS:         mlopt.quantized_linear
// BITS:         mlopt.quant_params %{{.*}}, %{{.*}} {quant_max = 63 : i64, quant_min = -64 : i64}
// BITS:         mlopt.quantized_matmul

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, -2.0, 0.5], [0.25, 0.1, -0.1]]> : tensor<2x3xf32>>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x4xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %pt = mlopt.transpose %p, [1, 0] : tensor<4x2xf32> -> tensor<2x4xf32>
  %m = mlopt.matmul %p, %pt : (tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<4x4xf32>
  %l = mlopt.mse_loss %m, %y : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
