// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-set-batch-size=size=4
// RUN: not mlopt-opt %s -split-input-file --mlopt-set-batch-size=size=0 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not mlopt-opt %s -split-input-file --mlopt-set-batch-size=size=-3 2>&1 | FileCheck %s --check-prefix=NEG

// ZERO: error: mlopt-set-batch-size: size must be positive, got 0
// NEG: error: mlopt-set-batch-size: size must be positive, got -3

// expected-error@+1 {{mlopt-set-batch-size: no func.func is marked 'mlopt.loss'}}
module {
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}

// -----

func.func @loss(%x: tensor<2x3xf32> {mlopt.input},
                // expected-error@+1 {{argument #1 of the loss function has batch 3 in dimension 0, but argument #0 has 2}}
                %y: tensor<3xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %x3 = mlopt.reshape %x : tensor<2x3xf32> to tensor<3x2xf32>
  %l = mlopt.cross_entropy %x3, %y : (tensor<3x2xf32>, tensor<3xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A non-splat constant with the batch as its dimension 0 has no value at
// another batch.
func.func @loss(%x: tensor<2x3xf32> {mlopt.input},
                %y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  // expected-error@+1 {{'mlopt.constant' op cannot change the batch from 2 to 4: only a splat constant can change its batch dimension}}
  %c = mlopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  // expected-remark@+1 {{needs operand #1 at the new batch}}
  %s = mlopt.add %x, %c : tensor<2x3xf32>
  %l = mlopt.cross_entropy %s, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A result row holding two samples mixes the batch into dimension 1.
func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %t: tensor<2x4xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  // expected-error@+1 {{'mlopt.reshape' op cannot change the batch from 2 to 4: it mixes the batch into other dimensions ('tensor<2x4xf32>' to 'tensor<1x8xf32>')}}
  %r = mlopt.reshape %x : tensor<2x4xf32> to tensor<1x8xf32>
  %b = mlopt.reshape %r : tensor<1x8xf32> to tensor<2x4xf32>
  %l = mlopt.mse_loss %b, %t : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A parameter shaped like the batch cannot follow it.
mlopt.state @w : tensor<2x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %t: tensor<2x4xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x4xf32>
  // expected-error@+1 {{'mlopt.mul' op cannot change the batch from 2 to 4: its result types do not infer from the resized operands ('tensor<4x4xf32>', 'tensor<2x4xf32>')}}
  %y = mlopt.mul %x, %w : tensor<2x4xf32>
  %l = mlopt.mse_loss %y, %t : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The batch moved out of dimension 0 by a transpose cannot be reshaped.
func.func @loss(%x: tensor<2x3x4xf32> {mlopt.input},
                %t: tensor<2x12xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %p = mlopt.transpose %x, [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  // expected-error@+1 {{'mlopt.reshape' op cannot change the batch from 2 to 4: the batch is not dimension 0 of its input 'tensor<3x4x4xf32>'}}
  %r = mlopt.reshape %p : tensor<3x2x4xf32> to tensor<3x8xf32>
  %r2 = mlopt.reshape %r : tensor<3x8xf32> to tensor<2x12xf32>
  %l = mlopt.mse_loss %r2, %t : (tensor<2x12xf32>, tensor<2x12xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A broadcast whose dimension 0 comes from an input that is not batched.
mlopt.state @b : tensor<2x1xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<2x3xf32> {mlopt.input},
                %t: tensor<2x3xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %b = mlopt.state_read @b : tensor<2x1xf32>
  // expected-error@+1 {{'mlopt.broadcast_to' op cannot change the batch from 2 to 4: dimension 0 comes from the input, which does not carry the batch}}
  %bb = mlopt.broadcast_to %b : tensor<2x1xf32> to tensor<2x3xf32>
  // expected-remark@+1 {{needs operand #1 at the new batch}}
  %s = mlopt.add %x, %bb : tensor<2x3xf32>
  %l = mlopt.mse_loss %s, %t : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// An op with no rule: neither inferred result types nor
// BatchResizableOpInterface.
func.func private @helper(tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @loss(%x: tensor<2x3xf32> {mlopt.input},
                %y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  // expected-error@+1 {{'func.call' op cannot change the batch from 2 to 4: it neither infers its result types nor implements BatchResizableOpInterface}}
  %h = func.call @helper(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %l = mlopt.cross_entropy %h, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// After mlopt-autodiff, @train_step would keep the old batch.
func.func @loss(%x: tensor<2x3xf32> {mlopt.input},
                %y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %l = mlopt.cross_entropy %x, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'func.func' op takes batched arguments like the loss function; mlopt-set-batch-size runs on the model, before mlopt-autodiff}}
func.func @train_step(%x: tensor<2x3xf32> {mlopt.input},
                      %y: tensor<2xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.train_step} {
  %l = mlopt.cross_entropy %x, %y : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
