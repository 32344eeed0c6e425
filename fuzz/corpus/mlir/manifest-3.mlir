module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<4x2xf32>, trainable>, <"m", mask, tensor<4x2xi1>>, <"step", step, tensor<i64>>]>} {
  mlopt.state @w : tensor<4x2xf32> parameter trainable init #mlopt.zeros
  mlopt.state @m : tensor<4x2xi1> mask init #mlopt.ones
  mlopt.state @step : tensor<i64> step init #mlopt.zeros
}
