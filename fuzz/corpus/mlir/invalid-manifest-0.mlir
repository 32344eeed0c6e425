module attributes {mlopt.manifest = #mlopt.manifest<[<"", parameter, tensor<2xf32>>]>} {
}
