mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @h : tensor<2xi16> buffer init #mlopt.zeros

func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %p = mlopt.mul %w, %x : tensor<2xf32>
  %l = mlopt.sum %p dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
