func.func @loss(%x: tensor<2x3xf32> {mlopt.input},
                %y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %l = mlopt.cross_entropy %x, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
func.func @train_step(%x: tensor<2x3xf32> {mlopt.input},
                      %y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.train_step} {
  %l = mlopt.cross_entropy %x, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
