// Errors of mlopt-prune. The located ones: one section per set of options
// (split-file), each case a split with its expected diagnostic.
// RUN: rm -rf %t && split-file %s %t
// RUN: mlopt-opt %t/states.mlir -split-input-file -verify-diagnostics --mlopt-prune="method=l1 amount=0.5 targets=w" -o /dev/null
// RUN: mlopt-opt %t/count.mlir -verify-diagnostics --mlopt-prune="method=l1 amount=9 targets=w" -o /dev/null
// RUN: mlopt-opt %t/ln-count.mlir -verify-diagnostics --mlopt-prune="method=ln dim=1 amount=5 targets=w" -o /dev/null
// RUN: mlopt-opt %t/ln-dim.mlir -verify-diagnostics --mlopt-prune="method=ln dim=2 amount=0.5 targets=w" -o /dev/null
// RUN: mlopt-opt %t/nm-divide.mlir -verify-diagnostics --mlopt-prune="method=nm n=2 m=4" -o /dev/null
// RUN: mlopt-opt %t/gradual-final.mlir -verify-diagnostics --mlopt-prune="schedule=gradual initial-sparsity=0.5 final-sparsity=0.3 end-step=100" -o /dev/null
// RUN: mlopt-opt %t/structured.mlir -split-input-file -verify-diagnostics --mlopt-prune="method=ln amount=0.5 targets=fc1\.weight|fc1\.bias|fc2\.weight" -o /dev/null
// RUN: mlopt-opt %t/module.mlir -split-input-file -verify-diagnostics --mlopt-prune="method=l1 amount=0.5" -o /dev/null
// RUN: mlopt-opt %t/match.mlir -split-input-file -verify-diagnostics --mlopt-prune="method=l1 amount=9 scope=global targets=nothing|w" -o /dev/null

// Bad options, reported at the module before anything changes.
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=magnitude amount=0.5" 2>&1 | FileCheck %s --check-prefix=METHOD
// METHOD: error: mlopt-prune: unknown method 'magnitude' (expected l1, random, ln or nm)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="scope=layer amount=0.5" 2>&1 | FileCheck %s --check-prefix=SCOPE
// SCOPE: error: mlopt-prune: unknown scope 'layer' (expected tensor or global)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=cubic amount=0.5" 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// SCHEDULE: error: mlopt-prune: unknown schedule 'cubic' (expected oneshot or gradual)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=ln scope=global amount=0.5" 2>&1 | FileCheck %s --check-prefix=GLOBAL-LN
// GLOBAL-LN: error: mlopt-prune: scope=global ranks single entries and needs method l1 or random, got ln
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=nm scope=global" 2>&1 | FileCheck %s --check-prefix=GLOBAL-NM
// GLOBAL-NM: error: mlopt-prune: scope=global ranks single entries and needs method l1 or random, got nm
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=l1" 2>&1 | FileCheck %s --check-prefix=NO-AMOUNT
// NO-AMOUNT: error: mlopt-prune: method l1 needs an amount
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=nm amount=0.5" 2>&1 | FileCheck %s --check-prefix=NM-AMOUNT
// NM-AMOUNT: error: mlopt-prune: method nm prunes (m - n) / m of every group; it takes no amount (got '0.5')
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="amount=half" 2>&1 | FileCheck %s --check-prefix=AMOUNT-TEXT
// AMOUNT-TEXT: error: mlopt-prune: amount 'half' is neither a fraction nor an integer count
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="amount=0.5.5" 2>&1 | FileCheck %s --check-prefix=AMOUNT-NUMBER
// AMOUNT-NUMBER: error: mlopt-prune: amount '0.5.5' is not a number
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="amount=1.5" 2>&1 | FileCheck %s --check-prefix=FRACTION
// FRACTION: error: mlopt-prune: amount 1.5 is a fraction outside [0, 1] (write a count without a decimal point)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="amount=-0.5" 2>&1 | FileCheck %s --check-prefix=NEG-FRACTION
// NEG-FRACTION: error: mlopt-prune: amount -0.5 is a fraction outside [0, 1]
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="amount=-3" 2>&1 | FileCheck %s --check-prefix=NEG-COUNT
// NEG-COUNT: error: mlopt-prune: amount -3 is a negative count
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="amount=0.5 start-step=-1" 2>&1 | FileCheck %s --check-prefix=START
// START: error: mlopt-prune: start-step must be >= 0, got -1
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=nm schedule=gradual end-step=100" 2>&1 | FileCheck %s --check-prefix=NM-GRADUAL
// NM-GRADUAL: error: mlopt-prune: method nm has a fixed sparsity (m - n) / m and cannot follow schedule=gradual
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual amount=0.5 start-step=100 end-step=50" 2>&1 | FileCheck %s --check-prefix=END
// END: error: mlopt-prune: schedule=gradual needs end-step >= start-step (got start-step 100, end-step 50)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual amount=0.5" 2>&1 | FileCheck %s --check-prefix=NO-END
// NO-END: error: mlopt-prune: schedule=gradual needs end-step >= start-step (got start-step 0, end-step -1)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual amount=0.5 end-step=100 frequency=0" 2>&1 | FileCheck %s --check-prefix=FREQ
// FREQ: error: mlopt-prune: frequency must be >= 1, got 0
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual amount=0.5 end-step=150" 2>&1 | FileCheck %s --check-prefix=MULTIPLE
// MULTIPLE: error: mlopt-prune: end-step - start-step = 150 is not a multiple of the frequency 100, so the last update would not reach the final sparsity
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual amount=0.5 end-step=100 initial-sparsity=1.5" 2>&1 | FileCheck %s --check-prefix=INITIAL
// INITIAL: error: mlopt-prune: initial-sparsity 1.500000e+00 lies outside [0, 1]
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual final-sparsity=1.5 end-step=100" 2>&1 | FileCheck %s --check-prefix=FINAL
// FINAL: error: mlopt-prune: final-sparsity 1.500000e+00 lies outside [0, 1]
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual amount=0.5 final-sparsity=0.5 end-step=100" 2>&1 | FileCheck %s --check-prefix=TWO-FINALS
// TWO-FINALS: error: mlopt-prune: give the final sparsity once: amount '0.5' and final-sparsity 5.000000e-01
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="schedule=gradual end-step=100" 2>&1 | FileCheck %s --check-prefix=NO-FINAL
// NO-FINAL: error: mlopt-prune: schedule=gradual needs final-sparsity (or amount)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=ln amount=0.5 norm=0" 2>&1 | FileCheck %s --check-prefix=NORM
// NORM: error: mlopt-prune: norm must be > 0 (or inf), got 0.000000e+00
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=ln amount=0.5 norm=nan" 2>&1 | FileCheck %s --check-prefix=NORM-NAN
// NORM-NAN: error: mlopt-prune: norm must be > 0 (or inf), got nan
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=nm m=0" 2>&1 | FileCheck %s --check-prefix=M
// M: error: mlopt-prune: m must be >= 1, got 0
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=nm n=5 m=4" 2>&1 | FileCheck %s --check-prefix=N-ABOVE-M
// N-ABOVE-M: error: mlopt-prune: n:m needs 0 <= n <= m, got 5:4
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="method=nm n=-1" 2>&1 | FileCheck %s --check-prefix=N-NEG
// N-NEG: error: mlopt-prune: n:m needs 0 <= n <= m, got -1:4
// RUN: not mlopt-opt %t/ok.mlir --mlopt-prune="amount=0.5 targets=fc(" 2>&1 | FileCheck %s --check-prefix=REGEX
// REGEX: error: mlopt-prune: invalid targets regex 'fc(': parentheses not balanced

//--- ok.mlir
mlopt.state @w : tensor<2x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x4xf32>
  %y = mlopt.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %l = mlopt.sum %y dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- states.mlir
// A target must be a floating-point parameter of rank >= 1 without a mask.
// expected-error@+1 {{mlopt-prune: target @w is a 'buffer' state; only parameters are pruned}}
mlopt.state @w : tensor<4xf32> buffer init #mlopt.zeros
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %l = mlopt.sum %w dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error@+1 {{mlopt-prune: target @w of type 'tensor<4xi64>' is not floating-point}}
mlopt.state @w : tensor<4xi64> parameter init #mlopt.zeros
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %l = mlopt.constant dense<0.0> : tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @w.mask : tensor<4xf32> mask init #mlopt.ones
// expected-error@+1 {{mlopt-prune: target @w is already masked by @w.mask}}
mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
    {mlopt.masked_by = @w.mask}
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %l = mlopt.sum %w dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error@+1 {{mlopt-prune: target @w is a 0-d tensor}}
mlopt.state @w : tensor<f32> parameter trainable init #mlopt.zeros
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<f32>
  return %w : tensor<f32>
}

// -----

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-prune: symbol @w.mask already exists}}
mlopt.state @w.mask : tensor<4xf32> buffer init #mlopt.ones
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %l = mlopt.sum %w dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-prune: symbol @pruning.step exists but is not the tensor<i64> step state of an earlier mlopt-prune}}
mlopt.state @pruning.step : tensor<f32> buffer init #mlopt.zeros
func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4xf32>
  %l = mlopt.sum %w dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error@+1 {{mlopt-prune: no loss function with a body (marked 'mlopt.loss') to prune the weights of}}
module {
  mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
}


//--- count.mlir
// A count above the entries of the weight.
// expected-error@+1 {{mlopt-prune: amount 9 is more than the 8 entries of @w}}
mlopt.state @w : tensor<2x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x4xf32>
  %y = mlopt.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %l = mlopt.sum %y dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- ln-count.mlir
// ln counts slices: @w has 4 columns.
// expected-error@+1 {{mlopt-prune: amount 5 is more than the 4 slices along dim 1 of @w}}
mlopt.state @w : tensor<2x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x4xf32>
  %y = mlopt.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %l = mlopt.sum %y dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- ln-dim.mlir
// expected-error@+1 {{mlopt-prune: dim 2 is out of range for @w of rank 2}}
mlopt.state @w : tensor<2x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x4xf32>
  %y = mlopt.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %l = mlopt.sum %y dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- nm-divide.mlir
// The linear contracts dim 1 of @w, of size 6: no groups of 4.
// expected-error@+1 {{mlopt-prune: n:m groups of m = 4 do not divide dimension 1 of @w (size 6)}}
mlopt.state @w : tensor<4x6xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x6xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<4x6xf32>
  %y = mlopt.linear %x, %w : (tensor<3x6xf32>, tensor<4x6xf32>) -> tensor<3x4xf32>
  %l = mlopt.sum %y dims = [0, 1] : tensor<3x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- gradual-final.mlir
// Gradual pruning only adds zeros: the final sparsity must not be below the
// initial one.
// expected-error@+1 {{mlopt-prune: the final sparsity 3.000000e-01 is below initial-sparsity 5.000000e-01; gradual pruning only adds zeros}}
mlopt.state @w : tensor<2x4xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<2x4xf32>
  %y = mlopt.linear %x, %w : (tensor<3x4xf32>, tensor<2x4xf32>) -> tensor<3x2xf32>
  %l = mlopt.sum %y dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- structured.mlir
// ln with dim 0 removes whole neurons at finalize: the layer after must
// be able to drop their inputs (checkStructuredShrink, reported at the op
// that prevents it).
mlopt.state @fc1.weight : tensor<2x4xf32> parameter trainable init #mlopt.zeros
mlopt.state @b : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @g : tensor<2xf32> parameter trainable init #mlopt.ones
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc1.weight : tensor<2x4xf32>
  %b = mlopt.state_read @b : tensor<2xf32>
  %g = mlopt.state_read @g : tensor<2xf32>
  %h = mlopt.linear %x, %w, %b : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  // expected-error@+1 {{'mlopt.layer_norm' op does not sum over dimension 1 of operand #0 (the outputs of the removed neurons of @fc1.weight): removing them would change its result}}
  %n = mlopt.layer_norm %h weight %g : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %l = mlopt.sum %n dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The bias of a structurally pruned weight is masked with its rows; it
// cannot be a target of its own.
mlopt.state @fc1.weight : tensor<2x4xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-prune: @fc1.bias is a target and also the bias of @fc1.weight, whose pruned rows mask it; leave it out of targets}}
mlopt.state @fc1.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.weight : tensor<3x2xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x4xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<2xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<3x2xf32>
  %h = mlopt.linear %x, %w1, %b1 : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %a = mlopt.relu %h : tensor<3x2xf32>
  %o = mlopt.linear %a, %w2 : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x3xf32>
  %l = mlopt.sum %o dims = [0, 1] : tensor<3x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @fc1.weight : tensor<2x4xf32> parameter trainable init #mlopt.zeros
mlopt.state @b.mask : tensor<2xf32> mask init #mlopt.ones
// expected-error@+1 {{mlopt-prune: @b, the bias of @fc1.weight, is already masked by @b.mask}}
mlopt.state @b : tensor<2xf32> parameter trainable init #mlopt.zeros
    {mlopt.masked_by = @b.mask}
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x4xf32>
  %b1 = mlopt.state_read @b : tensor<2xf32>
  %h = mlopt.linear %x, %w1, %b1 : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %l = mlopt.sum %h dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Two pruned weights that share one bias would give it two masks.
mlopt.state @fc1.weight : tensor<2x4xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-prune: @b is the bias of both @fc1.weight and @fc2.weight, which ln dim=0 would mask differently}}
mlopt.state @b : tensor<2xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<3x4xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<2x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %b = mlopt.state_read @b : tensor<2xf32>
  %h1 = mlopt.linear %x, %w1, %b : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %h2 = mlopt.linear %x, %w2, %b : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %s = mlopt.add %h1, %h2 : tensor<3x2xf32>
  %l = mlopt.sum %s dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- module.mlir
// Default targets: no state is read as an operand an op contracts (the
// embedding table, a bias, a layer norm's weight are not weights).
// expected-error@+1 {{mlopt-prune: the loss function has no weight of a linear or matmul-like op to prune (name the states with targets=)}}
module {
  mlopt.state @emb.weight : tensor<10x4xf32> parameter trainable init #mlopt.zeros
  mlopt.state @bias : tensor<4xf32> parameter trainable init #mlopt.zeros
  func.func @loss(%ids: tensor<3xi64> {mlopt.input}) -> tensor<f32>
      attributes {mlopt.loss} {
    %t = mlopt.state_read @emb.weight : tensor<10x4xf32>
    %b = mlopt.state_read @bias : tensor<4xf32>
    %e = mlopt.embedding %ids, %t : (tensor<3xi64>, tensor<10x4xf32>) -> tensor<3x4xf32>
    %y = mlopt.add %e, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
    %l = mlopt.sum %y dims = [0, 1] : tensor<3x4xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- match.mlir
// expected-error@+1 {{mlopt-prune: targets 'nothing|w' match no state}}
module {
  mlopt.state @v : tensor<2x4xf32> parameter trainable init #mlopt.zeros
  func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
    %l = mlopt.constant dense<0.0> : tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// scope=global counts the entries of all targets: 8 here.
// expected-error@+1 {{mlopt-prune: amount 9 is more than the 8 entries of all targets together}}
module {
  mlopt.state @w : tensor<2x2xf32> parameter trainable init #mlopt.zeros
  mlopt.state @nothing : tensor<4xf32> parameter trainable init #mlopt.zeros
  func.func @loss() -> tensor<f32> attributes {mlopt.loss} {
    %l = mlopt.constant dense<0.0> : tensor<f32>
    return %l : tensor<f32>
  }
}
