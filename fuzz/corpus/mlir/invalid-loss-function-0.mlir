func.func @no_result(%x: tensor<4xf32> {mlopt.input}) attributes {mlopt.loss} {
  return
}
