func.func @overflowing_reshape(%x: tensor<4xf32>) -> tensor<4611686018427387905x4xf32> {
  %y = mlopt.reshape %x : (tensor<4xf32>) -> tensor<4611686018427387905x4xf32>
  return %y : tensor<4611686018427387905x4xf32>
}
