func.func @reshape_element_type(%x: tensor<4x4xf32>) {
  %0 = mlopt.reshape %x : tensor<4x4xf32> to tensor<16xf16>
  return
}
