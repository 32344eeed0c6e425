func.func @transpose_out_of_range(%x: tensor<2x3xf32>) {
  %0 = mlopt.transpose %x, [1, 2] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}
