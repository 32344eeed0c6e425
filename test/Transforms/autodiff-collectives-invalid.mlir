// RUN: mlopt-opt %s -split-input-file --mlopt-autodiff -verify-diagnostics

// The collectives without a VJP rule, on the path from trainable state to
// the loss.

mlopt.state @w : tensor<6xf32> parameter trainable init #mlopt.zeros

func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<6xf32>
  // expected-error @+2 {{'mlopt.reduce_scatter' op has no VJP rule for max}}
  // expected-error @+1 {{'mlopt.reduce_scatter' op failed to build its VJP}}
  %r = mlopt.reduce_scatter max %w dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
  %l = mlopt.sum %r dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @w : tensor<6xf32> parameter trainable init #mlopt.zeros

func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<6xf32>
  // expected-error @+2 {{'mlopt.reduce_scatter' op has no VJP rule for min}}
  // expected-error @+1 {{'mlopt.reduce_scatter' op failed to build its VJP}}
  %r = mlopt.reduce_scatter min %w dim = 0 ranks = 3 : (tensor<6xf32>) -> tensor<2xf32>
  %l = mlopt.sum %r dims = [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// local_shard is applied after autodiff (mlopt-optimizer under ZeRO-1).

mlopt.state @w : tensor<6xf32> parameter trainable init #mlopt.zeros

func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<6xf32>
  // expected-error @+1 {{'mlopt.local_shard' op has no VJP rule, but it lies on the path from trainable state to the loss}}
  %s = mlopt.local_shard %w dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
  %l = mlopt.sum %s dims = [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
