// The teacher of the distill-*.mlir tests: 3 -> 5 -> ReLU (tapped "hidden")
// -> dropout -> 2 classes. Its evaluation form drops the dropout (and its
// read of @rng).
mlopt.state @fc1.weight : tensor<5x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<5xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>
mlopt.state @fc2.weight : tensor<2x5xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 5>
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed

func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<5x3xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<5xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x5xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<2xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<4x3xf32>, tensor<5x3xf32>, tensor<5xf32>) -> tensor<4x5xf32>
  %r = mlopt.relu %h : tensor<4x5xf32>
  %a = mlopt.tap "hidden" %r : tensor<4x5xf32>
  %d = mlopt.dropout %a, %seed p = 0.5 stream = 1 : tensor<4x5xf32>
  %logits = mlopt.linear %d, %w2, %b2
      : (tensor<4x5xf32>, tensor<2x5xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
