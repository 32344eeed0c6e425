mlopt.state @w : tensor<4xf32> weights init #mlopt.zeros
