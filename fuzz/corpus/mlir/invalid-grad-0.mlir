func.func @erf_int(%x: tensor<4xi32>) {
  %0 = mlopt.erf %x : tensor<4xi32>
  return
}
