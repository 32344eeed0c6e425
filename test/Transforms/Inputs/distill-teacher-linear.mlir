// The regression teacher of distill-regression.mlir: nn.Linear(3, 1) + MSE.
mlopt.state @fc.weight : tensor<1x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<1xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %pred = mlopt.linear %x, %w, %b
      : (tensor<4x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %loss = mlopt.mse_loss %pred, %y
      : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
