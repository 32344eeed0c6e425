// linear_student.mlir - the regression student: nn.Linear(10, 1) + MSE,
// distilled from the teacher examples/toy_linear.mlir (another
// nn.Linear(10, 1)).
//
// PyTorch equivalent of `mlopt-distill{mode=regression alpha=1}`:
//   teacher.eval()
//   with torch.no_grad():
//       t = teacher(x)                      # x: [32, 10]
//   s = student(x)
//   loss = F.mse_loss(s, t)                 # the labels y are not used
//
// Train the teacher, then the student on its outputs alone:
//   mlopt-run examples/toy_linear.mlir --train=synthetic --save=teacher.safetensors
//   mlopt-run examples/distill/linear_student.mlir --train=synthetic \
//     --passes='mlopt-distill{mode=regression alpha=1 teacher=examples/toy_linear.mlir teacher-checkpoint=teacher.safetensors}'
// With alpha < 1 the student's own MSE against the labels is mixed in:
// alpha * MSE(s, t) + (1 - alpha) * MSE(s, y). See docs/Distillation.md.

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
