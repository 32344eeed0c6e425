mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
mlopt.state @bn.running_mean : tensor<2xf32> buffer init #mlopt.zeros

func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "mae"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %xd = mlopt.dropout %x, %seed p = 0.5 stream = 3 : tensor<4x3xf32>
  %p = mlopt.linear %xd, %w, %b
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  %d = mlopt.sub %p, %y : tensor<4x2xf32>
  %a = mlopt.abs %d : tensor<4x2xf32>
  %m = mlopt.mean %a dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l, %m : tensor<f32>, tensor<f32>
}
