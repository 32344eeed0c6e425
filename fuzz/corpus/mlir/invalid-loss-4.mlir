func.func @kl_div_batchmean_scalar(%p: tensor<f32>) {
  %0 = mlopt.kl_div %p, %p reduction = batchmean : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return
}
