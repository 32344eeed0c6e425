// dropout_mlp.mlir - a two-layer regression MLP with dropout on the hidden
// layer, for dropout-seed.test.
//
// PyTorch equivalent:
//   h = F.dropout(F.relu(fc1(x)), p=0.5)   # x: [16, 4]
//   loss = F.mse_loss(fc2(h), y)           # y: [16, 1]
//
// Every parameter starts from a constant, so --seed reaches the training
// only through the rng state, that is through the dropout masks.

mlopt.state @fc1.weight : tensor<8x4xf32> parameter trainable
    init #mlopt.constant<value = 0.25>
mlopt.state @fc1.bias : tensor<8xf32> parameter trainable
    init #mlopt.constant<value = 0.125>
mlopt.state @fc2.weight : tensor<1x8xf32> parameter trainable
    init #mlopt.constant<value = 0.5>
mlopt.state @fc2.bias : tensor<1xf32> parameter trainable init #mlopt.zeros
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed

func.func @loss(%x: tensor<16x4xf32> {mlopt.input},
                %y: tensor<16x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<8x4xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<8xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<1x8xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<1xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<16x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<16x8xf32>
  %a = mlopt.relu %h : tensor<16x8xf32>
  %d = mlopt.dropout %a, %seed p = 0.5 stream = 1 : tensor<16x8xf32>
  %p = mlopt.linear %d, %w2, %b2
      : (tensor<16x8xf32>, tensor<1x8xf32>, tensor<1xf32>) -> tensor<16x1xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<16x1xf32>, tensor<16x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
