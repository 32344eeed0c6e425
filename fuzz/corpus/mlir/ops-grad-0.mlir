func.func @erf(%x: tensor<4x8xf32>, %h: tensor<3xbf16>, %s: tensor<f64>)
    -> (tensor<4x8xf32>, tensor<3xbf16>, tensor<f64>) {
  %a = mlopt.erf %x : tensor<4x8xf32>
  %b = mlopt.erf %h : tensor<3xbf16>
  %c = mlopt.erf %s : tensor<f64>
  return %a, %b, %c : tensor<4x8xf32>, tensor<3xbf16>, tensor<f64>
}
