func.func @erf_result_type(%x: tensor<4xf32>) {
  %0 = "mlopt.erf"(%x) : (tensor<4xf32>) -> tensor<4xf64>
  return
}
