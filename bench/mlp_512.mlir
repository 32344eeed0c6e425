// The benchmark MLP: 784-512-512-10 with ReLU and cross-entropy at batch 128,
// PyTorch's nn.Sequential(Linear(784, 512), ReLU(), Linear(512, 512), ReLU(),
// Linear(512, 10)) with F.cross_entropy.
mlopt.state @fc1.weight : tensor<512x784xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<512xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 784>
mlopt.state @fc2.weight : tensor<512x512xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<512xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 512>
mlopt.state @fc3.weight : tensor<10x512xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc3.bias : tensor<10xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 512>

func.func @loss(%x: tensor<128x784xf32> {mlopt.input}, %y: tensor<128xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<512x784xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<512xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<512x512xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<512xf32>
  %w3 = mlopt.state_read @fc3.weight : tensor<10x512xf32>
  %b3 = mlopt.state_read @fc3.bias : tensor<10xf32>
  %h1 = mlopt.linear %x, %w1, %b1 : (tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32>) -> tensor<128x512xf32>
  %a1 = mlopt.relu %h1 : tensor<128x512xf32>
  %h2 = mlopt.linear %a1, %w2, %b2 : (tensor<128x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<128x512xf32>
  %a2 = mlopt.relu %h2 : tensor<128x512xf32>
  %logits = mlopt.linear %a2, %w3, %b3 : (tensor<128x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<128x10xf32>
  %loss = mlopt.cross_entropy %logits, %y : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  %acc = mlopt.accuracy %logits, %y : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  return %loss, %acc : tensor<f32>, tensor<f32>
}
