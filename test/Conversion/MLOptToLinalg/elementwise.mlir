// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s

// A unary op is one all-parallel generic with identity maps.
// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @relu
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID2]], #[[$ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK: arith.maximumf
// CHECK-NOT: mlopt.
func.func @relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mlopt.relu %x : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Broadcasting is in the indexing maps: the bias is read along d1 only.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_bias
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]]
// CHECK: arith.addf
func.func @add_bias(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = mlopt.add %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Size-1 dimensions broadcast by reading index 0, missing leading ones by
// leaving them out; a 0-d operand has an empty map.
// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$S:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-DAG: #[[$ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @mul_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$ID3]]]
// CHECK: arith.mulf
// CHECK: linalg.generic {indexing_maps = [#[[$ID3]], #[[$S]], #[[$ID3]]]
// CHECK: arith.divf
func.func @mul_broadcast(%x: tensor<2x1x5xf32>, %y: tensor<3x5xf32>, %s: tensor<f32>) -> tensor<2x3x5xf32> {
  %m = mlopt.mul %x, %y : (tensor<2x1x5xf32>, tensor<3x5xf32>) -> tensor<2x3x5xf32>
  %d = mlopt.div %m, %s : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  return %d : tensor<2x3x5xf32>
}

// -----

// Comparisons are ordered (false with NaN) except ne; select keeps its
// operands' broadcasting.
// CHECK-LABEL: func.func @compare_select
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf une
// CHECK: arith.select
func.func @compare_select(%x: tensor<4xf32>, %z: tensor<f32>) -> (tensor<4xf32>, tensor<4xi1>) {
  %m = mlopt.compare gt, %x, %z : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %n = mlopt.compare ne, %x, %z : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
  %y = mlopt.select %m, %x, %z : (tensor<4xi1>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %y, %n : tensor<4xf32>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @gelu
// CHECK: math.erf
// CHECK: math.tanh
// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @gelu(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = mlopt.gelu %x : tensor<4xf32>
  %b = mlopt.gelu %x approximate = tanh : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
func.func @casts(%x: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xi32>, tensor<4xf32>, tensor<4xbf16>) {
  %a = mlopt.cast %x : tensor<4xf32> to tensor<4xi32>
  %b = mlopt.cast %i : tensor<4xi64> to tensor<4xf32>
  %c = mlopt.cast %x : tensor<4xf32> to tensor<4xbf16>
  return %a, %b, %c : tensor<4xi32>, tensor<4xf32>, tensor<4xbf16>
}
