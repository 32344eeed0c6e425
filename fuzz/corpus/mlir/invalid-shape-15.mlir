func.func @slice_wrong_result(%x: tensor<4x8xf32>) {
  %0 = mlopt.slice %x start [0, 2] limit [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}
