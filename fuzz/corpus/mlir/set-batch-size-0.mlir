mlopt.state @fc.weight : tensor<10x16xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<10xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<8x1x4x4xf32> {mlopt.input},
                %y: tensor<8xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<10x16xf32>
  %b = mlopt.state_read @fc.bias : tensor<10xf32>
  %f = mlopt.reshape %x : tensor<8x1x4x4xf32> to tensor<8x16xf32>
  %h = mlopt.linear %f, %w : (tensor<8x16xf32>, tensor<10x16xf32>) -> tensor<8x10xf32>
  %bb = mlopt.broadcast_to %b : tensor<10xf32> to tensor<8x10xf32>
  %hb = mlopt.add %h, %bb : tensor<8x10xf32>
  %half = mlopt.constant dense<0.5> : tensor<8x10xf32>
  %s = mlopt.mul %hb, %half : tensor<8x10xf32>
  %r = mlopt.relu %s : tensor<8x10xf32>
  %loss = mlopt.cross_entropy %r, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  %acc = mlopt.accuracy %r, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return %loss, %acc : tensor<f32>, tensor<f32>
}
