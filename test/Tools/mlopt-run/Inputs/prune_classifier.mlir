// A small classifier for the mlopt-run pruning flags on synthetic data
// (10 classes): 12 -> 16 -> ReLU -> 10.
mlopt.state @fc1.weight : tensor<16x12xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<16xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 12>
mlopt.state @fc2.weight : tensor<10x16xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<10xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 16>

func.func @loss(%x: tensor<8x12xf32> {mlopt.input},
                %y: tensor<8xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<16x12xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<16xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<10x16xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<10xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<8x12xf32>, tensor<16x12xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  %a = mlopt.relu %h : tensor<8x16xf32>
  %logits = mlopt.linear %a, %w2, %b2
      : (tensor<8x16xf32>, tensor<10x16xf32>, tensor<10xf32>) -> tensor<8x10xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
