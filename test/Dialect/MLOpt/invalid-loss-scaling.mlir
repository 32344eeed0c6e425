// RUN: mlopt-opt %s -split-input-file -verify-diagnostics -o /dev/null

// The attributes of the loss-scaling contract (docs/TrainingIR.md).

func.func @f() -> tensor<f32> {
  // expected-error@+1 {{'mlopt.loss_cotangent' only applies to mlopt.constant}}
  %a = "mlopt.state_read"() {state = @x, mlopt.loss_cotangent} : () -> tensor<f32>
  return %a : tensor<f32>
}

// -----

func.func @f() -> tensor<f32> {
  // expected-error@+1 {{'mlopt.loss_cotangent' must be a unit attribute}}
  %a = mlopt.constant {mlopt.loss_cotangent = 1 : i64} dense<1.0> : tensor<f32>
  return %a : tensor<f32>
}

// -----

// expected-error@+1 {{'mlopt.grads_finite' must mark a tensor<i1> result}}
func.func @train_step() -> (tensor<f32>, tensor<f32> {mlopt.grads_finite})
    attributes {mlopt.train_step} {
  %a = mlopt.constant dense<1.0> : tensor<f32>
  return %a, %a : tensor<f32>, tensor<f32>
}

// -----

// expected-error@+1 {{'mlopt.grads_finite' needs a function marked 'mlopt.train_step'}}
func.func @f() -> (tensor<i1> {mlopt.grads_finite}) {
  %a = mlopt.constant dense<true> : tensor<i1>
  return %a : tensor<i1>
}

// -----

// expected-error@+1 {{'mlopt.checked_grads' must be an array of state names (@name)}}
func.func @train_step() -> tensor<f32> attributes {mlopt.train_step, mlopt.checked_grads = ["w"]} {
  %a = mlopt.constant dense<1.0> : tensor<f32>
  return %a : tensor<f32>
}

// -----

// expected-error@+1 {{'mlopt.checked_grads' needs a function marked 'mlopt.train_step'}}
func.func @f() -> tensor<f32> attributes {mlopt.checked_grads = [@w]} {
  %a = mlopt.constant dense<1.0> : tensor<f32>
  return %a : tensor<f32>
}
