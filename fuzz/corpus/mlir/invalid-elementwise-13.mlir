func.func @compare_result_not_bool(%a: tensor<4xf32>) {
  %0 = mlopt.compare gt, %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}
