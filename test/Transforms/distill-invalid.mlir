// Errors of mlopt-distill, each a located diagnostic (the options' and the
// teacher's at the student's module). One section per set of options
// (split-file); a section may hold several cases (-split-input-file).
// RUN: rm -rf %t && split-file %s %t
// RUN: python3 %S/Inputs/write_safetensors.py %t/teacher.safetensors 'fc1.weight=F32[5,3]:arange' 'fc1.bias=F32[5]:0.25' 'fc2.weight=F32[2,5]:1' 'fc2.bias=F32[2]:0'
// RUN: python3 %S/Inputs/write_safetensors.py %t/mismatch.safetensors 'fc1.weight=F32[3,5]:arange' 'fc1.bias=F32[5]:0.25' 'fc2.weight=F64[2,5]:1' 'optimizer.step=I64[]:3'
// RUN: cp %S/Inputs/distill-teacher-mlp.mlir %t/teacher.mlir
// RUN: echo 'func.func @broken(' > %t/broken-teacher.mlir
// DEFINE: %{distill} = mlopt-opt -verify-diagnostics -o /dev/null
// DEFINE: %{teacher} = teacher=%t/teacher.mlir teacher-checkpoint=%t/teacher.safetensors

// The options.
// RUN: %{distill} %t/mode.mlir --mlopt-distill="mode=hard %{teacher}"
// RUN: %{distill} %t/projection.mlir --mlopt-distill="mode=feature student-tap=h projection=sometimes %{teacher}"
// RUN: %{distill} %t/temperature.mlir --mlopt-distill="temperature=0 %{teacher}"
// RUN: %{distill} %t/alpha.mlir --mlopt-distill="alpha=1.5 %{teacher}"
// RUN: %{distill} %t/alpha-negative.mlir --mlopt-distill="alpha=-0.1 %{teacher}"
// RUN: %{distill} %t/hint-weight.mlir --mlopt-distill="mode=feature student-tap=hidden hint-weight=-1 %{teacher}"
// RUN: %{distill} %t/feature-tap.mlir --mlopt-distill="mode=feature %{teacher}"
// RUN: %{distill} %t/no-teacher.mlir --mlopt-distill="teacher-checkpoint=%t/teacher.safetensors"
// RUN: %{distill} %t/no-checkpoint.mlir --mlopt-distill="teacher=%t/teacher.mlir"

// The teacher's files.
// RUN: %{distill} %t/unreadable.mlir --mlopt-distill="teacher=%t/missing.mlir teacher-checkpoint=%t/teacher.safetensors"
// RUN: %{distill} %t/unparsable.mlir --mlopt-distill="teacher=%t/broken-teacher.mlir teacher-checkpoint=%t/teacher.safetensors"
// RUN: %{distill} %t/no-teacher-loss.mlir --mlopt-distill="teacher=%t/no-loss-teacher.mlir teacher-checkpoint=%t/teacher.safetensors"
// RUN: %{distill} %t/checkpoint-unreadable.mlir --mlopt-distill="teacher=%t/teacher.mlir teacher-checkpoint=%t/missing.safetensors"
// RUN: %{distill} %t/checkpoint-mismatch.mlir --mlopt-distill="teacher=%t/teacher.mlir teacher-checkpoint=%t/mismatch.safetensors"

// The student.
// RUN: %{distill} %t/student.mlir -split-input-file --mlopt-distill="%{teacher}"
// RUN: %{distill} %t/feature.mlir -split-input-file --mlopt-distill="mode=feature student-tap=hidden projection=never %{teacher}"
// RUN: %{distill} %t/projection-clash.mlir --mlopt-distill="mode=feature student-tap=hidden %{teacher}"
// RUN: %{distill} %t/label-student.mlir --mlopt-distill="teacher=%t/label-teacher.mlir teacher-checkpoint=%t/teacher.safetensors"
// RUN: %{distill} %t/step-student.mlir --mlopt-distill="teacher=%t/step-teacher.mlir teacher-checkpoint=%t/teacher.safetensors"
// RUN: %{distill} %t/teacher-tap.mlir --mlopt-distill="mode=feature student-tap=hidden teacher-tap=missing %{teacher}"

//--- mode.mlir
// expected-error@+1 {{mlopt-distill: unknown mode 'hard' (expected soft, regression or feature)}}
module {}

//--- projection.mlir
// expected-error@+1 {{mlopt-distill: unknown projection 'sometimes' (expected auto, always or never)}}
module {}

//--- temperature.mlir
// expected-error@+1 {{mlopt-distill: temperature must be > 0, got 0}}
module {}

//--- alpha.mlir
// expected-error@+1 {{mlopt-distill: alpha must be in [0, 1], got 1.5}}
module {}

//--- alpha-negative.mlir
// expected-error@+1 {{mlopt-distill: alpha must be in [0, 1], got -0.1}}
module {}

//--- hint-weight.mlir
// expected-error@+1 {{mlopt-distill: hint-weight must be >= 0, got -1}}
module {}

//--- feature-tap.mlir
// expected-error@+1 {{mlopt-distill: mode=feature needs student-tap=NAME (the student's mlopt.tap)}}
module {}

//--- no-teacher.mlir
// expected-error@+1 {{mlopt-distill: needs teacher=FILE.mlir (the teacher model)}}
module {}

//--- no-checkpoint.mlir
// expected-error@+1 {{mlopt-distill: needs teacher-checkpoint=FILE.safetensors (the teacher's tensors)}}
module {}

//--- unreadable.mlir
// expected-error-re@+1 {{mlopt-distill: cannot read the teacher '{{.*}}missing.mlir': {{.*}}}}
module {}

//--- unparsable.mlir
// The parser's first message, located in the teacher's file, is quoted.
// expected-error-re@+1 {{mlopt-distill: cannot parse the teacher '{{.*}}broken-teacher.mlir': {{.*}}broken-teacher.mlir:{{[0-9]+}}:{{[0-9]+}}: {{.+}}}}
module {}

//--- no-loss-teacher.mlir
// A teacher without a loss function.
mlopt.state @fc1.weight : tensor<5x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>

//--- no-teacher-loss.mlir
// expected-error@+1 {{mlopt-distill: the teacher has no loss function with a body (marked 'mlopt.loss')}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %l = mlopt.mean %x dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- checkpoint-unreadable.mlir
// expected-error-re@+1 {{mlopt-distill: cannot read the teacher checkpoint: {{.*}}missing.safetensors{{.*}}}}
module {}

//--- checkpoint-mismatch.mlir
// Every mismatch at once: a missing tensor, a shape and a dtype; the
// checkpoint's optimizer.step is not the teacher's and is ignored.
// expected-error-re@+1 {{mlopt-distill: the teacher checkpoint {{.*}}mismatch.safetensors: does not match the model (3 mismatches): tensor 'fc1.weight' is F32 [3, 5], expected F32 [5, 3]; tensor 'fc2.weight' is F64 [2, 5], expected F32 [2, 5]; missing tensor 'fc2.bias' (F32 [2])}}
module {}

//--- student.mlir
// expected-error@+1 {{mlopt-distill: no loss function with a body (marked 'mlopt.loss') to distill into}}
module {
  func.func private @loss(tensor<4x3xf32> {mlopt.input}) -> tensor<f32>
      attributes {mlopt.loss}
}

// -----

// expected-error@+1 {{mlopt-distill: the module already has @train_step (mlopt-distill runs on the model, before mlopt-autodiff)}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
  func.func @train_step(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.train_step} {
    %l = mlopt.constant dense<1.0> : tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// expected-error@+1 {{mlopt-distill: the module already has a teacher (@teacher.fc1.bias): it is distilled once}}
module {
  mlopt.state @teacher.fc1.bias : tensor<5xf32> teacher init #mlopt.value<dense<0.25> : tensor<5xf32>>
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// expected-error@+1 {{mlopt-distill: the teacher's inputs (tensor<4x3xf32>) differ from the student's (tensor<4x7xf32>) (the teacher runs on the student's batch)}}
module {
  func.func @loss(%x: tensor<4x7xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x7xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x7xf32>, tensor<2x7xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

module {
  // expected-error@+1 {{mlopt-distill: the loss function's result #0 is not computed by a loss op (LossOpInterface) whose prediction the teacher's is compared with}}
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %l = mlopt.mean %x dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// expected-error@+1 {{mlopt-distill: the teacher's output 'tensor<4x2xf32>' differs from the student's 'tensor<4x3xf32>'}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<3x3xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<3x3xf32>) -> tensor<4x3xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// expected-error@+1 {{mlopt-distill: symbol @teacher.fc2.bias (the teacher's state) already exists}}
module {
  mlopt.state @teacher.fc2.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %b = mlopt.state_read @teacher.fc2.bias : tensor<2xf32>
    %logits = mlopt.linear %x, %w, %b : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

module {
  // expected-error@+1 {{mlopt-distill: the loss function already has a metric named 'student_loss'}}
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
      -> (tensor<f32>, tensor<f32> {mlopt.metric = "student_loss"})
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l, %l : tensor<f32>, tensor<f32>
  }
}

//--- feature.mlir
// expected-error@+1 {{mlopt-distill: the student's loss function has no mlopt.tap named 'hidden'}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %h = mlopt.tap "other" %logits : tensor<4x2xf32>
    %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// expected-error@+1 {{mlopt-distill: the student's loss function has 2 mlopt.tap ops named 'hidden' (tap names are unique)}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %a = mlopt.tap "hidden" %x : tensor<4x3xf32>
    %logits = mlopt.linear %a, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %h = mlopt.tap "hidden" %logits : tensor<4x2xf32>
    %l = mlopt.cross_entropy %h, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// The student's tap is 12 wide and 1-d; the teacher's "hidden" is 4x5.
// expected-error@+1 {{mlopt-distill: the student's tap 'hidden' ('tensor<12xf32>') and the teacher's tap 'hidden' ('tensor<4x5xf32>') must be floating-point tensors of one element type whose shapes differ at most in the last dimension}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %f = mlopt.reshape %x : tensor<4x3xf32> to tensor<12xf32>
    %a = mlopt.tap "hidden" %f : tensor<12xf32>
    %l = mlopt.mean %a dims = [0] : tensor<12xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// expected-error@+1 {{mlopt-distill: the taps' widths differ (student 3, teacher 5) and projection=never adds no projection}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %a = mlopt.tap "hidden" %x : tensor<4x3xf32>
    %logits = mlopt.linear %a, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- teacher-tap.mlir
// expected-error@+1 {{mlopt-distill: the teacher's loss function has no mlopt.tap named 'missing'}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<5x3xf32>
    %h = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<5x3xf32>) -> tensor<4x5xf32>
    %a = mlopt.tap "hidden" %h : tensor<4x5xf32>
    %l = mlopt.mean %a dims = [0, 1] : tensor<4x5xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- projection-clash.mlir
// expected-error@+1 {{mlopt-distill: symbol @distill.projection.weight already exists}}
module {
  mlopt.state @distill.projection.weight : tensor<5x3xf32> parameter trainable init #mlopt.zeros
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %a = mlopt.tap "hidden" %x : tensor<4x3xf32>
    %l = mlopt.mean %a dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- label-teacher.mlir
// A teacher whose logits depend on its labels.
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
  %h = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %c = mlopt.cast %y : tensor<4xi64> to tensor<4xf32>
  %r = mlopt.reshape %c : tensor<4xf32> to tensor<4x1xf32>
  %logits = mlopt.add %h, %r : (tensor<4x2xf32>, tensor<4x1xf32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

//--- label-student.mlir
// expected-error@+1 {{mlopt-distill: the teacher's prediction depends on its argument #1, which is not an mlopt.input}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

//--- step-teacher.mlir
// A teacher whose prediction reads a state that is no model tensor (a step
// counter) and that its checkpoint does not hold.
mlopt.state @fc2.weight : tensor<2x5xf32> parameter trainable init #mlopt.zeros
mlopt.state @count : tensor<i64> step init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %n = mlopt.state_read @count : tensor<i64>
  %f = mlopt.cast %n : tensor<i64> to tensor<f32>
  %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
  %h = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  %logits = mlopt.mul %h, %f : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
  return %l : tensor<f32>
}

//--- step-student.mlir
// expected-error@+1 {{mlopt-distill: the teacher's tensors do not match its states (1 mismatch): no value for @count (tensor<i64>)}}
module {
  func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label}) -> tensor<f32>
      attributes {mlopt.loss} {
    %w = mlopt.constant dense<1.0> : tensor<2x3xf32>
    %logits = mlopt.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %l = mlopt.cross_entropy %logits, %y : (tensor<4x2xf32>, tensor<4xi64>) -> tensor<f32>
    return %l : tensor<f32>
  }
}
