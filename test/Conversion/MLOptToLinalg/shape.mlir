// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s

// Reshapes that group dimensions are one collapse or expand; others go
// through the flat vector.
// CHECK-LABEL: func.func @reshape
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<8x1x28x28xf32> into tensor<8x784xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 3, 4] : tensor<6x4xf32> into tensor<2x3x4xf32>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<6x4xf32> into tensor<24xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
func.func @reshape(%x: tensor<8x1x28x28xf32>, %y: tensor<6x4xf32>) -> (tensor<8x784xf32>, tensor<2x3x4xf32>, tensor<4x6xf32>) {
  %a = mlopt.reshape %x : tensor<8x1x28x28xf32> to tensor<8x784xf32>
  %b = mlopt.reshape %y : tensor<6x4xf32> to tensor<2x3x4xf32>
  %c = mlopt.reshape %y : tensor<6x4xf32> to tensor<4x6xf32>
  return %a, %b, %c : tensor<8x784xf32>, tensor<2x3x4xf32>, tensor<4x6xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %t = mlopt.transpose %x, [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %t : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK: tensor.extract_slice %{{.*}}[0, 2] [4, 3] [1, 2] : tensor<4x8xf32> to tensor<4x3xf32>
func.func @slice(%x: tensor<4x8xf32>) -> tensor<4x3xf32> {
  %s = mlopt.slice %x start [0, 2] limit [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x3xf32>
  return %s : tensor<4x3xf32>
}

// -----

// Concatenation inserts each input at its offset (negative dim counts from
// the end).
// CHECK-LABEL: func.func @concat
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x5xf32>
// CHECK: %[[A:.*]] = tensor.insert_slice %{{.*}} into %[[E]][0, 0] [4, 2] [1, 1]
// CHECK: tensor.insert_slice %{{.*}} into %[[A]][0, 2] [4, 3] [1, 1]
func.func @concat(%a: tensor<4x2xf32>, %b: tensor<4x3xf32>) -> tensor<4x5xf32> {
  %c = mlopt.concat %a, %b dim = -1 : (tensor<4x2xf32>, tensor<4x3xf32>) -> tensor<4x5xf32>
  return %c : tensor<4x5xf32>
}

// -----

// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @broadcast_to
// CHECK: linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID]]]
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
func.func @broadcast_to(%b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = mlopt.broadcast_to %b : tensor<8xf32> to tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
