mlopt.state @w : tensor<2x3xf32> parameter trainable init #mlopt.ones

func.func @loss(%y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x3xf32>
  %a = mlopt.accuracy %w, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  %l = mlopt.neg %a : tensor<f32>
  return %l : tensor<f32>
}
