module attributes {mlopt.manifest = #mlopt.manifest<[<"b", parameter, tensor<2xf32>>, <"w", parameter, tensor<2xf32>>]>} {
  mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros
  mlopt.state @b : tensor<2xf32> parameter init #mlopt.zeros
}
