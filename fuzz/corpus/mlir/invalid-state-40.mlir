func.func @constant_bad_element() {
  %0 = mlopt.constant dense<1> : tensor<4xi4>
  return
}
