mlopt.state @w : tensor<2xf64> parameter trainable init #mlopt.ones
mlopt.state @optimizer.w.momentum_buffer : tensor<2xf64> optimizer_state
    init #mlopt.zeros
mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros

func.func @loss(%x: tensor<2xf64> {mlopt.input}) -> tensor<f64>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf64>
  %p = mlopt.mul %w, %x : tensor<2xf64>
  %l = mlopt.sum %p dims = [0] : tensor<2xf64> -> tensor<f64>
  return %l : tensor<f64>
}

func.func @train_step(%x: tensor<2xf64> {mlopt.input}) -> tensor<f64>
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf64>
  %p = mlopt.mul %w, %x : tensor<2xf64>
  %l = mlopt.sum %p dims = [0] : tensor<2xf64> -> tensor<f64>
  %n = mlopt.sub %w, %x : tensor<2xf64>
  mlopt.state_write %n, @w : tensor<2xf64>
  return %l : tensor<f64>
}
