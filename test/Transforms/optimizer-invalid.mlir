// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-optimizer="optimizer=adam" -o /dev/null

// Bad options, one RUN line each, all reported at the module.
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=OPT
// OPT: error: mlopt-optimizer: unknown optimizer 'rmsprop' (expected sgd, adam or adamw)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="schedule=linear" 2>&1 | FileCheck %s --check-prefix=SCHED
// SCHED: error: mlopt-optimizer: unknown schedule 'linear' (expected constant, step or cosine)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="lr=0" 2>&1 | FileCheck %s --check-prefix=LR
// LR: error: mlopt-optimizer: invalid learning rate 0.000000e+00 (needs lr > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="lr=-0.5" 2>&1 | FileCheck %s --check-prefix=NEGLR
// NEGLR: error: mlopt-optimizer: invalid learning rate -5.000000e-01 (needs lr > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="momentum=-0.9" 2>&1 | FileCheck %s --check-prefix=MOM
// MOM: error: mlopt-optimizer: invalid momentum -9.000000e-01 (needs momentum >= 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="optimizer=adam beta1=1.0" 2>&1 | FileCheck %s --check-prefix=BETA1
// BETA1: error: mlopt-optimizer: invalid beta1 1.000000e+00 (needs 0 <= beta1 < 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="optimizer=adamw beta2=-0.1" 2>&1 | FileCheck %s --check-prefix=BETA2
// BETA2: error: mlopt-optimizer: invalid beta2 -1.000000e-01 (needs 0 <= beta2 < 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="optimizer=adam eps=0" 2>&1 | FileCheck %s --check-prefix=EPS
// EPS: error: mlopt-optimizer: invalid eps 0.000000e+00 (needs eps > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="nesterov=true" 2>&1 | FileCheck %s --check-prefix=NESTEROV
// NESTEROV: error: mlopt-optimizer: nesterov momentum requires a momentum and zero dampening (got momentum 0.000000e+00, dampening 0.000000e+00)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="nesterov=true momentum=0.9 dampening=0.1" 2>&1 | FileCheck %s --check-prefix=DAMP
// DAMP: error: mlopt-optimizer: nesterov momentum requires a momentum and zero dampening (got momentum 9.000000e-01, dampening 1.000000e-01)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="schedule=cosine" 2>&1 | FileCheck %s --check-prefix=COSINE
// COSINE: error: mlopt-optimizer: the cosine schedule needs total-steps >= 1, got 0
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="schedule=step step-size=0" 2>&1 | FileCheck %s --check-prefix=STEPSIZE
// STEPSIZE: error: mlopt-optimizer: the step schedule needs step-size >= 1, got 0
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="max-grad-norm=-1" 2>&1 | FileCheck %s --check-prefix=CLIP
// CLIP: error: mlopt-optimizer: invalid max-grad-norm -1.000000e+00 (needs >= 0; 0 disables clipping)
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer="warmup-steps=-3" 2>&1 | FileCheck %s --check-prefix=WARMUP
// WARMUP: error: mlopt-optimizer: invalid warmup-steps -3 (needs >= 0)

// Running the pass twice: the second run finds its own step counter.
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer --mlopt-optimizer 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: mlopt-optimizer already ran on this module (@optimizer.step exists)

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<2xf32>
}

// -----

// expected-error@+1 {{mlopt-optimizer: no function marked 'mlopt.train_step' (run mlopt-autodiff first)}}
module {
  mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
  func.func @loss(%x: tensor<2xf32> {mlopt.input}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.state_read @w : tensor<2xf32>
    %p = mlopt.mul %w, %x : tensor<2xf32>
    %l = mlopt.sum %p dims = [0] : tensor<2xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// expected-error@+1 {{result #1 is the gradient of unknown state @v}}
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @v})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter init #mlopt.zeros

// expected-error@+1 {{result #1 is the gradient of state @w, which is not trainable}}
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// expected-error@+1 {{result #1 of type 'tensor<3xf32>' is the gradient of state @w of type 'tensor<2xf32>'}}
func.func @train_step() -> (tensor<f32>, tensor<3xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %g = mlopt.constant dense<1.0> : tensor<3xf32>
  %l = mlopt.sum %g dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l, %g : tensor<f32>, tensor<3xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// expected-error@+1 {{result #2 is a second gradient of state @w}}
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w},
                            tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %w, %w : tensor<f32>, tensor<2xf32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-optimizer already ran on this module (@optimizer.step exists)}}
mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-optimizer: symbol @optimizer.w.exp_avg already exists}}
func.func private @optimizer.w.exp_avg()

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %w : tensor<f32>, tensor<2xf32>
}

// -----

// The pass returns the learning rate as the metric "lr": a model metric of
// that name would be shadowed.
mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// expected-error@+1 {{mlopt-optimizer: result #1 is already a metric named 'lr', the name of the learning rate this pass returns}}
func.func @train_step() -> (tensor<f32>, tensor<f32> {mlopt.metric = "lr"},
                            tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l, %l, %w : tensor<f32>, tensor<f32>, tensor<2xf32>
}
