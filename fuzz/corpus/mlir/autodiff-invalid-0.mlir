module {
  mlopt.state @w : tensor<3xf32> parameter trainable init #mlopt.ones
}
