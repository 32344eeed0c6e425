mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
mlopt.state @decoder.rng : tensor<i64> rng init #mlopt.from_seed
mlopt.state @keys : tensor<3xi64> buffer init #mlopt.from_seed

func.func @init(%seed: tensor<i64>) {
  %k = mlopt.initial_value %seed, #mlopt.from_seed stream = -42 : tensor<i64>
  mlopt.state_write %k, @rng : tensor<i64>
  return
}

func.func @streams(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = mlopt.state_read @rng : tensor<i64>
  %t = mlopt.state_read @decoder.rng : tensor<i64>
  %a = mlopt.dropout %x, %s p = 0.1 : tensor<4x8xf32>
  %b = mlopt.dropout %a, %s p = 0.1 stream = 1 : tensor<4x8xf32>
  %c = mlopt.dropout %b, %t p = 0.1 : tensor<4x8xf32>
  %d = mlopt.dropout %c, %t p = 0.1 stream = 1 : tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

func.func @train_step(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) attributes {mlopt.train_step} {
  %s = mlopt.state_read @rng : tensor<i64>
  %y = mlopt.dropout %x, %s p = 0.25 stream = 3 : tensor<4x8xf32>
  %dx = mlopt.dropout %g, %s p = 0.25 stream = 3 : tensor<4x8xf32>
  return %y, %dx : tensor<4x8xf32>, tensor<4x8xf32>
}
