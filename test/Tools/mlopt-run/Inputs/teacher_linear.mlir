// A linear regression student with a frozen teacher, as mlopt-distill
// leaves a model (without mode_select: @eval_step reads the teacher too):
// the teacher's tensors are states of kind teacher holding their values.
mlopt.state @fc.weight : tensor<1x10xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<1xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 10>
mlopt.state @teacher.fc.weight : tensor<1x10xf32> teacher
    init #mlopt.value<dense<[[0.5, -0.25, 0.125, 1.0, -1.0, 0.75, 0.0, 0.5, -0.5, 0.25]]> : tensor<1x10xf32>>
mlopt.state @teacher.fc.bias : tensor<1xf32> teacher
    init #mlopt.value<dense<[0.5]> : tensor<1xf32>>

func.func @loss(%x: tensor<32x10xf32> {mlopt.input},
                %y: tensor<32x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x10xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<32x10xf32>, tensor<1x10xf32>, tensor<1xf32>) -> tensor<32x1xf32>
  %tw = mlopt.state_read @teacher.fc.weight : tensor<1x10xf32>
  %tb = mlopt.state_read @teacher.fc.bias : tensor<1xf32>
  %t = mlopt.linear %x, %tw, %tb
      : (tensor<32x10xf32>, tensor<1x10xf32>, tensor<1xf32>) -> tensor<32x1xf32>
  %s = mlopt.mse_loss %p, %y : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<f32>
  %d = mlopt.mse_loss %p, %t : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<f32>
  %l = mlopt.add %s, %d : tensor<f32>
  return %l : tensor<f32>
}
