func.func @input_dynamic(%x: tensor<?x4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}
