// A small classifier for the pruning tests: 24 -> 32 -> ReLU -> 8 -> ReLU -> 10.
mlopt.state @fc1.weight : tensor<32x24xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<32xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 24>
mlopt.state @fc2.weight : tensor<8x32xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 32>
mlopt.state @fc3.weight : tensor<10x8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc3.bias : tensor<10xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 8>

func.func @loss(%x: tensor<16x24xf32> {mlopt.input},
                %y: tensor<16xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<32x24xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<32xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<8x32xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<8xf32>
  %w3 = mlopt.state_read @fc3.weight : tensor<10x8xf32>
  %b3 = mlopt.state_read @fc3.bias : tensor<10xf32>
  %h1 = mlopt.linear %x, %w1, %b1
      : (tensor<16x24xf32>, tensor<32x24xf32>, tensor<32xf32>) -> tensor<16x32xf32>
  %a1 = mlopt.relu %h1 : tensor<16x32xf32>
  %h2 = mlopt.linear %a1, %w2, %b2
      : (tensor<16x32xf32>, tensor<8x32xf32>, tensor<8xf32>) -> tensor<16x8xf32>
  %a2 = mlopt.relu %h2 : tensor<16x8xf32>
  %logits = mlopt.linear %a2, %w3, %b3
      : (tensor<16x8xf32>, tensor<10x8xf32>, tensor<10xf32>) -> tensor<16x10xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<16x10xf32>, tensor<16xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<16x10xf32>, tensor<16xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
