mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<2xf32>
}
