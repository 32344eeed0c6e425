mlopt.state @seed : tensor<i64> buffer init #mlopt.constant<value = 3.0>
func.func @seed_from_buffer(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = mlopt.state_read @seed : tensor<i64>
  %y = mlopt.dropout %x, %s p = 0.5 stream = 2 : tensor<4xf32>
  return %y : tensor<4xf32>
}
