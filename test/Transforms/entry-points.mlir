// RUN: mlopt-opt %s -split-input-file --mlopt-entry-points | FileCheck %s

// @init writes every state from its initializer with stream = fnv1a64(name)
// (signed), @eval_step is the loss with every op in its evaluation form
// (EvalModeOpInterface: dropout is the identity) and no state writes,
// @predict_step computes the loss op's prediction (LossOpInterface) from the
// inputs alone, and the typed manifest lists the states in declaration order.

// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[
// CHECK-SAME: <"fc.weight", parameter, tensor<2x3xf32>, trainable>,
// CHECK-SAME: <"fc.bias", parameter, tensor<2xf32>, trainable>,
// CHECK-SAME: <"rng", rng, tensor<i64>>,
// CHECK-SAME: <"bn.running_mean", buffer, tensor<2xf32>>]>}
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
mlopt.state @bn.running_mean : tensor<2xf32> buffer init #mlopt.zeros

// CHECK-LABEL: func.func @loss
// CHECK:         mlopt.dropout
func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "mae"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %xd = mlopt.dropout %x, %seed p = 0.5 stream = 3 : tensor<4x3xf32>
  %p = mlopt.linear %xd, %w, %b
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  %d = mlopt.sub %p, %y : tensor<4x2xf32>
  %a = mlopt.abs %d : tensor<4x2xf32>
  %m = mlopt.mean %a dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l, %m : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @init(
// CHECK-SAME:      %[[SEED:.*]]: tensor<i64>) attributes {mlopt.init} {
// CHECK-NEXT:    %[[W:.*]] = mlopt.initial_value %[[SEED]], #mlopt.kaiming_uniform<a = 2.2360679774997898> stream = 8789663796911392672 : tensor<2x3xf32>
// CHECK-NEXT:    mlopt.state_write %[[W]], @fc.weight : tensor<2x3xf32>
// CHECK-NEXT:    %[[B:.*]] = mlopt.initial_value %[[SEED]], #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3> stream = 1467645760068537221 : tensor<2xf32>
// CHECK-NEXT:    mlopt.state_write %[[B]], @fc.bias : tensor<2xf32>
// CHECK-NEXT:    %[[R:.*]] = mlopt.initial_value %[[SEED]], #mlopt.from_seed stream = -8498678316426613486 : tensor<i64>
// CHECK-NEXT:    mlopt.state_write %[[R]], @rng : tensor<i64>
// CHECK-NEXT:    %[[M:.*]] = mlopt.initial_value %[[SEED]], #mlopt.zeros stream = -5194815935775955768 : tensor<2xf32>
// CHECK-NEXT:    mlopt.state_write %[[M]], @bn.running_mean : tensor<2xf32>
// CHECK-NEXT:    return
// CHECK-NEXT:  }

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      %[[X:.*]]: tensor<4x3xf32> {mlopt.input}, %[[Y:.*]]: tensor<4x2xf32> {mlopt.label})
// CHECK-SAME:      -> (tensor<f32>, tensor<f32> {mlopt.metric = "mae"}) attributes {mlopt.eval_step} {
// CHECK-NOT:     mlopt.dropout
// CHECK:         mlopt.linear %[[X]], %{{.*}}, %{{.*}}
// CHECK-NOT:     mlopt.dropout
// CHECK-NOT:     mlopt.state_write
// CHECK:         return %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>

// mse_loss's prediction is its input: the linear layer, without dropout,
// without the label argument and the metric.
// CHECK-LABEL: func.func @predict_step(
// CHECK-SAME:      %[[X:.*]]: tensor<4x3xf32> {mlopt.input})
// CHECK-SAME:      -> tensor<4x2xf32> attributes {mlopt.predict_step} {
// CHECK-NEXT:    %[[W:.*]] = mlopt.state_read @fc.weight
// CHECK-NEXT:    %[[B:.*]] = mlopt.state_read @fc.bias
// CHECK-NEXT:    %[[P:.*]] = mlopt.linear %[[X]], %[[W]], %[[B]]
// CHECK-NEXT:    return %[[P]] : tensor<4x2xf32>
// CHECK-NEXT:  }

// -----

// Also with the training IR present: state writes of @train_step are not
// copied into @eval_step, which is cloned from the loss function.

// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[
// CHECK-SAME: <"w", parameter, tensor<2xf64>, trainable>,
// CHECK-SAME: <"optimizer.w.momentum_buffer", optimizer_state, tensor<2xf64>>,
// CHECK-SAME: <"optimizer.step", step, tensor<i64>>]>}
mlopt.state @w : tensor<2xf64> parameter trainable init #mlopt.ones
mlopt.state @optimizer.w.momentum_buffer : tensor<2xf64> optimizer_state
    init #mlopt.zeros
mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros

func.func @loss(%x: tensor<2xf64> {mlopt.input}) -> tensor<f64>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf64>
  %p = mlopt.mul %w, %x : tensor<2xf64>
  %l = mlopt.sum %p dims = [0] : tensor<2xf64> -> tensor<f64>
  return %l : tensor<f64>
}

func.func @train_step(%x: tensor<2xf64> {mlopt.input}) -> tensor<f64>
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf64>
  %p = mlopt.mul %w, %x : tensor<2xf64>
  %l = mlopt.sum %p dims = [0] : tensor<2xf64> -> tensor<f64>
  %n = mlopt.sub %w, %x : tensor<2xf64>
  mlopt.state_write %n, @w : tensor<2xf64>
  return %l : tensor<f64>
}

// CHECK-LABEL: func.func @init(
// CHECK-COUNT-3: mlopt.state_write
// CHECK-NEXT:    return

// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:      attributes {mlopt.eval_step}
// CHECK-NEXT:    mlopt.state_read @w
// CHECK-NEXT:    mlopt.mul
// CHECK-NEXT:    mlopt.sum
// CHECK-NEXT:    return

// The loss is a sum, not a LossOpInterface op: no @predict_step.
// CHECK-NOT:   @predict_step

// -----

// A classifier: cross_entropy's prediction is the logits; the accuracy
// metric and the labels are left out.

mlopt.state @fc.weight : tensor<10x4xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<8x4xf32> {mlopt.input},
                %y: tensor<8xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<10x4xf32>
  %logits = mlopt.linear %x, %w
      : (tensor<8x4xf32>, tensor<10x4xf32>) -> tensor<8x10xf32>
  %l = mlopt.cross_entropy %logits, %y
      : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  %a = mlopt.accuracy %logits, %y
      : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  return %l, %a : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @predict_step(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32> {mlopt.input})
// CHECK-SAME:      -> tensor<8x10xf32> attributes {mlopt.predict_step} {
// CHECK-NEXT:    %[[W:.*]] = mlopt.state_read @fc.weight
// CHECK-NEXT:    %[[L:.*]] = mlopt.linear %[[X]], %[[W]]
// CHECK-NEXT:    return %[[L]] : tensor<8x10xf32>
// CHECK-NEXT:  }

// -----

// nll_loss's prediction is its log-probabilities; the label argument may
// come first.

mlopt.state @fc.weight : tensor<10x4xf32> parameter trainable init #mlopt.zeros

func.func @loss(%y: tensor<8xi32> {mlopt.label},
                %x: tensor<8x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<10x4xf32>
  %logits = mlopt.linear %x, %w
      : (tensor<8x4xf32>, tensor<10x4xf32>) -> tensor<8x10xf32>
  %logp = mlopt.log_softmax %logits dim = 1 : tensor<8x10xf32>
  %l = mlopt.nll_loss %logp, %y
      : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @predict_step(
// CHECK-SAME:      %[[X:.*]]: tensor<8x4xf32> {mlopt.input})
// CHECK-SAME:      -> tensor<8x10xf32> attributes {mlopt.predict_step} {
// CHECK-NEXT:    %[[W:.*]] = mlopt.state_read @fc.weight
// CHECK-NEXT:    %[[L:.*]] = mlopt.linear %[[X]], %[[W]]
// CHECK-NEXT:    %[[P:.*]] = mlopt.log_softmax %[[L]]
// CHECK-NEXT:    return %[[P]] : tensor<8x10xf32>
// CHECK-NEXT:  }

// -----

// kl_div's prediction is its input (log-probabilities against a target
// distribution given as the label).

func.func @loss(%x: tensor<8x10xf32> {mlopt.input},
                %t: tensor<8x10xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %logp = mlopt.log_softmax %x dim = 1 : tensor<8x10xf32>
  %l = mlopt.kl_div %logp, %t reduction = batchmean
      : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @predict_step(
// CHECK-SAME:      %[[X:.*]]: tensor<8x10xf32> {mlopt.input})
// CHECK-SAME:      -> tensor<8x10xf32> attributes {mlopt.predict_step} {
// CHECK-NEXT:    %[[P:.*]] = mlopt.log_softmax %[[X]]
// CHECK-NEXT:    return %[[P]] : tensor<8x10xf32>
// CHECK-NEXT:  }
