mlopt.state @fc.weight : tensor<1x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<1xf32> parameter trainable init #mlopt.zeros


func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x1xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<4x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
