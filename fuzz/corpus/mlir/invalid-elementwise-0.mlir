func.func @unary_int(%x: tensor<4xi32>) {
  %0 = mlopt.exp %x : tensor<4xi32>
  return
}
