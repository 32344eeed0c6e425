mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x3xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %s = mlopt.state_read @rng : tensor<i64>
  %a = mlopt.dropout %x, %s p = 0.1 stream = 1 : tensor<4x3xf32>
  %b = mlopt.dropout %a, %s p = 0.1 stream = 1 : tensor<4x3xf32>
  %l = mlopt.mse_loss %b, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
