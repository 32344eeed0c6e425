// mlp_teacher.mlir - examples/mlp.mlir (784 -> 256 -> ReLU -> 10) with its
// hidden activation tapped "hidden": the teacher of feature distillation.
//
// The states and the computation are examples/mlp.mlir's (`mlopt.tap` is the
// identity), so a checkpoint trained from examples/mlp.mlir is this model's
// checkpoint:
//   mlopt-run examples/mlp.mlir --train=fashion-mnist --epochs=5 --save=mlp.safetensors
//   mlopt-run examples/distill/mlp_student.mlir --train=fashion-mnist \
//     --passes='mlopt-distill{mode=feature student-tap=hidden teacher=examples/distill/mlp_teacher.mlir teacher-checkpoint=mlp.safetensors}'
// For soft or regression distillation, which use only the teacher's output,
// examples/mlp.mlir itself is the teacher. See docs/Distillation.md.

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
  %r = mlopt.relu %h : tensor<128x256xf32>
  %a = mlopt.tap "hidden" %r : tensor<128x256xf32>
  %logits = mlopt.linear %a, %w2, %b2
      : (tensor<128x256xf32>, tensor<10x256xf32>, tensor<10xf32>)
      -> tensor<128x10xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
