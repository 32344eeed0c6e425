func.func @unknown_result_attr(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metrics = "acc"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l : tensor<f32>, tensor<f32>
}
