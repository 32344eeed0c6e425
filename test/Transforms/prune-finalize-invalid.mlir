// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-prune-finalize

// The model holds no trained mask: it lives in a checkpoint.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc.weight.mask}
// expected-error@+1 {{has no #mlopt.value initializer, so its trained value is not in the model: `mlopt-run --load=CHECKPOINT --finalize-pruning` finalizes with the masks of a checkpoint}}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask init #mlopt.ones

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %m = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<2x3xf32>
  %h = mlopt.linear %x, %wm : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error@+1 {{finalizing pruning needs the model's loss function: no func.func with a body is marked 'mlopt.loss'}}
module {
  mlopt.state @w.mask : tensor<2xf32> mask init #mlopt.ones
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// -----

// After mlopt-autodiff the masks are used by the derived functions too.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<1.0> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %m = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<2x3xf32>
  %h = mlopt.linear %x, %wm : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

func.func @eval_step(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.eval_step} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  // expected-error@+1 {{uses @fc.weight.mask outside the loss function @loss: pruning is finalized on the model, before mlopt-autodiff}}
  %m = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<2x3xf32>
  %h = mlopt.linear %x, %wm : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A mask used for something else than masking its weight.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<1.0> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32>) attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  // expected-error@+1 {{uses @fc.weight.mask, which finalizing pruning removes: only apply_mask and the pruning updates of mlopt-prune may use the pruning state}}
  %m = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<2x3xf32>
  %h = mlopt.linear %x, %wm : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  %kept = mlopt.sum %m dims = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l, %kept : tensor<f32>, tensor<f32>
}

// -----

// sigmoid(0) = 0.5: a removed neuron would still feed fc2.
mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x3xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<2x3xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<2x3xf32>
  %h = mlopt.linear %x, %w1m : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  // expected-error@+1 {{'mlopt.sigmoid' op does not map zero to zero elementwise (it has no PreservesZero trait): the removed neurons of @fc1.weight would not output zero through it (operand #0)}}
  %a = mlopt.sigmoid %h : tensor<4x2xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x2xf32>
  %o = mlopt.linear %a, %w2 : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The last layer's neurons are the classes the loss compares.
mlopt.state @fc.weight : tensor<3x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @fc.weight.mask : tensor<3x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]> : tensor<3x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<3x3xf32>
  %m = mlopt.state_read @fc.weight.mask : tensor<3x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<3x3xf32>
  %h = mlopt.linear %x, %wm : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32>
  // expected-error@+1 {{'mlopt.cross_entropy' op does not sum over dimension 1 of operand #0 (the outputs of the removed neurons of @fc.weight): removing them would change its result}}
  %l = mlopt.cross_entropy %h, %y : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The activations of the removed neurons are an output of the model.
mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> (tensor<f32>, tensor<4x2xf32>) attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x3xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<2x3xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<2x3xf32>
  %h = mlopt.linear %x, %w1m : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %a = mlopt.relu %h : tensor<4x2xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x2xf32>
  %o = mlopt.linear %a, %w2 : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  // expected-error@+1 {{returns the outputs of the removed neurons of @fc1.weight (operand #1); they must reach a layer that sums over them}}
  return %l, %a : tensor<f32>, tensor<4x2xf32>
}

// -----

// A mean over the hidden units counts the removed ones.
mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x3xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<2x3xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<2x3xf32>
  %h = mlopt.linear %x, %w1m : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  // expected-error@+1 {{'mlopt.mean' op does not sum over dimension 1 of operand #0}}
  %p = mlopt.mean %h dims = [1] : tensor<4x2xf32> -> tensor<4xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A reshape that merges the hidden dimension into another one.
mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<2xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x3xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<2x3xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<2x3xf32>
  %h = mlopt.linear %x, %w1m : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  // expected-error@+1 {{'mlopt.reshape' op mixes dimension 1 of operand #0 (the outputs of the removed neurons of @fc1.weight) with other dimensions}}
  %r = mlopt.reshape %h : tensor<4x2xf32> to tensor<2x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %o = mlopt.linear %r, %w2 : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<2x2xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Input columns of the first layer: they are the model's inputs.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %m = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<2x3xf32>
  // expected-error@+1 {{'mlopt.linear' op takes operand #0 from an argument of the loss function: no layer produces the removed input columns of @fc.weight, so they cannot be cut}}
  %h = mlopt.linear %x, %wm : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Input columns of fc2 whose inputs feed another op as well.
mlopt.state @fc1.weight : tensor<3x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc2.weight.mask}
mlopt.state @fc2.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<3x3xf32>
  %h = mlopt.linear %x, %w1 : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32>
  // expected-error@+1 {{'mlopt.relu' op result feeds 2 ops: the removed input columns of @fc2.weight can only be cut from a value that feeds nothing else}}
  %a = mlopt.relu %h : tensor<4x3xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x3xf32>
  %m2 = mlopt.state_read @fc2.weight.mask : tensor<2x3xf32>
  %w2m = mlopt.apply_mask %w2, %m2 : tensor<2x3xf32>
  %o = mlopt.linear %a, %w2m : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %r = mlopt.add %a, %x : tensor<4x3xf32>
  %s = mlopt.sum %r dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  %t = mlopt.add %l, %s : tensor<f32>
  return %t : tensor<f32>
}

// -----

// A weight shared by two layers.
mlopt.state @fc.weight : tensor<3x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @head.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.weight.mask : tensor<3x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]> : tensor<3x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<3x3xf32>
  %m = mlopt.state_read @fc.weight.mask : tensor<3x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<3x3xf32>
  %h1 = mlopt.linear %x, %wm : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32>
  // expected-error@+1 {{'mlopt.linear' op uses @fc.weight a second time: a structured shrink follows one use of a weight}}
  %h2 = mlopt.linear %h1, %w : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32>
  %hw = mlopt.state_read @head.weight : tensor<2x3xf32>
  %o = mlopt.linear %h2, %hw : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The next layer's weight is read a second time elsewhere.
mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x3xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<2x3xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<2x3xf32>
  %h = mlopt.linear %x, %w1m : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x2xf32>
  %o = mlopt.linear %h, %w2 : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  // expected-error@+1 {{'mlopt.sum' op uses @fc2.weight, which removing slices of @fc1.weight along dimension 0 shrinks}}
  %n = mlopt.sum %w2 dims = [0, 1] : tensor<2x2xf32> -> tensor<f32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  %t = mlopt.add %l, %n : tensor<f32>
  return %t : tensor<f32>
}

// -----

// fc1's rows and fc2's columns together prune every hidden neuron.
// expected-error@+1 {{'mlopt.state' op and the pruned weights that share its neurons prune all 2 of them: finalizing would leave the layer empty}}
mlopt.state @fc1.weight : tensor<2x2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc2.weight.mask}
mlopt.state @fc1.weight.mask : tensor<2x2xf32> mask
    init #mlopt.value<dense<[[0.0, 0.0], [1.0, 1.0]]> : tensor<2x2xf32>>
mlopt.state @fc2.weight.mask : tensor<2x2xf32> mask
    init #mlopt.value<dense<[[1.0, 0.0], [1.0, 0.0]]> : tensor<2x2xf32>>

func.func @loss(%x: tensor<4x2xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x2xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<2x2xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<2x2xf32>
  %h = mlopt.linear %x, %w1m : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x2xf32>
  %m2 = mlopt.state_read @fc2.weight.mask : tensor<2x2xf32>
  %w2m = mlopt.apply_mask %w2, %m2 : tensor<2x2xf32>
  %o = mlopt.linear %h, %w2m : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
