// RUN: mlopt-opt %s --mlopt-set-batch-size=size=3 | FileCheck %s

// The int8 ops follow the batch (BatchResizableOpInterface): quantize and
// dequantize keep their operand's shape, the int8 products the weight's or
// right-hand side's columns. The per-batch range (observe) and the
// parameters keep their types.

// CHECK-LABEL: func.func @loss
// CHECK:         mlopt.observe %{{.*}} : tensor<3x4xf32>, tensor<f32>
// CHECK:         mlopt.quantize {{.*}} : tensor<3x4xf32>, tensor<f32> -> tensor<3x4xi8>
// CHECK:         mlopt.quantized_linear {{.*}} : (tensor<3x4xi8>, tensor<i32>, tensor<2x4xi8>) -> tensor<3x2xi32>
// CHECK:         mlopt.dequantize {{.*}} {axis = 1 : i64} : tensor<3x2xi32>, tensor<2xf32> -> tensor<3x2xf32>
// CHECK:         mlopt.quantized_matmul {{.*}} : (tensor<3x4xi8>, tensor<i32>, tensor<4x5xi8>, tensor<i32>) -> tensor<3x5xi32>
// CHECK:         mlopt.dequantize {{.*}} : tensor<3x5xi32>, tensor<f32> -> tensor<3x5xf32>
mlopt.state @fc.weight : tensor<2x4xi8> parameter init #mlopt.zeros
mlopt.state @fc.weight.scale : tensor<2xf32> buffer init #mlopt.ones
mlopt.state @b : tensor<4x5xi8> parameter init #mlopt.zeros
func.func @loss(%x: tensor<8x4xf32> {mlopt.input},
                %y: tensor<8x5xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %inf = mlopt.constant dense<0x7F800000> : tensor<f32>
  %ninf = mlopt.constant dense<0xFF800000> : tensor<f32>
  %u = mlopt.constant dense<true> : tensor<i1>
  %min, %max = mlopt.observe %x, %inf, %ninf, %u : tensor<8x4xf32>, tensor<f32>
  %s, %z = mlopt.quant_params %min, %max {quant_min = -128, quant_max = 127}
      : tensor<f32>
  %xq = mlopt.quantize %x, %s, %z {quant_min = -128, quant_max = 127}
      : tensor<8x4xf32>, tensor<f32> -> tensor<8x4xi8>
  %w = mlopt.state_read @fc.weight : tensor<2x4xi8>
  %ws = mlopt.state_read @fc.weight.scale : tensor<2xf32>
  %acc = mlopt.quantized_linear %xq, %z, %w
      : (tensor<8x4xi8>, tensor<i32>, tensor<2x4xi8>) -> tensor<8x2xi32>
  %zc = mlopt.constant dense<0> : tensor<2xi32>
  %h = mlopt.dequantize %acc, %ws, %zc {axis = 1 : i64}
      : tensor<8x2xi32>, tensor<2xf32> -> tensor<8x2xf32>
  %b = mlopt.state_read @b : tensor<4x5xi8>
  %acc2 = mlopt.quantized_matmul %xq, %z, %b, %z
      : (tensor<8x4xi8>, tensor<i32>, tensor<4x5xi8>, tensor<i32>) -> tensor<8x5xi32>
  %p = mlopt.dequantize %acc2, %s, %z : tensor<8x5xi32>, tensor<f32> -> tensor<8x5xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<8x5xf32>, tensor<8x5xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
