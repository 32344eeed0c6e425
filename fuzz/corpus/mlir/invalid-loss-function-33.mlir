func.func @duplicate_metrics(%x: tensor<4xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l, %l, %l : tensor<f32>, tensor<f32>, tensor<f32>
}
