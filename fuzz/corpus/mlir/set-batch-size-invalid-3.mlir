func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %t: tensor<2x4xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %r = mlopt.reshape %x : tensor<2x4xf32> to tensor<1x8xf32>
  %b = mlopt.reshape %r : tensor<1x8xf32> to tensor<2x4xf32>
  %l = mlopt.mse_loss %b, %t : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
