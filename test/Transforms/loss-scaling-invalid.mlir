// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-loss-scaling -o /dev/null

// Bad options, one RUN line each, all reported at the module.
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="mode=auto" 2>&1 | FileCheck %s --check-prefix=MODE
// MODE: error: mlopt-loss-scaling: unknown mode 'auto' (expected dynamic or static)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="init-scale=0" 2>&1 | FileCheck %s --check-prefix=INIT
// INIT: error: mlopt-loss-scaling: invalid init-scale 0.000000e+00 (needs a finite scale > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="init-scale=inf" 2>&1 | FileCheck %s --check-prefix=INITINF
// INITINF: error: mlopt-loss-scaling: invalid init-scale INF (needs a finite scale > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="growth-factor=1" 2>&1 | FileCheck %s --check-prefix=GROWTH
// GROWTH: error: mlopt-loss-scaling: invalid growth-factor 1.000000e+00 (needs > 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="backoff-factor=1" 2>&1 | FileCheck %s --check-prefix=BACKOFF
// BACKOFF: error: mlopt-loss-scaling: invalid backoff-factor 1.000000e+00 (needs 0 < backoff-factor < 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="backoff-factor=0" 2>&1 | FileCheck %s --check-prefix=BACKOFF0
// BACKOFF0: error: mlopt-loss-scaling: invalid backoff-factor 0.000000e+00 (needs 0 < backoff-factor < 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="growth-interval=0" 2>&1 | FileCheck %s --check-prefix=INTERVAL
// INTERVAL: error: mlopt-loss-scaling: invalid growth-interval 0 (needs >= 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="hysteresis=0" 2>&1 | FileCheck %s --check-prefix=HYST
// HYST: error: mlopt-loss-scaling: invalid hysteresis 0 (needs >= 1; 1 backs off at every overflow)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="min-scale=0" 2>&1 | FileCheck %s --check-prefix=MIN
// MIN: error: mlopt-loss-scaling: invalid min-scale 0.000000e+00 (needs 0 < min-scale <= init-scale 6.553600e+04)
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling="init-scale=8 min-scale=16" 2>&1 | FileCheck %s --check-prefix=MINABOVE
// MINABOVE: error: mlopt-loss-scaling: invalid min-scale 1.600000e+01 (needs 0 < min-scale <= init-scale 8.000000e+00)

// Running the pass twice: the second run finds the first one's verdict.
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling --mlopt-loss-scaling 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: mlopt-loss-scaling: result #2 is already marked 'mlopt.grads_finite' (the pass ran before)

// After mlopt-optimizer the gradients are gone.
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer --mlopt-loss-scaling 2>&1 | FileCheck %s --check-prefix=AFTEROPT
// AFTEROPT: error: mlopt-loss-scaling: @train_step returns no gradients (results marked 'mlopt.grad_of'): loss scaling runs after mlopt-autodiff and before mlopt-optimizer

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  %g = mlopt.broadcast_to %seed : tensor<f32> to tensor<2xf32>
  return %loss, %g : tensor<f32>, tensor<2xf32>
}

// -----

// Without autodiff there is nothing to scale.
// expected-error@+1 {{mlopt-loss-scaling: no function marked 'mlopt.train_step' (run mlopt-autodiff first: loss scaling scales its gradients)}}
module {
  mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// A step without gradients (no trainable state reached).
// expected-error@+1 {{mlopt-loss-scaling: @train_step returns no gradients (results marked 'mlopt.grad_of'): loss scaling runs after mlopt-autodiff and before mlopt-optimizer}}
func.func @train_step() -> tensor<f32> attributes {mlopt.train_step} {
  %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  return %seed : tensor<f32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// Gradients that do not come from mlopt-autodiff's sweep: no seed to scale.
// expected-error@+1 {{mlopt-loss-scaling: @train_step has no mlopt.constant marked 'mlopt.loss_cotangent' (the seed of mlopt-autodiff's reverse sweep) to scale}}
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %loss, %w : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  // expected-error@+1 {{mlopt-loss-scaling: a second op marked 'mlopt.loss_cotangent' (the reverse sweep has one seed)}}
  %again = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  %s = mlopt.add %seed, %again : tensor<f32>
  %g = mlopt.broadcast_to %s : tensor<f32> to tensor<2xf32>
  return %loss, %g : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-loss-scaling: symbol @loss_scaler.scale already exists}}
mlopt.state @loss_scaler.scale : tensor<f32> loss_scale init #mlopt.ones

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  %g = mlopt.broadcast_to %seed : tensor<f32> to tensor<2xf32>
  return %loss, %g : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// A metric of the model with a name the pass returns.
// expected-error@+1 {{mlopt-loss-scaling: result #1 is already a metric named 'loss_scale', a name this pass returns}}
func.func @train_step() -> (tensor<f32>, tensor<f32> {mlopt.metric = "loss_scale"},
                            tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  %g = mlopt.broadcast_to %seed : tensor<f32> to tensor<2xf32>
  return %loss, %loss, %g : tensor<f32>, tensor<f32>, tensor<2xf32>
}
