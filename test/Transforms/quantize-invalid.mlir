// Errors of mlopt-quantize. The located ones: one section per mode
// (split-file), each case a split with its expected diagnostic.
// RUN: rm -rf %t && split-file %s %t
// RUN: mlopt-opt %t/qat.mlir -split-input-file -verify-diagnostics --mlopt-quantize=mode=qat -o /dev/null
// RUN: mlopt-opt %t/freeze.mlir -verify-diagnostics --mlopt-quantize="mode=qat freeze-observers-after=5" -o /dev/null
// RUN: mlopt-opt %t/convert.mlir -split-input-file -verify-diagnostics --mlopt-quantize=mode=convert -o /dev/null
// RUN: mlopt-opt %t/dynamic.mlir -split-input-file -verify-diagnostics --mlopt-quantize=mode=dynamic -o /dev/null

// Bad options, reported at the module before anything changes.
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize 2>&1 | FileCheck %s --check-prefix=NO-MODE
// NO-MODE: error: mlopt-quantize: needs a mode (qat, static, dynamic or convert)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize=mode=int8 2>&1 | FileCheck %s --check-prefix=MODE
// MODE: error: mlopt-quantize: unknown mode 'int8' (expected qat, static, dynamic or convert)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=qat weight-bits=9" 2>&1 | FileCheck %s --check-prefix=QAT-BITS
// QAT-BITS: error: mlopt-quantize: weight-bits=9 is not supported: mode=qat fake-quantizes to 2..8 bits
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=qat activation-bits=1" 2>&1 | FileCheck %s --check-prefix=QAT-BITS1
// QAT-BITS1: error: mlopt-quantize: activation-bits=1 is not supported: mode=qat fake-quantizes to 2..8 bits
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=static weight-bits=9" 2>&1 | FileCheck %s --check-prefix=STATIC-BITS
// STATIC-BITS: error: mlopt-quantize: weight-bits=9 is not supported: mode=static stores 2..8 bits in int8
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=dynamic activation-bits=16" 2>&1 | FileCheck %s --check-prefix=DYNAMIC-BITS
// DYNAMIC-BITS: error: mlopt-quantize: activation-bits=16 is not supported: mode=dynamic stores 2..8 bits in int8
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=convert weight-bits=1" 2>&1 | FileCheck %s --check-prefix=CONVERT-BITS
// CONVERT-BITS: error: mlopt-quantize: weight-bits=1 is not supported: mode=convert stores 2..8 bits in int8
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=qat observer=histogram" 2>&1 | FileCheck %s --check-prefix=OBSERVER
// OBSERVER: error: mlopt-quantize: unknown observer 'histogram' (expected minmax or moving-average)
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=qat averaging-constant=0" 2>&1 | FileCheck %s --check-prefix=AVERAGING
// AVERAGING: error: mlopt-quantize: averaging-constant 0.000000e+00 lies outside (0, 1]
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=static observer=moving-average averaging-constant=1.5" 2>&1 | FileCheck %s --check-prefix=AVERAGING2
// AVERAGING2: error: mlopt-quantize: averaging-constant 1.500000e+00 lies outside (0, 1]
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=qat freeze-observers-after=-2" 2>&1 | FileCheck %s --check-prefix=FREEZE
// FREEZE: error: mlopt-quantize: freeze-observers-after must be >= 0 (or -1: never), got -2
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=qat ops=mlopt.linear,mlopt.relu" 2>&1 | FileCheck %s --check-prefix=NO-INT8
// NO-INT8: error: mlopt-quantize: 'mlopt.relu' has no int8 form
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=dynamic ops=mlopt.conv" 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OP
// UNKNOWN-OP: error: mlopt-quantize: unknown op 'mlopt.conv' in ops
// RUN: not mlopt-opt %t/ok.mlir --mlopt-quantize="mode=convert ops=mlopt.linear" 2>&1 | FileCheck %s --check-prefix=CONVERT-OPS
// CONVERT-OPS: error: mlopt-quantize: mode=convert converts the layers that mode=qat or mode=static prepared; it takes no ops
// The options pass as they are: a model that mode=qat quantizes.
// RUN: mlopt-opt %t/ok.mlir --mlopt-quantize="mode=qat ops=mlopt.linear" | FileCheck %s --check-prefix=OK
// OK: mlopt.fake_quant

//--- ok.mlir
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %p = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %r = mlopt.relu %p : tensor<4x2xf32>
  %l = mlopt.mse_loss %r, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

//--- qat.mlir
// expected-error@+1 {{mlopt-quantize: no loss function with a body (marked 'mlopt.loss') to quantize}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

module {
  // expected-error@+1 {{mlopt-quantize: the module already has @train_step; quantize the model before mlopt-autodiff}}
  func.func @train_step() attributes {mlopt.train_step} {
    return
  }
  func.func @loss(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
    %l = mlopt.sum %x dims = [0] : tensor<4xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

module {
  // expected-error@+1 {{mlopt-quantize: the loss function has no op with an int8 form to quantize}}
  func.func @loss(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
    %r = mlopt.relu %x : tensor<4xf32>
    %l = mlopt.sum %r dims = [0] : tensor<4xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// A second mode=qat on a quantized model.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  // expected-error@+1 {{'mlopt.linear' op mlopt-quantize: is quantized already (mlopt.quant_layer = "fc")}}
  %p = mlopt.linear %x, %w {mlopt.quant_layer = "fc"} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-quantize: symbol @fc.weight_observer.max_val already exists}}
mlopt.state @fc.weight_observer.max_val : tensor<2xf32> buffer init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %p = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- freeze.mlir
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{mlopt-quantize: symbol @quantization.step already exists}}
mlopt.state @quantization.step : tensor<i64> step init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %p = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- convert.mlir
// A float model: nothing says what to convert.
// expected-error@+1 {{mlopt-quantize: mode=convert needs a model with observers (mlopt-quantize mode=qat or mode=static first)}}
module {
  mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
    %p = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// A stamped layer whose observers are missing.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  // expected-error@+1 {{'mlopt.linear' op mlopt-quantize: mode=convert needs a model with observers (mlopt-quantize mode=qat or mode=static first): layer 'fc' has no @fc.input_observer.min_val}}
  %p = mlopt.linear %x, %w {mlopt.quant_layer = "fc"} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Observers of the wrong shape (per channel on the input).
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
// expected-error@+1 {{'mlopt.state' op mlopt-quantize: observers @fc.input_observer.min_val and @fc.input_observer.max_val of layer 'fc' must be observer states of type 'tensor<f32>' for 'tensor<4x3xf32>'}}
mlopt.state @fc.input_observer.min_val : tensor<3xf32> observer init #mlopt.zeros
mlopt.state @fc.input_observer.max_val : tensor<3xf32> observer init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %p = mlopt.linear %x, %w {mlopt.quant_layer = "fc"} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A pruned model: its masks must be folded first.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
    {mlopt.masked_by = @fc.weight.mask}
// expected-error@+1 {{mlopt-quantize: mode=convert needs a model without pruning masks (@fc.weight.mask): finalize pruning first (mlopt-prune-finalize, or mlopt-run --finalize-pruning)}}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask init #mlopt.ones
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %m = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<2x3xf32>
  %p = mlopt.linear %x, %wm {mlopt.quant_layer = "fc"} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A model trained with an unsigned 8-bit range has no int8 form (narrower
// signed ranges do: 4-bit QAT converts to 4-bit int8).
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.input_observer.min_val : tensor<f32> observer init #mlopt.zeros
mlopt.state @fc.input_observer.max_val : tensor<f32> observer init #mlopt.zeros
mlopt.state @fc.weight_observer.min_val : tensor<2xf32> observer init #mlopt.zeros
mlopt.state @fc.weight_observer.max_val : tensor<2xf32> observer init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %s: tensor<2xf32> {mlopt.input},
                %z: tensor<2xi32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  // expected-error@+1 {{'mlopt.fake_quant' op mlopt-quantize: was trained with the integer range [0, 255], which int8 does not hold ([-128, 127])}}
  %wq = mlopt.fake_quant %w, %s, %z {axis = 0 : i64, quant_min = 0 : i64, quant_max = 255 : i64} : tensor<2x3xf32>, tensor<2xf32>
  %p = mlopt.linear %x, %wq {mlopt.quant_layer = "fc"} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// An observer that something else reads cannot be removed.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.input_observer.min_val : tensor<f32> observer init #mlopt.zeros
mlopt.state @fc.input_observer.max_val : tensor<f32> observer init #mlopt.zeros
mlopt.state @fc.weight_observer.min_val : tensor<2xf32> observer init #mlopt.zeros
mlopt.state @fc.weight_observer.max_val : tensor<2xf32> observer init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> (tensor<f32>, tensor<f32> {mlopt.metric = "min"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  // expected-error@+1 {{'mlopt.state_read' op mlopt-quantize: uses @fc.input_observer.min_val, which mode=convert removes}}
  %min = mlopt.state_read @fc.input_observer.min_val : tensor<f32>
  %p = mlopt.linear %x, %w {mlopt.quant_layer = "fc"} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l, %min : tensor<f32>, tensor<f32>
}

// -----

// The layer stamp belongs on an op with an int8 form.
func.func @loss(%x: tensor<4xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
  // expected-error@+1 {{'mlopt.quant_layer' needs an op with an int8 form}}
  %r = mlopt.relu %x {mlopt.quant_layer = "relu"} : tensor<4xf32>
  %l = mlopt.sum %r dims = [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

//--- dynamic.mlir
// mode=dynamic takes a float model; this one has observers.
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  // expected-error@+1 {{'mlopt.linear' op mlopt-quantize: mode=dynamic quantizes a float model, this one has the observers of mode=qat or mode=static (use mode=convert)}}
  %p = mlopt.linear %x, %w {mlopt.quant_layer = "fc"} : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %l = mlopt.sum %p dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expected-error@+1 {{mlopt-quantize: mode=dynamic needs a model without pruning masks (@fc.weight.mask): finalize pruning first (mlopt-prune-finalize, or mlopt-run --finalize-pruning)}}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask init #mlopt.ones
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
    attributes {mlopt.loss} {
  %l = mlopt.sum %x dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
