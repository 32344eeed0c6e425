// RUN: mlopt-opt %s --mlopt-train-pipeline="optimizer=adamw lr=0.01 max-grad-norm=1.0 schedule=cosine total-steps=100 warmup-steps=10" | FileCheck %s
// RUN: not mlopt-opt %s --mlopt-train-pipeline="optimizer=lion" 2>&1 | FileCheck %s --check-prefix=BAD

// mlopt-train-pipeline = mlopt-autodiff, mlopt-optimizer{...},
// mlopt-entry-points, canonicalize, cse: the optimizer options pass through.

// BAD: error: mlopt-optimizer: unknown optimizer 'lion'

// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[
// CHECK-SAME:    <"fc.weight", parameter, tensor<2x3xf32>, trainable>
// CHECK-SAME:    <"fc.bias", parameter, tensor<2xf32>, trainable>
// CHECK-SAME:    <"rng", rng, tensor<i64>>
// CHECK-SAME:    <"optimizer.fc.weight.exp_avg", optimizer_state, tensor<2x3xf32>>
// CHECK-SAME:    <"optimizer.fc.weight.exp_avg_sq", optimizer_state, tensor<2x3xf32>>
// CHECK-SAME:    <"optimizer.fc.bias.exp_avg", optimizer_state, tensor<2xf32>>
// CHECK-SAME:    <"optimizer.fc.bias.exp_avg_sq", optimizer_state, tensor<2xf32>>
// CHECK-SAME:    <"optimizer.step", step, tensor<i64>>]>}
// CHECK:       mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
// CHECK-NEXT:  mlopt.state @optimizer.fc.weight.exp_avg : tensor<2x3xf32> optimizer_state init #mlopt.zeros
// CHECK-NEXT:  mlopt.state @optimizer.fc.weight.exp_avg_sq : tensor<2x3xf32> optimizer_state init #mlopt.zeros
// CHECK-NEXT:  mlopt.state @optimizer.fc.bias.exp_avg : tensor<2xf32> optimizer_state init #mlopt.zeros
// CHECK-NEXT:  mlopt.state @optimizer.fc.bias.exp_avg_sq : tensor<2xf32> optimizer_state init #mlopt.zeros
// CHECK-NEXT:  mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 3>
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed

func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "mae"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %xd = mlopt.dropout %x, %seed p = 0.25 stream = 1 : tensor<4x3xf32>
  %p = mlopt.linear %xd, %w, %b
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  %d = mlopt.sub %p, %y : tensor<4x2xf32>
  %a = mlopt.abs %d : tensor<4x2xf32>
  %m = mlopt.mean %a dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l, %m : tensor<f32>, tensor<f32>
}

// The gradients are consumed: @train_step returns the loss, the metric and
// the learning rate the (cosine, warmed-up) schedule applied.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:    -> (tensor<f32>, tensor<f32> {mlopt.metric = "mae"}, tensor<f64> {mlopt.metric = "lr"}) attributes {mlopt.train_step}
// CHECK-DAG:     mlopt.minimum
// CHECK-DAG:     mlopt.cos
// CHECK-DAG:     mlopt.compare lt
// CHECK-DAG:     mlopt.state_write %{{.*}}, @fc.weight : tensor<2x3xf32>
// CHECK-DAG:     mlopt.state_write %{{.*}}, @optimizer.fc.weight.exp_avg : tensor<2x3xf32>
// CHECK-DAG:     mlopt.state_write %{{.*}}, @optimizer.fc.bias.exp_avg_sq : tensor<2xf32>
// CHECK-DAG:     mlopt.state_write %{{.*}}, @optimizer.step : tensor<i64>
// CHECK-DAG:     mlopt.state_write %{{.*}}, @rng : tensor<i64>
// CHECK:         return %{{.*}}, %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>, tensor<f64>

// CHECK-LABEL: func.func @init(
// CHECK-COUNT-8: mlopt.state_write
// CHECK-NEXT:    return

// @eval_step applies no update: no learning rate among its results.
// CHECK-LABEL: func.func @eval_step(
// CHECK-SAME:    -> (tensor<f32>, tensor<f32> {mlopt.metric = "mae"}) attributes {mlopt.eval_step}
// CHECK-NOT:     mlopt.dropout
// CHECK-NOT:     mlopt.state_write
// CHECK:         return

// @predict_step: mse_loss's prediction from the input alone, without dropout.
// CHECK-LABEL: func.func @predict_step(
// CHECK-SAME:    %{{.*}}: tensor<4x3xf32> {mlopt.input}) -> tensor<4x2xf32> attributes {mlopt.predict_step}
// CHECK-NOT:     mlopt.dropout
// CHECK:         %[[P:.*]] = mlopt.linear
// CHECK-NEXT:    return %[[P]] : tensor<4x2xf32>
