mlopt.state @k : tensor<4x4xi8> parameter init #mlopt.kaiming_uniform
