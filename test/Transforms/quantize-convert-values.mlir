// RUN: mlopt-opt %s --mlopt-quantize="mode=convert activation-bits=8" | FileCheck %s

// mode=convert: the observers of mode=qat or mode=static give the int8
// model. A weight read from a state becomes that state in i8 with its scale
// and zero point buffers; the input is quantized in the graph with its own;
// linear becomes quantized_linear, int32 sums dequantized with the product
// of the scales, then the bias. The states' values follow from the
// #mlopt.value initializers (QuantMath.h's rules): weight per channel
// symmetric (scale = max|w| / 127.5), input affine (scale = 4 / 255 and
// zero point -128 - round(-1 / scale) = -64 for the range [-1, 3]; 8-bit
// activations, activation-bits=8, the default being 7).

// The first model has the observers of mode=static with calibrated ranges.
// CHECK-LABEL: module {
// CHECK-NEXT:  mlopt.state @fc.weight : tensor<2x3xi8> parameter init #mlopt.value<dense<{{\[\[}}64, -127, 32], [127, 51, -51]]> : tensor<2x3xi8>>
// CHECK-NEXT:  mlopt.state @fc.weight.scale : tensor<2xf32> buffer init #mlopt.value<dense<[0.0156862754, 0.00196078443]> : tensor<2xf32>>
// CHECK-NEXT:  mlopt.state @fc.weight.zero_point : tensor<2xi32> buffer init #mlopt.value<dense<0> : tensor<2xi32>>
// CHECK-NEXT:  mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
// CHECK-NEXT:  mlopt.state @fc.input.scale : tensor<f32> buffer init #mlopt.value<dense<0.0156862754> : tensor<f32>>
// CHECK-NEXT:  mlopt.state @fc.input.zero_point : tensor<i32> buffer init #mlopt.value<dense<-64> : tensor<i32>>
// CHECK-NOT:   observer
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<4x3xf32> {mlopt.input}
// CHECK-NOT:     mlopt.observe
// CHECK:         %[[B:.*]] = mlopt.state_read @fc.bias : tensor<2xf32>
// CHECK-NEXT:    %[[XS:.*]] = mlopt.state_read @fc.input.scale : tensor<f32>
// CHECK-NEXT:    %[[XZ:.*]] = mlopt.state_read @fc.input.zero_point : tensor<i32>
// CHECK-NEXT:    %[[XQ:.*]] = mlopt.quantize %[[X]], %[[XS]], %[[XZ]] {quant_max = 127 : i64, quant_min = -128 : i64} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi8>
// CHECK-NEXT:    %[[WS:.*]] = mlopt.state_read @fc.weight.scale : tensor<2xf32>
// CHECK-NEXT:    mlopt.state_read @fc.weight.zero_point : tensor<2xi32>
// CHECK-NEXT:    %[[WQ:.*]] = mlopt.state_read @fc.weight : tensor<2x3xi8>
// CHECK-NEXT:    %[[ACC:.*]] = mlopt.quantized_linear %[[XQ]], %[[XZ]], %[[WQ]] : (tensor<4x3xi8>, tensor<i32>, tensor<2x3xi8>) -> tensor<4x2xi32>
// CHECK-NEXT:    %[[S:.*]] = mlopt.mul %[[XS]], %[[WS]] : (tensor<f32>, tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT:    %[[Z:.*]] = mlopt.constant dense<0> : tensor<2xi32>
// CHECK-NEXT:    %[[Y:.*]] = mlopt.dequantize %[[ACC]], %[[S]], %[[Z]] {axis = 1 : i64} : tensor<4x2xi32>, tensor<2xf32> -> tensor<4x2xf32>
// CHECK-NEXT:    %[[YB:.*]] = mlopt.add %[[Y]], %[[B]]
// CHECK-NEXT:    mlopt.mse_loss %[[YB]]
// CHECK-NOT:     mlopt.state_write
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, -2.0, 0.5], [0.25, 0.1, -0.1]]> : tensor<2x3xf32>>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.input_observer.min_val : tensor<f32> observer init #mlopt.value<dense<-1.0> : tensor<f32>>
mlopt.state @fc.input_observer.max_val : tensor<f32> observer init #mlopt.value<dense<3.0> : tensor<f32>>
mlopt.state @fc.weight_observer.min_val : tensor<2xf32> observer init #mlopt.value<dense<[-2.0, -0.1]> : tensor<2xf32>>
mlopt.state @fc.weight_observer.max_val : tensor<2xf32> observer init #mlopt.value<dense<[1.0, 0.25]> : tensor<2xf32>>
func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %true = mlopt.constant dense<true> : tensor<i1>
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %imin = mlopt.state_read @fc.input_observer.min_val : tensor<f32>
  %imax = mlopt.state_read @fc.input_observer.max_val : tensor<f32>
  %imin1, %imax1 = mlopt.observe %x, %imin, %imax, %true : tensor<4x3xf32>, tensor<f32>
  mlopt.state_write %imin1, @fc.input_observer.min_val : tensor<f32>
  mlopt.state_write %imax1, @fc.input_observer.max_val : tensor<f32>
  %wmin = mlopt.state_read @fc.weight_observer.min_val : tensor<2xf32>
  %wmax = mlopt.state_read @fc.weight_observer.max_val : tensor<2xf32>
  %wmin1, %wmax1 = mlopt.observe %w, %wmin, %wmax, %true {axis = 0 : i64} : tensor<2x3xf32>, tensor<2xf32>
  mlopt.state_write %wmin1, @fc.weight_observer.min_val : tensor<2xf32>
  mlopt.state_write %wmax1, @fc.weight_observer.max_val : tensor<2xf32>
  %p = mlopt.linear %x, %w, %b {mlopt.quant_layer = "fc"}
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
