// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-loss-scaling | FileCheck %s
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-loss-scaling="hysteresis=3 min-scale=4 growth-interval=100 growth-factor=4 backoff-factor=0.25" | FileCheck %s --check-prefix=HYST
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-loss-scaling="mode=static init-scale=1024" | FileCheck %s --check-prefix=STATIC
// RUN: mlopt-opt %s --mlopt-autodiff --mlopt-loss-scaling --mlopt-optimizer="optimizer=sgd lr=0.1 momentum=0.9" | FileCheck %s --check-prefix=SKIP

// A linear layer with an MSE loss; the loss function also writes a buffer
// (as mlopt-prune's mask updates do), which a skipped step must restore.

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @seen : tensor<2xf32> buffer init #mlopt.zeros

func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x2xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  mlopt.state_write %b, @seen : tensor<2xf32>
  %p = mlopt.linear %x, %w, %b : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// The scaler's states (kind loss_scale) follow the last state: GradScaler's
// defaults, no hysteresis state for hysteresis=1.
// CHECK:      mlopt.state @seen
// CHECK-NEXT: mlopt.state @loss_scaler.scale : tensor<f32> loss_scale init #mlopt.constant<value = 6.553600e+04>
// CHECK-NEXT: mlopt.state @loss_scaler.growth_tracker : tensor<i64> loss_scale init #mlopt.zeros
// CHECK-NEXT: mlopt.state @loss_scaler.skipped_steps : tensor<i64> loss_scale init #mlopt.zeros
// CHECK-NOT:  loss_scaler.hysteresis

// The loss function is left alone.
// CHECK-LABEL: func.func @loss(
// CHECK-NOT:     loss_scaler
// CHECK:         return

// The gradients stay results (for mlopt-optimizer), unscaled, followed by
// the verdict and the metrics.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME:      -> (tensor<f32>, tensor<2x3xf32> {mlopt.grad_of = @fc.weight}, tensor<2xf32> {mlopt.grad_of = @fc.bias},
// CHECK-SAME:      tensor<i1> {mlopt.grads_finite}, tensor<f64> {mlopt.metric = "loss_scale"}, tensor<f64> {mlopt.metric = "skipped"},
// CHECK-SAME:      tensor<f64> {mlopt.metric = "nonfinite_grad"}, tensor<f64> {mlopt.metric = "scale_at_floor"})
// CHECK-SAME:      attributes {mlopt.checked_grads = [@fc.weight, @fc.bias], mlopt.train_step}
// The scale and the value to restore are read first.
// CHECK-NEXT:    %[[SCALE:.*]] = mlopt.state_read @loss_scaler.scale : tensor<f32>
// CHECK-NEXT:    %[[SEEN0:.*]] = mlopt.state_read @seen : tensor<2xf32>
// CHECK:         mlopt.state_write %{{.*}}, @seen
// CHECK:         %[[L:.*]] = mlopt.mse_loss
// The scale is the sweep's seed: no marked constant is left.
// CHECK-NOT:     mlopt.loss_cotangent
// CHECK:         %[[F:.*]] = mlopt.mul %[[SCALE]], %{{.*}} : tensor<f32>
// CHECK:         %[[GW:.*]] = mlopt.matmul
// CHECK:         %[[GB:.*]] = mlopt.sum %{{.*}} dims = [0] : tensor<4x2xf32> -> tensor<2xf32>
// Unscaled with the reciprocal computed in f64.
// CHECK:         %[[SD:.*]] = mlopt.cast %[[SCALE]] : tensor<f32> to tensor<f64>
// CHECK-NEXT:    %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[INV:.*]] = mlopt.div %[[ONE]], %[[SD]] : tensor<f64>
// CHECK-NEXT:    %[[ZERO:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[INVW:.*]] = mlopt.cast %[[INV]] : tensor<f64> to tensor<f32>
// CHECK-NEXT:    %[[UW:.*]] = mlopt.mul %[[GW]], %[[INVW]] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
// One finite check over all the gradients: sum(g * 0) is 0 or NaN.
// CHECK-NEXT:    %[[Z0:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[MW:.*]] = mlopt.mul %[[UW]], %[[Z0]]
// CHECK-NEXT:    %[[SW:.*]] = mlopt.sum %[[MW]] dims = [0, 1] : tensor<2x3xf32> -> tensor<f32>
// CHECK-NEXT:    %[[INVB:.*]] = mlopt.cast %[[INV]] : tensor<f64> to tensor<f32>
// CHECK-NEXT:    %[[UB:.*]] = mlopt.mul %[[GB]], %[[INVB]] : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
// CHECK-NEXT:    %[[Z1:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[MB:.*]] = mlopt.mul %[[UB]], %[[Z1]]
// CHECK-NEXT:    %[[SB:.*]] = mlopt.sum %[[MB]] dims = [0] : tensor<2xf32> -> tensor<f32>
// CHECK-NEXT:    %[[TOTAL:.*]] = mlopt.add %[[SW]], %[[SB]] : tensor<f32>
// CHECK-NEXT:    %[[FINITE:.*]] = mlopt.compare eq, %[[TOTAL]], %[[ZERO]] : (tensor<f32>, tensor<f32>) -> tensor<i1>
// The first non-finite gradient: an index into mlopt.checked_grads, or -1.
// CHECK-NEXT:    %[[NONE:.*]] = mlopt.constant dense<-1.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[I1:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[BADB:.*]] = mlopt.compare ne, %[[SB]], %[[ZERO]]
// CHECK-NEXT:    %[[IDX1:.*]] = mlopt.select %[[BADB]], %[[I1]], %[[NONE]]
// CHECK-NEXT:    %[[I0:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[BADW:.*]] = mlopt.compare ne, %[[SW]], %[[ZERO]]
// CHECK-NEXT:    %[[IDX:.*]] = mlopt.select %[[BADW]], %[[I0]], %[[IDX1]]
// CHECK-NEXT:    %[[F0:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[F1:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[SKIPPED:.*]] = mlopt.select %[[FINITE]], %[[F0]], %[[F1]]
// The scale update: growth after 2000 finite steps in a row, backoff 0.5
// (floor 1) otherwise.
// CHECK-NEXT:    %[[T:.*]] = mlopt.state_read @loss_scaler.growth_tracker : tensor<i64>
// CHECK-NEXT:    %[[TF:.*]] = mlopt.cast %[[T]] : tensor<i64> to tensor<f64>
// CHECK-NEXT:    %[[T1:.*]] = mlopt.add %[[TF]], %[[F1]] : tensor<f64>
// CHECK-NEXT:    %[[INTERVAL:.*]] = mlopt.constant dense<2.000000e+03> : tensor<f64>
// CHECK-NEXT:    %[[GROW:.*]] = mlopt.compare ge, %[[T1]], %[[INTERVAL]]
// CHECK-NEXT:    %[[GF:.*]] = mlopt.constant dense<2.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[UP:.*]] = mlopt.mul %[[SD]], %[[GF]] : tensor<f64>
// A growth past f32's largest value keeps the scale (GradScaler's isfinite).
// CHECK-NEXT:    %[[FMAX:.*]] = mlopt.constant dense<3.4028234663852886E+38> : tensor<f64>
// CHECK-NEXT:    %[[FITS:.*]] = mlopt.compare le, %[[UP]], %[[FMAX]]
// CHECK-NEXT:    %[[UPFIT:.*]] = mlopt.select %[[FITS]], %[[UP]], %[[SD]]
// CHECK-NEXT:    %[[GROWN:.*]] = mlopt.select %[[GROW]], %[[UPFIT]], %[[SD]]
// CHECK-NEXT:    %[[MIN:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[BF:.*]] = mlopt.constant dense<5.000000e-01> : tensor<f64>
// CHECK-NEXT:    %[[DOWN:.*]] = mlopt.mul %[[SD]], %[[BF]] : tensor<f64>
// CHECK-NEXT:    %[[BACKED:.*]] = mlopt.maximum %[[DOWN]], %[[MIN]] : tensor<f64>
// CHECK-NEXT:    %[[MIN2:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// CHECK-NEXT:    %[[ATMIN:.*]] = mlopt.compare le, %[[SD]], %[[MIN2]]
// CHECK-NEXT:    %[[FLOORIF:.*]] = mlopt.select %[[ATMIN]], %[[F1]], %[[F0]]
// CHECK-NEXT:    %[[FLOOR:.*]] = mlopt.select %[[FINITE]], %[[F0]], %[[FLOORIF]]
// CHECK-NEXT:    %[[NEWSCALE:.*]] = mlopt.select %[[FINITE]], %[[GROWN]], %[[BACKED]]
// CHECK-NEXT:    %[[NEWSCALE32:.*]] = mlopt.cast %[[NEWSCALE]] : tensor<f64> to tensor<f32>
// CHECK-NEXT:    mlopt.state_write %[[NEWSCALE32]], @loss_scaler.scale : tensor<f32>
// CHECK-NEXT:    %[[COUNTED:.*]] = mlopt.select %[[GROW]], %[[F0]], %[[T1]]
// CHECK-NEXT:    %[[NEWT:.*]] = mlopt.select %[[FINITE]], %[[COUNTED]], %[[F0]]
// CHECK-NEXT:    %[[NEWTI:.*]] = mlopt.cast %[[NEWT]] : tensor<f64> to tensor<i64>
// CHECK-NEXT:    mlopt.state_write %[[NEWTI]], @loss_scaler.growth_tracker : tensor<i64>
// CHECK-NEXT:    %[[S:.*]] = mlopt.state_read @loss_scaler.skipped_steps : tensor<i64>
// CHECK-NEXT:    %[[SF:.*]] = mlopt.cast %[[S]] : tensor<i64> to tensor<f64>
// CHECK-NEXT:    %[[S1:.*]] = mlopt.add %[[SF]], %[[SKIPPED]] : tensor<f64>
// CHECK-NEXT:    %[[S1I:.*]] = mlopt.cast %[[S1]] : tensor<f64> to tensor<i64>
// CHECK-NEXT:    mlopt.state_write %[[S1I]], @loss_scaler.skipped_steps : tensor<i64>
// What the step wrote before is restored when it is skipped.
// CHECK-NEXT:    %[[SEEN1:.*]] = mlopt.state_read @seen : tensor<2xf32>
// CHECK-NEXT:    %[[SEEN2:.*]] = mlopt.select %[[FINITE]], %[[SEEN1]], %[[SEEN0]]
// CHECK-NEXT:    mlopt.state_write %[[SEEN2]], @seen : tensor<2xf32>
// CHECK-NEXT:    return %[[L]], %[[UW]], %[[UB]], %[[FINITE]], %[[SD]], %[[SKIPPED]], %[[IDX]], %[[FLOOR]]

// DeepSpeed's hysteresis: a state counting the overflows still tolerated,
// refilled when the scale grows; the scale backs off (and the floor counts)
// only once it is used up.
// HYST:      mlopt.state @loss_scaler.scale : tensor<f32> loss_scale init #mlopt.constant<value = 6.553600e+04>
// HYST-NEXT: mlopt.state @loss_scaler.growth_tracker : tensor<i64> loss_scale init #mlopt.zeros
// HYST-NEXT: mlopt.state @loss_scaler.hysteresis : tensor<i64> loss_scale init #mlopt.constant<value = 3.000000e+00>
// HYST-NEXT: mlopt.state @loss_scaler.skipped_steps
// HYST-LABEL: func.func @train_step(
// HYST:        %[[FINITE:.*]] = mlopt.compare eq
// HYST:        %[[SKIPPED:.*]] = mlopt.select %[[FINITE]], %{{.*}}, %[[ONE:.*]] :
// HYST:        %[[GROW:.*]] = mlopt.compare ge, %{{.*}}, %{{.*}}
// HYST:        %[[GF:.*]] = mlopt.constant dense<4.000000e+00> : tensor<f64>
// HYST:        %[[BF:.*]] = mlopt.constant dense<2.500000e-01> : tensor<f64>
// HYST:        %[[BACKED:.*]] = mlopt.maximum
// HYST:        %[[ATMIN:.*]] = mlopt.compare le, %{{.*}}, %{{.*}}
// HYST:        %[[FLOORIF:.*]] = mlopt.select %[[ATMIN]]
// HYST-NEXT:   %[[H:.*]] = mlopt.state_read @loss_scaler.hysteresis : tensor<i64>
// HYST-NEXT:   %[[HF:.*]] = mlopt.cast %[[H]] : tensor<i64> to tensor<f64>
// HYST-NEXT:   %[[USEDUP:.*]] = mlopt.compare le, %[[HF]], %[[ONE]]
// HYST-NEXT:   %[[ONOVERFLOW:.*]] = mlopt.select %[[USEDUP]], %[[BACKED]], %{{.*}}
// HYST-NEXT:   %[[FLOORH:.*]] = mlopt.select %[[USEDUP]], %[[FLOORIF]], %{{.*}}
// HYST-NEXT:   %[[FULL:.*]] = mlopt.constant dense<3.000000e+00> : tensor<f64>
// HYST-NEXT:   %[[REFILLED:.*]] = mlopt.select %[[GROW]], %[[FULL]], %[[HF]]
// HYST-NEXT:   %[[LESS:.*]] = mlopt.sub %[[HF]], %[[ONE]]
// HYST-NEXT:   %[[USED:.*]] = mlopt.select %[[USEDUP]], %[[HF]], %[[LESS]]
// HYST-NEXT:   %[[NEWH:.*]] = mlopt.select %[[FINITE]], %[[REFILLED]], %[[USED]]
// HYST-NEXT:   %[[NEWHI:.*]] = mlopt.cast %[[NEWH]] : tensor<f64> to tensor<i64>
// HYST-NEXT:   mlopt.state_write %[[NEWHI]], @loss_scaler.hysteresis
// HYST-NEXT:   %[[FLOOR:.*]] = mlopt.select %[[FINITE]], %{{.*}}, %[[FLOORH]]
// HYST-NEXT:   %[[NEWSCALE:.*]] = mlopt.select %[[FINITE]], %{{.*}}, %[[ONOVERFLOW]]
// HYST:        return {{.*}}, %[[FLOOR]] :

// A static scale: no growth tracker, no update of the scale; every skipped
// step is at the floor.
// STATIC:      mlopt.state @loss_scaler.scale : tensor<f32> loss_scale init #mlopt.constant<value = 1.024000e+03>
// STATIC-NEXT: mlopt.state @loss_scaler.skipped_steps
// STATIC-LABEL: func.func @train_step(
// STATIC-NOT:   mlopt.state_write %{{.*}}, @loss_scaler.scale
// STATIC:       %[[FINITE:.*]] = mlopt.compare eq
// STATIC:       %[[SKIPPED:.*]] = mlopt.select %[[FINITE]], %{{.*}}, %{{.*}} : (tensor<i1>, tensor<f64>, tensor<f64>) -> tensor<f64>
// STATIC-NOT:   mlopt.state_write %{{.*}}, @loss_scaler.scale
// STATIC:       return %{{.*}}, %{{.*}}, %{{.*}}, %[[FINITE]], %{{.*}}, %[[SKIPPED]], %{{.*}}, %[[SKIPPED]] :

// mlopt-optimizer consumes the verdict with the gradients: each state it
// writes keeps its old value on a skipped step, the step counter (and so
// the schedule) too.
// SKIP-LABEL: func.func @train_step(
// SKIP-SAME:    -> (tensor<f32>, tensor<f64> {mlopt.metric = "loss_scale"}, tensor<f64> {mlopt.metric = "skipped"},
// SKIP-SAME:    tensor<f64> {mlopt.metric = "nonfinite_grad"}, tensor<f64> {mlopt.metric = "scale_at_floor"}, tensor<f64> {mlopt.metric = "lr"})
// SKIP:         %[[FINITE:.*]] = mlopt.compare eq
// SKIP:         %[[STEP:.*]] = mlopt.state_read @optimizer.step : tensor<i64>
// SKIP:         %[[W:.*]] = mlopt.state_read @fc.weight : tensor<2x3xf32>
// SKIP-NEXT:    %[[BUF:.*]] = mlopt.state_read @optimizer.fc.weight.momentum_buffer : tensor<2x3xf32>
// SKIP:         %[[NEWW:.*]] = mlopt.sub %[[W]], %{{.*}} : tensor<2x3xf32>
// SKIP-NEXT:    %[[KEPTW:.*]] = mlopt.select %[[FINITE]], %[[NEWW]], %[[W]] : (tensor<i1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// SKIP-NEXT:    mlopt.state_write %[[KEPTW]], @fc.weight
// SKIP-NEXT:    %[[KEPTBUF:.*]] = mlopt.select %[[FINITE]], %{{.*}}, %[[BUF]]
// SKIP-NEXT:    mlopt.state_write %[[KEPTBUF]], @optimizer.fc.weight.momentum_buffer
// SKIP:         %[[NEXT:.*]] = mlopt.cast %{{.*}} : tensor<f64> to tensor<i64>
// SKIP-NEXT:    %[[KEPTSTEP:.*]] = mlopt.select %[[FINITE]], %[[NEXT]], %[[STEP]] : (tensor<i1>, tensor<i64>, tensor<i64>) -> tensor<i64>
// SKIP-NEXT:    mlopt.state_write %[[KEPTSTEP]], @optimizer.step
