func.func @from_seed_i32(%seed: tensor<i64>) -> tensor<4xi32> {
  %k = mlopt.initial_value %seed, #mlopt.from_seed stream = 1 : tensor<4xi32>
  return %k : tensor<4xi32>
}
