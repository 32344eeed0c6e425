mlopt.state @fc.weight : tensor<1x10xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<1xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 10>

func.func @loss(%x: tensor<32x10xf32> {mlopt.input},
                %y: tensor<32x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x10xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %pred = mlopt.linear %x, %w, %b
      : (tensor<32x10xf32>, tensor<1x10xf32>, tensor<1xf32>) -> tensor<32x1xf32>
  %loss = mlopt.mse_loss %pred, %y
      : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
