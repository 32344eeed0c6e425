mlopt.state @u : tensor<4xf32> buffer init #mlopt.uniform<low = 1.0, high = 1.0>
