func.func @cast_unsupported_element(%x: tensor<4xf32>) {
  %0 = mlopt.cast %x : tensor<4xf32> to tensor<4xf8E4M3FN>
  return
}
