func.func @cross_entropy_labels_rank(%p: tensor<8x10xf32>, %y: tensor<8x1xi32>) {
  %0 = mlopt.cross_entropy %p, %y : (tensor<8x10xf32>, tensor<8x1xi32>) -> tensor<f32>
  return
}
