mlopt.state @fc1.weight : tensor<256x784xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 784>
mlopt.state @fc2.weight : tensor<10x256xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<10xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 256>

func.func @loss(%x: tensor<128x784xf32> {mlopt.input},
                %y: tensor<128xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<256x784xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<256xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<10x256xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<10xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<128x784xf32>, tensor<256x784xf32>, tensor<256xf32>)
      -> tensor<128x256xf32>
  %a = mlopt.relu %h : tensor<128x256xf32>
  %logits = mlopt.linear %a, %w2, %b2
      : (tensor<128x256xf32>, tensor<10x256xf32>, tensor<10xf32>)
      -> tensor<128x10xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
