func.func @loss(%x: tensor<8x10xf32> {mlopt.input},
                %t: tensor<8x10xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %logp = mlopt.log_softmax %x dim = 1 : tensor<8x10xf32>
  %l = mlopt.kl_div %logp, %t reduction = batchmean
      : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
