module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<2xf32>, frozen>]>} {
}
