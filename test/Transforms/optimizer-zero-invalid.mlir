// RUN: mlopt-opt %s -split-input-file -verify-diagnostics --mlopt-optimizer="optimizer=adam" -o /dev/null

// Every error mlopt-optimizer reports for gradients sharded by
// mlopt-data-parallel{zero=1} (`mlopt.grad_shard`).

// A shard must be this rank's chunk of the flattened, zero-padded gradient:
// over 4 ranks the 6 elements of @w make chunks of 2, not 3.
mlopt.state @w : tensor<2x3xf32> parameter trainable init #mlopt.zeros

// expected-error @+1 {{result #1 of type 'tensor<3xf32>' is a shard over 4 ranks of the gradient of state @w of type 'tensor<2x3xf32>', which has type 'tensor<2xf32>'}}
func.func @train_step(%g: tensor<3xf32>)
    -> (tensor<f32>, tensor<3xf32> {mlopt.grad_of = @w, mlopt.grad_shard = 4 : i64})
    attributes {mlopt.train_step} {
  %loss = mlopt.constant dense<0.0> : tensor<f32>
  return %loss, %g : tensor<f32>, tensor<3xf32>
}

// -----

// A shard is one-dimensional, even of a one-dimensional parameter's shape.
mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// expected-error @+1 {{result #1 of type 'tensor<2x1xf32>' is a shard over 2 ranks of the gradient of state @w of type 'tensor<4xf32>', which has type 'tensor<2xf32>'}}
func.func @train_step(%g: tensor<2x1xf32>)
    -> (tensor<f32>, tensor<2x1xf32> {mlopt.grad_of = @w, mlopt.grad_shard = 2 : i64})
    attributes {mlopt.train_step} {
  %loss = mlopt.constant dense<0.0> : tensor<f32>
  return %loss, %g : tensor<f32>, tensor<2x1xf32>
}

// -----

// The whole gradient where a shard is expected.
mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros

// expected-error @+1 {{result #1 of type 'tensor<4xf32>' is a shard over 2 ranks of the gradient of state @w of type 'tensor<4xf32>', which has type 'tensor<2xf32>'}}
func.func @train_step(%g: tensor<4xf32>)
    -> (tensor<f32>, tensor<4xf32> {mlopt.grad_of = @w, mlopt.grad_shard = 2 : i64})
    attributes {mlopt.train_step} {
  %loss = mlopt.constant dense<0.0> : tensor<f32>
  return %loss, %g : tensor<f32>, tensor<4xf32>
}

// -----

// All gradients are sharded over the same ranks.
mlopt.state @a : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @b : tensor<6xf32> parameter trainable init #mlopt.zeros

// expected-error @+1 {{mlopt-optimizer: the gradient result #2 is sharded over 3 ranks but result #1 is sharded over 2 ranks ('mlopt.grad_shard')}}
func.func @train_step(%ga: tensor<2xf32>, %gb: tensor<2xf32>)
    -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @a, mlopt.grad_shard = 2 : i64},
        tensor<2xf32> {mlopt.grad_of = @b, mlopt.grad_shard = 3 : i64})
    attributes {mlopt.train_step} {
  %loss = mlopt.constant dense<0.0> : tensor<f32>
  return %loss, %ga, %gb : tensor<f32>, tensor<2xf32>, tensor<2xf32>
}

// -----

// Sharded gradients beside a whole one.
mlopt.state @a : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @b : tensor<6xf32> parameter trainable init #mlopt.zeros

// expected-error @+1 {{mlopt-optimizer: the gradient result #2 is sharded over 2 ranks but result #1 is not sharded ('mlopt.grad_shard')}}
func.func @train_step(%ga: tensor<4xf32>, %gb: tensor<3xf32>)
    -> (tensor<f32>, tensor<4xf32> {mlopt.grad_of = @a},
        tensor<3xf32> {mlopt.grad_of = @b, mlopt.grad_shard = 2 : i64})
    attributes {mlopt.train_step} {
  %loss = mlopt.constant dense<0.0> : tensor<f32>
  return %loss, %ga, %gb : tensor<f32>, tensor<4xf32>, tensor<3xf32>
}
