// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-data-parallel=ranks=2 -o /dev/null

// Bad options, one RUN line each, all reported at the module.
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel 2>&1 | FileCheck %s --check-prefix=NORANKS
// NORANKS: error: mlopt-data-parallel: invalid ranks 0 (needs the number of data-parallel ranks, >= 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel=ranks=-2 2>&1 | FileCheck %s --check-prefix=RANKS
// RANKS: error: mlopt-data-parallel: invalid ranks -2 (needs the number of data-parallel ranks, >= 1)
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel="ranks=2 bucket-mb=0" 2>&1 | FileCheck %s --check-prefix=BUCKET
// BUCKET: error: mlopt-data-parallel: invalid bucket-mb 0.000000e+00 (needs a finite size in MiB > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel="ranks=2 bucket-mb=-1" 2>&1 | FileCheck %s --check-prefix=BUCKETNEG
// BUCKETNEG: error: mlopt-data-parallel: invalid bucket-mb -1.000000e+00 (needs a finite size in MiB > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel="ranks=2 first-bucket-mb=0" 2>&1 | FileCheck %s --check-prefix=FIRST
// FIRST: error: mlopt-data-parallel: invalid first-bucket-mb 0.000000e+00 (needs a finite size in MiB > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel="ranks=2 first-bucket-mb=nan" 2>&1 | FileCheck %s --check-prefix=FIRSTNAN
// FIRSTNAN: error: mlopt-data-parallel: invalid first-bucket-mb nan (needs a finite size in MiB > 0)
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel="ranks=2 zero=2" 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: mlopt-data-parallel: invalid zero 2 (expected 0, no sharding, or 1, ZeRO stage 1)

// Running the pass twice: the second run finds the first one's mark.
// RUN: not mlopt-opt %s -split-input-file --mlopt-data-parallel=ranks=2 --mlopt-data-parallel=ranks=2 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: error: mlopt-data-parallel: @train_step is already marked 'mlopt.data_parallel_ranks' (the pass ran before)

// After mlopt-optimizer the gradients are gone.
// RUN: not mlopt-opt %s -split-input-file --mlopt-optimizer --mlopt-data-parallel=ranks=2 2>&1 | FileCheck %s --check-prefix=AFTEROPT
// AFTEROPT: error: mlopt-data-parallel: @train_step returns no gradients (results marked 'mlopt.grad_of'): data parallelism runs after mlopt-autodiff and before mlopt-optimizer

// After mlopt-loss-scaling its finite check would only see this rank's gradients.
// RUN: not mlopt-opt %s -split-input-file --mlopt-loss-scaling --mlopt-data-parallel=ranks=2 2>&1 | FileCheck %s --check-prefix=AFTERSCALING
// AFTERSCALING: error: mlopt-data-parallel: result #2 of @train_step is marked 'mlopt.grads_finite': mlopt-loss-scaling ran first, but its finite check must see the averaged gradients (run mlopt-data-parallel before it)

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

// Without autodiff there are no gradients to average.
// expected-error@+1 {{mlopt-data-parallel: no function marked 'mlopt.train_step' (run mlopt-autodiff first: data parallelism averages its gradients)}}
module {
  mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// A step without gradients (no trainable state reached).
// expected-error@+1 {{mlopt-data-parallel: @train_step returns no gradients (results marked 'mlopt.grad_of'): data parallelism runs after mlopt-autodiff and before mlopt-optimizer}}
func.func @train_step() -> tensor<f32> attributes {mlopt.train_step} {
  %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  return %seed : tensor<f32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// Already data-parallel.
// expected-error@+1 {{mlopt-data-parallel: @train_step is already marked 'mlopt.data_parallel_ranks' (the pass ran before)}}
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step, mlopt.data_parallel_ranks = 4 : i64} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
  %g = mlopt.broadcast_to %seed : tensor<f32> to tensor<2xf32>
  %r = mlopt.all_reduce mean %g ranks = 4 : tensor<2xf32>
  return %loss, %r : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// Loss scaling already checked this rank's gradients alone.
// expected-error@+1 {{mlopt-data-parallel: result #2 of @train_step is marked 'mlopt.grads_finite': mlopt-loss-scaling ran first, but its finite check must see the averaged gradients (run mlopt-data-parallel before it)}}
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w}, tensor<i1> {mlopt.grads_finite})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  %g = mlopt.broadcast_to %loss : tensor<f32> to tensor<2xf32>
  %ok = mlopt.constant dense<true> : tensor<i1>
  return %loss, %g, %ok : tensor<f32>, tensor<2xf32>, tensor<i1>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %loss, %w : tensor<f32>, tensor<2xf32>
}

// expected-error@+1 {{mlopt-data-parallel: a second function marked 'mlopt.train_step'; the first is @train_step}}
func.func @train_step_again() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %loss, %w : tensor<f32>, tensor<2xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// expected-error@+1 {{mlopt-data-parallel: @train_step must have a body of one block ending in func.return}}
func.func private @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// A gradient without a static shape cannot be bucketed or padded.
// expected-error@+1 {{mlopt-data-parallel: result #1 of @train_step, the gradient of @w, must be a statically shaped float tensor to be averaged, got 'tensor<?xf32>'}}
func.func @train_step(%g: tensor<?xf32>) -> (tensor<f32>, tensor<?xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %loss, %g : tensor<f32>, tensor<?xf32>
}

// -----

mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros

// Nor an integer one be averaged.
// expected-error@+1 {{mlopt-data-parallel: result #1 of @train_step, the gradient of @w, must be a statically shaped float tensor to be averaged, got 'tensor<2xi64>'}}
func.func @train_step(%g: tensor<2xi64>) -> (tensor<f32>, tensor<2xi64> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %loss = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  return %loss, %g : tensor<f32>, tensor<2xi64>
}
