func.func @loss(%x: tensor<2x3x4xf32> {mlopt.input},
                %t: tensor<2x12xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %p = mlopt.transpose %x, [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %r = mlopt.reshape %p : tensor<3x2x4xf32> to tensor<3x8xf32>
  %r2 = mlopt.reshape %r : tensor<3x8xf32> to tensor<2x12xf32>
  %l = mlopt.mse_loss %r2, %t : (tensor<2x12xf32>, tensor<2x12xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
