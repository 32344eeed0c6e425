func.func @accuracy_result_element(%p: tensor<8x10xbf16>, %y: tensor<8xi32>) {
  %0 = mlopt.accuracy %p, %y : (tensor<8x10xbf16>, tensor<8xi32>) -> tensor<f32>
  return
}
