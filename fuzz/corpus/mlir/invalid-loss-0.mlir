func.func @mse_types(%p: tensor<8x1xf32>, %t: tensor<8xf32>) {
  %0 = mlopt.mse_loss %p, %t : (tensor<8x1xf32>, tensor<8xf32>) -> tensor<f32>
  return
}
