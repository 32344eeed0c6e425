mlopt.state @bias : tensor<3xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x3xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %b = mlopt.state_read @bias : tensor<3xf32>
  %h = mlopt.add %x, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %l = mlopt.mse_loss %h, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
