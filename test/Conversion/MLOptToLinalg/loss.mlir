// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s

// mse: one full reduction of squared differences to a 0-d tensor, then the
// division by the element count.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @mse
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$ALL]]], iterator_types = ["reduction", "reduction"]}
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.constant 3.200000e+01 : f32
// CHECK: arith.divf
func.func @mse(%p: tensor<8x4xf32>, %t: tensor<8x4xf32>) -> tensor<f32> {
  %l = mlopt.mse_loss %p, %t : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// cross_entropy: row max and sum of exponentials, then a reduction over the
// rows picking the label's logit (clamped into [0, C)).
// CHECK-LABEL: func.func @cross_entropy
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}}, %[[MAX]], %[[SUM]] : tensor<8xi32>, tensor<8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<8x10xf32>
// CHECK: math.log
// CHECK: arith.constant 8.000000e+00 : f32
func.func @cross_entropy(%x: tensor<8x10xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  %l = mlopt.cross_entropy %x, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @nll
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK: tensor.extract
// CHECK: arith.negf
func.func @nll(%x: tensor<8x10xf32>, %y: tensor<8xi64>) -> tensor<f32> {
  %l = mlopt.nll_loss %x, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// kl_div: 0 where the target is 0; batchmean divides by the first dim.
// CHECK-LABEL: func.func @kl_div
// CHECK: math.log
// CHECK: arith.cmpf oeq
// CHECK: arith.select
// CHECK: arith.constant 8.000000e+00 : f32
// CHECK: arith.divf
// CHECK-LABEL: func.func @kl_div_log_target_sum
// CHECK: math.exp
// CHECK-NOT: arith.divf
// CHECK: return
func.func @kl_div(%x: tensor<8x10xf32>, %t: tensor<8x10xf32>) -> tensor<f32> {
  %l = mlopt.kl_div %x, %t reduction = batchmean : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
func.func @kl_div_log_target_sum(%x: tensor<8x10xf32>, %t: tensor<8x10xf32>) -> tensor<f32> {
  %l = mlopt.kl_div %x, %t reduction = sum log_target : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// accuracy: argmax per row, then the fraction equal to the label.
// CHECK-LABEL: func.func @accuracy
// CHECK: %[[ARGMAX:.*]]:2 = linalg.generic
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[ARGMAX]]#1 : tensor<8xi64>, tensor<8xi64>)
// CHECK: arith.cmpi eq
// CHECK: arith.select
func.func @accuracy(%x: tensor<8x10xf32>, %y: tensor<8xi64>) -> tensor<f32> {
  %a = mlopt.accuracy %x, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return %a : tensor<f32>
}
