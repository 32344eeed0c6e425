// The MLP of examples/mlp.mlir whose i32 labels reach cross_entropy and
// accuracy only through a cast and a reshape: the runtime's label check
// must follow that path (compiled code would clamp a bad label).
mlopt.state @fc.weight : tensor<10x784xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<10xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<128x784xf32> {mlopt.input},
                %y: tensor<128xi32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<10x784xf32>
  %b = mlopt.state_read @fc.bias : tensor<10xf32>
  %logits = mlopt.linear %x, %w, %b
      : (tensor<128x784xf32>, tensor<10x784xf32>, tensor<10xf32>)
      -> tensor<128x10xf32>
  %wide = mlopt.cast %y : tensor<128xi32> to tensor<128xi64>
  %rows = mlopt.reshape %wide : tensor<128xi64> to tensor<128x1xi64>
  %labels = mlopt.reshape %rows : tensor<128x1xi64> to tensor<128xi64>
  %loss = mlopt.cross_entropy %logits, %labels
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %labels
      : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
