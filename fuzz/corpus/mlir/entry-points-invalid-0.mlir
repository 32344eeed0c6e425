module {
  mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
}
