mlopt.state @fc.weight : tensor<10x4xf32> parameter trainable init #mlopt.zeros

func.func @loss(%y: tensor<8xi32> {mlopt.label},
                %x: tensor<8x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<10x4xf32>
  %logits = mlopt.linear %x, %w
      : (tensor<8x4xf32>, tensor<10x4xf32>) -> tensor<8x10xf32>
  %logp = mlopt.log_softmax %logits dim = 1 : tensor<8x10xf32>
  %l = mlopt.nll_loss %logp, %y
      : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  return %l : tensor<f32>
}
