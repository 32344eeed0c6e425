func.func @loss(%x: tensor<4x2xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %p = mlopt.add %x, %y : tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
