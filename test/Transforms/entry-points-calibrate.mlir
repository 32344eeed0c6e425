// RUN: mlopt-opt %s -split-input-file --mlopt-entry-points | FileCheck %s

// A model with observer state (mlopt-quantize) gets @calibrate_step: the
// loss function in evaluation form (dropout is the identity), except that
// mlopt.observe keeps its training form and the writes of observer states
// stay; every other state write (a buffer, a step counter) is dropped. The
// argument and result attributes are not copied. @eval_step has no observer
// update and no write.

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
// (The initial values do not matter here.)
mlopt.state @fc.input_observer.min_val : tensor<f32> observer init #mlopt.zeros
mlopt.state @fc.input_observer.max_val : tensor<f32> observer init #mlopt.zeros
mlopt.state @quantization.step : tensor<i64> step init #mlopt.zeros
mlopt.state @stats : tensor<3xf32> buffer init #mlopt.zeros

func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "mae"})
    attributes {mlopt.loss} {
  %seed = mlopt.state_read @rng : tensor<i64>
  %xd = mlopt.dropout %x, %seed p = 0.5 stream = 3 : tensor<4x3xf32>
  %min = mlopt.state_read @fc.input_observer.min_val : tensor<f32>
  %max = mlopt.state_read @fc.input_observer.max_val : tensor<f32>
  %step = mlopt.state_read @quantization.step : tensor<i64>
  %u = mlopt.constant dense<true> : tensor<i1>
  %min1, %max1 = mlopt.observe %xd, %min, %max, %u
      : tensor<4x3xf32>, tensor<f32>
  mlopt.state_write %min1, @fc.input_observer.min_val : tensor<f32>
  mlopt.state_write %max1, @fc.input_observer.max_val : tensor<f32>
  %tf = mlopt.cast %step : tensor<i64> to tensor<f64>
  %one = mlopt.constant dense<1.0> : tensor<f64>
  %nf = mlopt.add %tf, %one : tensor<f64>
  %step1 = mlopt.cast %nf : tensor<f64> to tensor<i64>
  mlopt.state_write %step1, @quantization.step : tensor<i64>
  %m = mlopt.mean %xd dims = [0] : tensor<4x3xf32> -> tensor<3xf32>
  mlopt.state_write %m, @stats : tensor<3xf32>
  %s, %z = mlopt.quant_params %min1, %max1 {quant_min = -128, quant_max = 127}
      : tensor<f32>
  %xq = mlopt.fake_quant %xd, %s, %z {quant_min = -128, quant_max = 127}
      : tensor<4x3xf32>, tensor<f32>
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %p = mlopt.linear %xq, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  %d = mlopt.sub %p, %y : tensor<4x2xf32>
  %a = mlopt.abs %d : tensor<4x2xf32>
  %mae = mlopt.mean %a dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l, %mae : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @eval_step(
// CHECK-NOT:     mlopt.observe
// CHECK-NOT:     mlopt.state_write
// CHECK:         return

// CHECK-LABEL: func.func @calibrate_step(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<4x3xf32>, %{{[^:]*}}: tensor<4x2xf32>)
// CHECK-SAME:      -> (tensor<f32>, tensor<f32>) {
// CHECK-NOT:     mlopt.dropout
// CHECK:         %[[MIN:.*]] = mlopt.state_read @fc.input_observer.min_val
// CHECK:         %[[MAX:.*]] = mlopt.state_read @fc.input_observer.max_val
// CHECK:         %[[NMIN:.*]], %[[NMAX:.*]] = mlopt.observe %[[X]], %[[MIN]], %[[MAX]], %{{.*}} : tensor<4x3xf32>, tensor<f32>
// CHECK-NEXT:    mlopt.state_write %[[NMIN]], @fc.input_observer.min_val
// CHECK-NEXT:    mlopt.state_write %[[NMAX]], @fc.input_observer.max_val
// CHECK-NOT:     mlopt.state_write
// CHECK-NOT:     mlopt.dropout
// CHECK:         mlopt.quant_params %[[NMIN]], %[[NMAX]]
// CHECK-NOT:     mlopt.state_write
// CHECK:         return %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>
// CHECK-NEXT:  }

// CHECK-LABEL: func.func @predict_step(

// -----

// Without observer state there is no @calibrate_step.

// CHECK-LABEL: module
// CHECK-NOT:   @calibrate_step
mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x2xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.mse_loss %x, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// An observe from the constant unobserved range (+inf, -inf; dynamic
// quantization's per-batch range) is the batch's range in @eval_step too.
// No observer state: no @calibrate_step.

// CHECK-LABEL: func.func @eval_step(
// CHECK:         %[[MIN:.*]], %[[MAX:.*]] = mlopt.observe
// CHECK:         mlopt.quant_params %[[MIN]], %[[MAX]]
// CHECK-NOT:   @calibrate_step
func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x3xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %inf = mlopt.constant dense<0x7F800000> : tensor<f32>
  %ninf = mlopt.constant dense<0xFF800000> : tensor<f32>
  %u = mlopt.constant dense<true> : tensor<i1>
  %min, %max = mlopt.observe %x, %inf, %ninf, %u : tensor<4x3xf32>, tensor<f32>
  %s, %z = mlopt.quant_params %min, %max {quant_min = -128, quant_max = 127}
      : tensor<f32>
  %xq = mlopt.fake_quant %x, %s, %z {quant_min = -128, quant_max = 127}
      : tensor<4x3xf32>, tensor<f32>
  %l = mlopt.mse_loss %xq, %y : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
