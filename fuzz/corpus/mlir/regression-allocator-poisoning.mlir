mlopt.state @proj.weight : tensor<8x8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
func.func @loss(%x: tensor<8x6x8xf32> {mlopt.input},
                %t: tensor<8x6xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %xn = mlopt.layer_norm %x : (tensor<8x6x8xf32>) -> tensor<8x6x8xf32>
  %q4 = mlopt.reshape %xn : tensor<8x6x8xf32> to tensor<8x6x2x4xf32>
  %qh = mlopt.transpose %q4, [0, 2, 1, 3] : tensor<8x6x2x4xf32> -> tensor<8x2x6x4xf32>
  %kt = mlopt.transpose %qh, [0, 1, 3, 2] : tensor<8x2x6x4xf32> -> tensor<8x2x4x6xf32>
  %raw = mlopt.batch_matmul %qh, %kt
      : (tensor<8x2x6x4xf32>, tensor<8x2x4x6xf32>) -> tensor<8x2x6x6xf32>
  %probs = mlopt.softmax %raw dim = -2 : tensor<8x2x6x6xf32>
  %ctx = mlopt.batch_matmul %probs, %qh
      : (tensor<8x2x6x6xf32>, tensor<8x2x6x4xf32>) -> tensor<8x2x6x4xf32>
  %ctx_t = mlopt.transpose %ctx, [0, 2, 1, 3] : tensor<8x2x6x4xf32> -> tensor<8x6x2x4xf32>
  %rows = mlopt.reshape %ctx_t : tensor<8x6x2x4xf32> to tensor<48x8xf32>
  %w = mlopt.state_read @proj.weight : tensor<8x8xf32>
  %p = mlopt.linear %rows, %w : (tensor<48x8xf32>, tensor<8x8xf32>) -> tensor<48x8xf32>
  %out = mlopt.reshape %p : tensor<48x8xf32> to tensor<8x6x8xf32>
  %h = mlopt.one_hot %t : tensor<8x6xi64> -> tensor<8x6x8xf64>
  %h32 = mlopt.cast %h : tensor<8x6x8xf64> to tensor<8x6x8xf32>
  %loss = mlopt.mse_loss %out, %h32
      : (tensor<8x6x8xf32>, tensor<8x6x8xf32>) -> tensor<f32>
  return %loss : tensor<f32>
}
