mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones

func.func @loss(%x: tensor<3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  "test.br"() [^bb1] : () -> ()
^bb1:
  %w = mlopt.state_read @w : tensor<3xf32>
  %l = mlopt.sum %w dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
