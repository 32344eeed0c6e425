mlopt.state @rng : tensor<i64> rng init #mlopt.zeros
