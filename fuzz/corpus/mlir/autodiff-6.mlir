mlopt.state @fc1.weight : tensor<5x4xf32> parameter trainable init #mlopt.ones
mlopt.state @fc2.weight : tensor<3x5xf32> parameter trainable init #mlopt.ones

func.func @loss(%x: tensor<2x4xf32> {mlopt.input}, %y: tensor<2xi32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<5x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<3x5xf32>
  %h = mlopt.linear %x, %w1 : (tensor<2x4xf32>, tensor<5x4xf32>) -> tensor<2x5xf32>
  %a = mlopt.relu %h : tensor<2x5xf32>
  %logits = mlopt.linear %a, %w2 : (tensor<2x5xf32>, tensor<3x5xf32>) -> tensor<2x3xf32>
  %l = mlopt.cross_entropy %logits, %y : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
  return %l : tensor<f32>
}
