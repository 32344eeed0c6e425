mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @running_mean : tensor<2xf32> buffer init #mlopt.zeros

func.func @train_step(%x: tensor<4x3xf32> {mlopt.input},
                      %y: tensor<4x2xf32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"},
        tensor<2x3xf32> {mlopt.grad_of = @fc.weight},
        tensor<2xf32> {mlopt.grad_of = @fc.bias})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %loss = mlopt.sum %b dims = [0] : tensor<2xf32> -> tensor<f32>
  %acc = mlopt.mean %b dims = [0] : tensor<2xf32> -> tensor<f32>
  %two = mlopt.constant dense<2.0> : tensor<f32>
  %gw = mlopt.mul %w, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return %loss, %acc, %gw, %b : tensor<f32>, tensor<f32>, tensor<2x3xf32>, tensor<2xf32>
}
