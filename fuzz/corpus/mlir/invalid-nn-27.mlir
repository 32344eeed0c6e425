func.func @one_hot_rank(%y: tensor<8xi32>) {
  %0 = mlopt.one_hot %y : tensor<8xi32> -> tensor<8xf32>
  return
}
