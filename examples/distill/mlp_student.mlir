// mlp_student.mlir - a small Fashion-MNIST student: 784 -> 64 -> ReLU -> 10,
// its hidden activation tapped "hidden" for feature distillation.
//
// PyTorch equivalent:
//   model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(),
//                         nn.Linear(64, 10))
//   logits = model(x)                      # x: [128, 784], pixels in [0, 1]
//   loss = F.cross_entropy(logits, y)      # y: [128] int64 class indices
//   accuracy = (logits.argmax(1) == y).float().mean()
//
// `mlopt.tap "hidden"` is the identity: it only names the ReLU's output so
// that `mlopt-distill{mode=feature student-tap=hidden}` can find it (see
// docs/Distillation.md). Trained alone, this is an ordinary model.

mlopt.state @fc1.weight : tensor<64x784xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<64xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 784>
mlopt.state @fc2.weight : tensor<10x64xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<10xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 64>

func.func @loss(%x: tensor<128x784xf32> {mlopt.input},
                %y: tensor<128xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<64x784xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<64xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<10x64xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<10xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<128x784xf32>, tensor<64x784xf32>, tensor<64xf32>)
      -> tensor<128x64xf32>
  %r = mlopt.relu %h : tensor<128x64xf32>
  %a = mlopt.tap "hidden" %r : tensor<128x64xf32>
  %logits = mlopt.linear %a, %w2, %b2
      : (tensor<128x64xf32>, tensor<10x64xf32>, tensor<10xf32>)
      -> tensor<128x10xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
