func.func @dropout_result(%x: tensor<4xf32>, %seed: tensor<i64>) {
  %0 = "mlopt.dropout"(%x, %seed) <{p = 0.5 : f64, stream = 0 : i64}> : (tensor<4xf32>, tensor<i64>) -> tensor<4xf16>
  return
}
