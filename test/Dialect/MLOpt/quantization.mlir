// The quantization family: observe, quant_params, fake_quant(_grad),
// quantize, dequantize and the int8 products. Round trip in custom and
// generic form.
// RUN: mlopt-opt %s | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %s --mlir-print-op-generic | mlopt-opt | FileCheck %s

// CHECK-LABEL: func.func @qat
func.func @qat(%x: tensor<4x8xf32>, %w: tensor<3x8xbf16>, %min: tensor<f32>,
               %max: tensor<f32>, %cmin: tensor<3xf32>, %cmax: tensor<3xf32>,
               %u: tensor<i1>, %dy: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<3x8xbf16>, tensor<4x8xf32>) {
  // CHECK: %[[MIN:.*]], %[[MAX:.*]] = mlopt.observe %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {averaging_constant = 1.000000e-02 : f64} : tensor<4x8xf32>, tensor<f32>
  %min1, %max1 = mlopt.observe %x, %min, %max, %u {averaging_constant = 0.01}
      : tensor<4x8xf32>, tensor<f32>
  // CHECK: %[[S:.*]], %[[Z:.*]] = mlopt.quant_params %[[MIN]], %[[MAX]] {quant_max = 127 : i64, quant_min = -128 : i64} : tensor<f32>
  %s, %z = mlopt.quant_params %min1, %max1 {quant_min = -128, quant_max = 127}
      : tensor<f32>
  // CHECK: mlopt.fake_quant %{{.*}}, %[[S]], %[[Z]] {quant_max = 127 : i64, quant_min = -128 : i64} : tensor<4x8xf32>, tensor<f32>
  %xq = mlopt.fake_quant %x, %s, %z {quant_min = -128, quant_max = 127}
      : tensor<4x8xf32>, tensor<f32>
  // Per channel, symmetric, on a bf16 weight.
  // CHECK: mlopt.observe %{{.*}} {axis = 0 : i64} : tensor<3x8xbf16>, tensor<3xf32>
  %cmin1, %cmax1 = mlopt.observe %w, %cmin, %cmax, %u {axis = 0}
      : tensor<3x8xbf16>, tensor<3xf32>
  // CHECK: mlopt.quant_params {{.*}} {quant_max = 127 : i64, quant_min = -128 : i64, symmetric} : tensor<3xf32>
  %cs, %cz = mlopt.quant_params %cmin1, %cmax1
      {quant_min = -128, quant_max = 127, symmetric} : tensor<3xf32>
  // CHECK: mlopt.fake_quant {{.*}} {axis = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : tensor<3x8xbf16>, tensor<3xf32>
  %wq = mlopt.fake_quant %w, %cs, %cz {axis = 0, quant_min = -128, quant_max = 127}
      : tensor<3x8xbf16>, tensor<3xf32>
  // CHECK: mlopt.fake_quant_grad %{{.*}}, %{{.*}}, %[[S]], %[[Z]] {quant_max = 127 : i64, quant_min = -128 : i64} : tensor<4x8xf32>, tensor<f32>
  %dx = mlopt.fake_quant_grad %dy, %x, %s, %z {quant_min = -128, quant_max = 127}
      : tensor<4x8xf32>, tensor<f32>
  return %xq, %wq, %dx : tensor<4x8xf32>, tensor<3x8xbf16>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @int8
func.func @int8(%x: tensor<4x8xf32>, %s: tensor<f32>, %z: tensor<i32>,
                %w: tensor<3x8xi8>, %b: tensor<8x5xi8>, %ws: tensor<3xf32>,
                %wz: tensor<3xi32>)
    -> (tensor<4x3xf32>, tensor<4x5xi32>, tensor<3x8xf32>) {
  // CHECK: %[[XQ:.*]] = mlopt.quantize %{{.*}} {quant_max = 127 : i64, quant_min = -128 : i64} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi8>
  %xq = mlopt.quantize %x, %s, %z {quant_min = -128, quant_max = 127}
      : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi8>
  // CHECK: %[[ACC:.*]] = mlopt.quantized_linear %[[XQ]], %{{.*}}, %{{.*}} : (tensor<4x8xi8>, tensor<i32>, tensor<3x8xi8>) -> tensor<4x3xi32>
  %acc = mlopt.quantized_linear %xq, %z, %w
      : (tensor<4x8xi8>, tensor<i32>, tensor<3x8xi8>) -> tensor<4x3xi32>
  // CHECK: mlopt.dequantize %[[ACC]], {{.*}} {axis = 1 : i64} : tensor<4x3xi32>, tensor<3xf32> -> tensor<4x3xf32>
  %y = mlopt.dequantize %acc, %ws, %wz {axis = 1}
      : tensor<4x3xi32>, tensor<3xf32> -> tensor<4x3xf32>
  // CHECK: mlopt.quantized_matmul %[[XQ]], %{{.*}}, %{{.*}}, %{{.*}} : (tensor<4x8xi8>, tensor<i32>, tensor<8x5xi8>, tensor<i32>) -> tensor<4x5xi32>
  %mm = mlopt.quantized_matmul %xq, %z, %b, %z
      : (tensor<4x8xi8>, tensor<i32>, tensor<8x5xi8>, tensor<i32>) -> tensor<4x5xi32>
  // CHECK: mlopt.dequantize %{{.*}} {axis = 0 : i64} : tensor<3x8xi8>, tensor<3xf32> -> tensor<3x8xf32>
  %wf = mlopt.dequantize %w, %ws, %wz {axis = 0}
      : tensor<3x8xi8>, tensor<3xf32> -> tensor<3x8xf32>
  return %y, %mm, %wf : tensor<4x3xf32>, tensor<4x5xi32>, tensor<3x8xf32>
}
