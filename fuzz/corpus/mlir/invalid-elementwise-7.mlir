func.func @binary_no_broadcast(%a: tensor<4x8xf32>, %b: tensor<4xf32>) {
  %0 = mlopt.sub %a, %b : (tensor<4x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return
}
