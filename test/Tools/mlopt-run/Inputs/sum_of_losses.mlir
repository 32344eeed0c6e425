// A loss that is a sum of two losses has no single prediction: the entry
// points include no @predict_step.

mlopt.state @fc.weight : tensor<1x10xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>

func.func @loss(%x: tensor<32x10xf32> {mlopt.input},
                %y: tensor<32x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x10xf32>
  %pred = mlopt.linear %x, %w
      : (tensor<32x10xf32>, tensor<1x10xf32>) -> tensor<32x1xf32>
  %mse = mlopt.mse_loss %pred, %y
      : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<f32>
  %loss = mlopt.add %mse, %mse : tensor<f32>
  return %loss : tensor<f32>
}
