func.func @erf_dynamic(%x: tensor<?xf32>) {
  %0 = mlopt.erf %x : tensor<?xf32>
  return
}
