mlopt.state @w : tensor<4x8xf32> parameter trainable init #mlopt.ones
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed

func.func @loss(%x: tensor<4x8xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4x8xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %h = mlopt.mul %x, %w : tensor<4x8xf32>
  %d = mlopt.dropout %w, %seed p = 0.25 stream = 3 : tensor<4x8xf32>
  %l = mlopt.sum %d dims = [0, 1] : tensor<4x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
