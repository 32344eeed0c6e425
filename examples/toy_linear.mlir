// toy_linear.mlir - the smallest trainable model: linear regression.
//
// PyTorch equivalent:
//   fc = nn.Linear(10, 1)
//   loss = F.mse_loss(fc(x), y)   # x: [32, 10], y: [32, 1]
//
// The initializers are nn.Linear's defaults: kaiming_uniform_(a = sqrt(5)) for
// the weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias, written as a
// kaiming_uniform with an explicit fan_in (the same bound).

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
