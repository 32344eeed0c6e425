func.func @linear_input_rank(%x: tensor<f32>, %w: tensor<4x1xf32>) {
  %0 = mlopt.linear %x, %w : (tensor<f32>, tensor<4x1xf32>) -> tensor<4xf32>
  return
}
