module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>>, <"v", buffer, tensor<2xf32>>]>} {
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
}
