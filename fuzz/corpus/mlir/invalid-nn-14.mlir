func.func @batch_matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x16xf32>) {
  %0 = mlopt.batch_matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x16xf32>) -> tensor<2x4x16xf32>
  return
}
