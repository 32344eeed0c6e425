module attributes {mlopt.manifest = #mlopt.manifest<[<"a", buffer, tensor<2xf64>>, <"b", buffer, tensor<2xf16>>, <"c", buffer, tensor<2xi32>>, <"d", buffer, tensor<2xi8>>]>,
                   test.entry = #mlopt.state_entry<"e", parameter, tensor<3x3xf16>, trainable>} {
}
