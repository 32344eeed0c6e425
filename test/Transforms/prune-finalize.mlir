// RUN: mlopt-opt %s -split-input-file --mlopt-prune-finalize | FileCheck %s

// Unstructured (l1) pruning folds: the weight keeps its type and takes its
// masked value; the mask, the mask update, the schedule and pruning.step go.

// CHECK-NOT: mlopt.masked_by
// CHECK-LABEL: mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[1.000000e+00, -0.000000e+00, 3.000000e+00], [0.000000e+00, 5.000000e+00, -6.000000e+00]]> : tensor<2x3xf32>>
// CHECK-NOT: mlopt.masked_by
// CHECK: mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32> {mlopt.input}, %[[Y:.*]]: tensor<4xi64> {mlopt.label})
// CHECK-NEXT: %[[W:.*]] = mlopt.state_read @fc.weight : tensor<2x3xf32>
// CHECK-NEXT: %[[B:.*]] = mlopt.state_read @fc.bias : tensor<2xf32>
// CHECK-NEXT: %[[H:.*]] = mlopt.linear %[[X]], %[[W]], %[[B]] : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK-NEXT: %[[L:.*]] = mlopt.cross_entropy %[[H]], %[[Y]]
// CHECK-NEXT: return %[[L]]
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]> : tensor<2x3xf32>>
    {mlopt.masked_by = @fc.weight.mask}
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>>
mlopt.state @pruning.step : tensor<i64> step init #mlopt.zeros

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %t = mlopt.state_read @pruning.step : tensor<i64>
  %s, %u = mlopt.sparsity_schedule %t initial = 5.000000e-01 final = 5.000000e-01
      start = 0 end = 0 frequency = 1 : tensor<i64>
  %w0 = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %m0 = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %abs = mlopt.abs %w0 : tensor<2x3xf32>
  %g = mlopt.reshape %abs : tensor<2x3xf32> to tensor<1x6xf32>
  %p = mlopt.reshape %m0 : tensor<2x3xf32> to tensor<1x6xf32>
  %mg = mlopt.prune_mask %g, %s, %u, %p : tensor<1x6xf32>
  %mask = mlopt.reshape %mg : tensor<1x6xf32> to tensor<2x3xf32>
  mlopt.state_write %mask, @fc.weight.mask : tensor<2x3xf32>
  %tf = mlopt.cast %t : tensor<i64> to tensor<f64>
  %one = mlopt.constant dense<1.0> : tensor<f64>
  %nf = mlopt.add %tf, %one : tensor<f64>
  %next = mlopt.cast %nf : tensor<f64> to tensor<i64>
  mlopt.state_write %next, @pruning.step : tensor<i64>
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %mask : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %h = mlopt.linear %x, %wm, %b
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Structured pruning of fc1's rows (ln, dim=0, with the bias masked along):
// neurons 1 and 3 go from fc1.weight and fc1.bias, and fc2.weight loses the
// matching input columns. The embedded values are sliced the same way.

// CHECK-LABEL: mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[1.000000e+00, 2.000000e+00, 3.000000e+00], [7.000000e+00, 8.000000e+00, 9.000000e+00]]> : tensor<2x3xf32>>
// CHECK-NEXT: mlopt.state @fc1.bias : tensor<2xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<[1.000000e-01, 3.000000e-01]> : tensor<2xf32>>
// CHECK-NEXT: mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[1.000000e+00, 3.000000e+00], [5.000000e+00, 7.000000e+00]]> : tensor<2x2xf32>>
// CHECK-NEXT: mlopt.state @fc2.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK-NOT: apply_mask
// CHECK: %[[W1:.*]] = mlopt.state_read @fc1.weight : tensor<2x3xf32>
// CHECK: %[[B1:.*]] = mlopt.state_read @fc1.bias : tensor<2xf32>
// CHECK: %[[H:.*]] = mlopt.linear %{{.*}}, %[[W1]], %[[B1]] : (tensor<8x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
// CHECK: %[[A:.*]] = mlopt.relu %[[H]] : tensor<8x2xf32>
// CHECK: %[[W2:.*]] = mlopt.state_read @fc2.weight : tensor<2x2xf32>
// CHECK: %[[B2:.*]] = mlopt.state_read @fc2.bias : tensor<2xf32>
// CHECK: mlopt.linear %[[A]], %[[W2]], %[[B2]] : (tensor<8x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<8x2xf32>
mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0],
                             [7.0, 8.0, 9.0], [10.0, 11.0, 12.0]]> : tensor<4x3xf32>>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable
    init #mlopt.value<dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>>
    {mlopt.masked_by = @fc1.bias.mask}
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>>
mlopt.state @fc2.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc1.weight.mask : tensor<4x3xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0],
                             [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]> : tensor<4x3xf32>>
mlopt.state @fc1.bias.mask : tensor<4xf32> mask
    init #mlopt.value<dense<[1.0, 0.0, 1.0, 0.0]> : tensor<4xf32>>
mlopt.state @pruning.step : tensor<i64> step init #mlopt.zeros

func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %t = mlopt.state_read @pruning.step : tensor<i64>
  %s, %u = mlopt.sparsity_schedule %t initial = 5.000000e-01 final = 5.000000e-01
      start = 0 end = 0 frequency = 1 : tensor<i64>
  %w0 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %m0 = mlopt.state_read @fc1.weight.mask : tensor<4x3xf32>
  %sq = mlopt.mul %w0, %w0 : tensor<4x3xf32>
  %norms = mlopt.sum %sq dims = [1] : tensor<4x3xf32> -> tensor<4xf32>
  %g = mlopt.reshape %norms : tensor<4xf32> to tensor<1x4xf32>
  %prev = mlopt.slice %m0 start [0, 0] limit [4, 1] step [1, 1]
      : tensor<4x3xf32> -> tensor<4x1xf32>
  %p = mlopt.reshape %prev : tensor<4x1xf32> to tensor<1x4xf32>
  %mg = mlopt.prune_mask %g, %s, %u, %p : tensor<1x4xf32>
  %rows = mlopt.reshape %mg : tensor<1x4xf32> to tensor<4x1xf32>
  %mask = mlopt.broadcast_to %rows : tensor<4x1xf32> to tensor<4x3xf32>
  mlopt.state_write %mask, @fc1.weight.mask : tensor<4x3xf32>
  %bmask = mlopt.reshape %mg : tensor<1x4xf32> to tensor<4xf32>
  mlopt.state_write %bmask, @fc1.bias.mask : tensor<4xf32>
  %tf = mlopt.cast %t : tensor<i64> to tensor<f64>
  %one = mlopt.constant dense<1.0> : tensor<f64>
  %nf = mlopt.add %tf, %one : tensor<f64>
  %next = mlopt.cast %nf : tensor<f64> to tensor<i64>
  mlopt.state_write %next, @pruning.step : tensor<i64>
  %w1 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %w1m = mlopt.apply_mask %w1, %mask : tensor<4x3xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %b1m = mlopt.apply_mask %b1, %bmask : tensor<4xf32>
  %h = mlopt.linear %x, %w1m, %b1m
      : (tensor<8x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<2xf32>
  %o = mlopt.linear %a, %w2, %b2
      : (tensor<8x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Two structured layers behind gelu, dropout, tanh and a cast round trip
// (all map zero to zero): fc2 loses rows for its own mask and columns for
// fc1's. No mask update is left to erase (the masks only apply), and the
// weights keep their random initializers at the new shapes.

// CHECK-LABEL: mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable init #mlopt.kaiming_uniform
// CHECK-NEXT: mlopt.state @fc1.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
// CHECK-NEXT: mlopt.state @fc2.weight : tensor<1x2xf32> parameter trainable init #mlopt.kaiming_uniform
// CHECK-NEXT: mlopt.state @fc2.bias : tensor<1xf32> parameter trainable init #mlopt.zeros
// CHECK-NEXT: mlopt.state @fc3.weight : tensor<2x1xf32> parameter trainable init #mlopt.kaiming_uniform
// CHECK-NEXT: mlopt.state @rng
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK: %[[H1:.*]] = mlopt.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
// CHECK-NEXT: %[[G:.*]] = mlopt.gelu %[[H1]] approximate = tanh : tensor<8x2xf32>
// CHECK: %[[D:.*]] = mlopt.dropout %[[G]], %{{.*}} p = 1.000000e-01 stream = 1 : tensor<8x2xf32>
// CHECK: %[[H2:.*]] = mlopt.linear %[[D]], %{{.*}}, %{{.*}} : (tensor<8x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<8x1xf32>
// CHECK-NEXT: %[[T:.*]] = mlopt.tanh %[[H2]] : tensor<8x1xf32>
// CHECK-NEXT: %[[C:.*]] = mlopt.cast %[[T]] : tensor<8x1xf32> to tensor<8x1xbf16>
// CHECK-NEXT: %[[F:.*]] = mlopt.cast %[[C]] : tensor<8x1xbf16> to tensor<8x1xf32>
// CHECK: mlopt.linear %[[F]], %{{.*}} : (tensor<8x1xf32>, tensor<2x1xf32>) -> tensor<8x2xf32>
mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable init #mlopt.zeros
    {mlopt.masked_by = @fc1.bias.mask}
mlopt.state @fc2.weight : tensor<3x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc2.weight.mask}
mlopt.state @fc2.bias : tensor<3xf32> parameter trainable init #mlopt.zeros
    {mlopt.masked_by = @fc2.bias.mask}
mlopt.state @fc3.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
mlopt.state @fc1.weight.mask : tensor<4x3xf32> mask
    init #mlopt.value<dense<[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0],
                             [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]> : tensor<4x3xf32>>
mlopt.state @fc1.bias.mask : tensor<4xf32> mask
    init #mlopt.value<dense<[0.0, 1.0, 0.0, 1.0]> : tensor<4xf32>>
mlopt.state @fc2.weight.mask : tensor<3x4xf32> mask
    init #mlopt.value<dense<[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0],
                             [0.0, 0.0, 0.0, 0.0]]> : tensor<3x4xf32>>
mlopt.state @fc2.bias.mask : tensor<3xf32> mask
    init #mlopt.value<dense<[0.0, 1.0, 0.0]> : tensor<3xf32>>

func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<4x3xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<4x3xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %n1 = mlopt.state_read @fc1.bias.mask : tensor<4xf32>
  %b1m = mlopt.apply_mask %b1, %n1 : tensor<4xf32>
  %h1 = mlopt.linear %x, %w1m, %b1m
      : (tensor<8x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %g = mlopt.gelu %h1 approximate = tanh : tensor<8x4xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %d = mlopt.dropout %g, %seed p = 0.1 stream = 1 : tensor<8x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<3x4xf32>
  %m2 = mlopt.state_read @fc2.weight.mask : tensor<3x4xf32>
  %w2m = mlopt.apply_mask %w2, %m2 : tensor<3x4xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<3xf32>
  %n2 = mlopt.state_read @fc2.bias.mask : tensor<3xf32>
  %b2m = mlopt.apply_mask %b2, %n2 : tensor<3xf32>
  %h2 = mlopt.linear %d, %w2m, %b2m
      : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %t = mlopt.tanh %h2 : tensor<8x3xf32>
  %c = mlopt.cast %t : tensor<8x3xf32> to tensor<8x3xbf16>
  %f = mlopt.cast %c : tensor<8x3xbf16> to tensor<8x3xf32>
  %w3 = mlopt.state_read @fc3.weight : tensor<2x3xf32>
  %o = mlopt.linear %f, %w3 : (tensor<8x3xf32>, tensor<2x3xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Input columns (ln, dim=1): fc2's zero columns make fc1's matching neurons
// irrelevant whatever the activation (sigmoid here) and fc1's bias, so fc1
// loses those rows and bias entries.

// CHECK-LABEL: mlopt.state @fc1.weight : tensor<1x2xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[3.000000e+00, 4.000000e+00]]> : tensor<1x2xf32>>
// CHECK-NEXT: mlopt.state @fc1.bias : tensor<1xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<2.000000e+00> : tensor<1xf32>>
// CHECK-NEXT: mlopt.state @fc2.weight : tensor<2x1xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[2.000000e+00], [5.000000e+00]]> : tensor<2x1xf32>>
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK: mlopt.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x2xf32>, tensor<1x2xf32>, tensor<1xf32>) -> tensor<8x1xf32>
// CHECK-NEXT: mlopt.sigmoid %{{.*}} : tensor<8x1xf32>
// CHECK: mlopt.linear %{{.*}}, %{{.*}} : (tensor<8x1xf32>, tensor<2x1xf32>) -> tensor<8x2xf32>
mlopt.state @fc1.weight : tensor<3x2xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>>
mlopt.state @fc1.bias : tensor<3xf32> parameter trainable
    init #mlopt.value<dense<[1.0, 2.0, 3.0]> : tensor<3xf32>>
mlopt.state @fc2.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>>
    {mlopt.masked_by = @fc2.weight.mask}
mlopt.state @fc2.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]> : tensor<2x3xf32>>

func.func @loss(%x: tensor<8x2xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<3x2xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<3xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<8x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %a = mlopt.sigmoid %h : tensor<8x3xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x3xf32>
  %m2 = mlopt.state_read @fc2.weight.mask : tensor<2x3xf32>
  %w2m = mlopt.apply_mask %w2, %m2 : tensor<2x3xf32>
  %o = mlopt.linear %a, %w2m : (tensor<8x3xf32>, tensor<2x3xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The layers are found by their sharding rules, not their names: matmul's
// rhs [k, n] prunes its columns (n, a pass-through factor), and the next
// matmul loses the matching rows (its contracted k).

// CHECK-LABEL: mlopt.state @w1 : tensor<3x2xf32> parameter trainable init #mlopt.kaiming_uniform
// CHECK-NEXT: mlopt.state @w2 : tensor<2x2xf32> parameter trainable init #mlopt.kaiming_uniform
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK: mlopt.matmul %{{.*}}, %{{.*}} : (tensor<8x3xf32>, tensor<3x2xf32>) -> tensor<8x2xf32>
// CHECK-NEXT: mlopt.relu %{{.*}} : tensor<8x2xf32>
// CHECK: mlopt.matmul %{{.*}}, %{{.*}} : (tensor<8x2xf32>, tensor<2x2xf32>) -> tensor<8x2xf32>
mlopt.state @w1 : tensor<3x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @w1.mask}
mlopt.state @w2 : tensor<4x2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @w1.mask : tensor<3x4xf32> mask
    init #mlopt.value<dense<[[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0],
                             [1.0, 0.0, 0.0, 1.0]]> : tensor<3x4xf32>>

func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @w1 : tensor<3x4xf32>
  %m1 = mlopt.state_read @w1.mask : tensor<3x4xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<3x4xf32>
  %h = mlopt.matmul %x, %w1m : (tensor<8x3xf32>, tensor<3x4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %w2 = mlopt.state_read @w2 : tensor<4x2xf32>
  %o = mlopt.matmul %a, %w2 : (tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Structured rows whose bias is not masked: the neurons still output
// relu(bias), so the layer keeps its shape and the mask only folds.

// CHECK-LABEL: mlopt.state @fc1.weight : tensor<2x2xf32> parameter trainable
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[1.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>>
// CHECK-NEXT: mlopt.state @fc1.bias : tensor<2xf32> parameter trainable init #mlopt.ones
// CHECK-NEXT: mlopt.state @fc2.weight : tensor<2x2xf32>
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK-NOT: apply_mask
// CHECK: mlopt.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<8x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<8x2xf32>
mlopt.state @fc1.weight : tensor<2x2xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.bias : tensor<2xf32> parameter trainable init #mlopt.ones
mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.weight.mask : tensor<2x2xf32> mask
    init #mlopt.value<dense<[[1.0, 1.0], [0.0, 0.0]]> : tensor<2x2xf32>>

func.func @loss(%x: tensor<8x2xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x2xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<2x2xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<2x2xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<2xf32>
  %h = mlopt.linear %x, %w1m, %b1
      : (tensor<8x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<8x2xf32>
  %a = mlopt.relu %h : tensor<8x2xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x2xf32>
  %o = mlopt.linear %a, %w2 : (tensor<8x2xf32>, tensor<2x2xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A model without pruning state is left alone.

// CHECK-LABEL: mlopt.state @fc.weight : tensor<2x3xf32>
// CHECK-LABEL: func.func @loss
// CHECK-NEXT: mlopt.state_read @fc.weight : tensor<2x3xf32>
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %h = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// fc1's rows and fc2's columns pruned on their own: a neuron goes when
// either says so (the union, here neurons 0, 1 and 3).

// CHECK-LABEL: mlopt.state @fc1.weight : tensor<1x2xf32>
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[5.000000e+00, 6.000000e+00]]> : tensor<1x2xf32>>
// CHECK-NEXT: mlopt.state @fc1.bias : tensor<1xf32>
// CHECK-SAME: init #mlopt.value<dense<3.000000e+00> : tensor<1xf32>>
// CHECK-NEXT: mlopt.state @fc2.weight : tensor<2x1xf32>
// CHECK-SAME: init #mlopt.value<dense<{{\[}}[3.000000e+00], [7.000000e+00]]> : tensor<2x1xf32>>
// CHECK-NOT: mlopt.state
// CHECK-LABEL: func.func @loss
// CHECK: mlopt.linear %{{.*}}, %{{.*}} : (tensor<8x1xf32>, tensor<2x1xf32>) -> tensor<8x2xf32>
mlopt.state @fc1.weight : tensor<4x2xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable
    init #mlopt.value<dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>>
    {mlopt.masked_by = @fc1.bias.mask}
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>>
    {mlopt.masked_by = @fc2.weight.mask}
mlopt.state @fc1.weight.mask : tensor<4x2xf32> mask
    init #mlopt.value<dense<[[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]> : tensor<4x2xf32>>
mlopt.state @fc1.bias.mask : tensor<4xf32> mask
    init #mlopt.value<dense<[0.0, 0.0, 1.0, 1.0]> : tensor<4xf32>>
mlopt.state @fc2.weight.mask : tensor<2x4xf32> mask
    init #mlopt.value<dense<[[0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]> : tensor<2x4xf32>>

func.func @loss(%x: tensor<8x2xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<4x2xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<4x2xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<4x2xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %n1 = mlopt.state_read @fc1.bias.mask : tensor<4xf32>
  %b1m = mlopt.apply_mask %b1, %n1 : tensor<4xf32>
  %h = mlopt.linear %x, %w1m, %b1m
      : (tensor<8x2xf32>, tensor<4x2xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %m2 = mlopt.state_read @fc2.weight.mask : tensor<2x4xf32>
  %w2m = mlopt.apply_mask %w2, %m2 : tensor<2x4xf32>
  %o = mlopt.linear %a, %w2m : (tensor<8x4xf32>, tensor<2x4xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
