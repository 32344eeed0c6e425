// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1" | FileCheck %s --check-prefix=SGD
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 momentum=0.9 dampening=0.1 weight-decay=0.01" | FileCheck %s --check-prefix=MOMENTUM
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 momentum=0.9 nesterov=true" | FileCheck %s --check-prefix=NESTEROV
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=adam lr=0.001 weight-decay=0.1" | FileCheck %s --check-prefix=ADAM
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=adamw lr=0.001" | FileCheck %s --check-prefix=ADAMW
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 max-grad-norm=1.0" | FileCheck %s --check-prefix=CLIP
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 schedule=step step-size=10 gamma=0.5" | FileCheck %s --check-prefix=STEPLR
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 schedule=cosine total-steps=100 min-lr=0.001" | FileCheck %s --check-prefix=COSINE
// RUN: mlopt-opt %s --mlopt-optimizer="optimizer=sgd lr=0.1 warmup-steps=5" | FileCheck %s --check-prefix=WARMUP

// A hand-written @train_step in the form mlopt-autodiff produces: loss,
// metric, then one gradient per trainable state. The pass drops the gradients
// and appends the learning rate it applied, a 0-d f64 marked
// {mlopt.metric = "lr"}.

mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @running_mean : tensor<2xf32> buffer init #mlopt.zeros

func.func @train_step(%x: tensor<4x3xf32> {mlopt.input},
                      %y: tensor<4x2xf32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"},
        tensor<2x3xf32> {mlopt.grad_of = @fc.weight},
        tensor<2xf32> {mlopt.grad_of = @fc.bias})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %loss = mlopt.sum %b dims = [0] : tensor<2xf32> -> tensor<f32>
  %acc = mlopt.mean %b dims = [0] : tensor<2xf32> -> tensor<f32>
  %two = mlopt.constant dense<2.0> : tensor<f32>
  %gw = mlopt.mul %w, %two : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  return %loss, %acc, %gw, %b : tensor<f32>, tensor<f32>, tensor<2x3xf32>, tensor<2xf32>
}

// Plain SGD keeps no per-parameter state, only the step counter, added after
// the last existing state. p -= lr * grad.
// SGD:      mlopt.state @running_mean
// SGD-NEXT: mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros
// SGD-NOT:  momentum_buffer
// SGD-LABEL: func.func @train_step
// SGD-SAME:   -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f64> {mlopt.metric = "lr"})
// SGD-SAME:   attributes {mlopt.train_step}
// SGD:        %[[GW:.*]] = mlopt.mul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>)
// SGD:        %[[STEP:.*]] = mlopt.state_read @optimizer.step : tensor<i64>
// SGD:        %[[STEPF:.*]] = mlopt.cast %[[STEP]] : tensor<i64> to tensor<f64>
// SGD:        %[[W:.*]] = mlopt.state_read @fc.weight : tensor<2x3xf32>
// SGD-NEXT:   %[[LR:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f32>
// SGD-NEXT:   %[[D:.*]] = mlopt.mul %[[LR]], %[[GW]]
// SGD-NEXT:   %[[NEW:.*]] = mlopt.sub %[[W]], %[[D]] : tensor<2x3xf32>
// SGD-NEXT:   mlopt.state_write %[[NEW]], @fc.weight : tensor<2x3xf32>
// SGD:        mlopt.state_write %{{.*}}, @fc.bias : tensor<2xf32>
// SGD:        %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// SGD-NEXT:   %[[NEXT:.*]] = mlopt.add %[[STEPF]], %[[ONE]] : tensor<f64>
// SGD-NEXT:   %[[NEXTI:.*]] = mlopt.cast %[[NEXT]] : tensor<f64> to tensor<i64>
// SGD-NEXT:   mlopt.state_write %[[NEXTI]], @optimizer.step : tensor<i64>
// SGD-NEXT:   %[[APPLIED:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f64>
// SGD-NEXT:   return %{{.*}}, %{{.*}}, %[[APPLIED]] : tensor<f32>, tensor<f32>, tensor<f64>

// Momentum with dampening and weight decay: d = g + wd * p; the buffer is d
// at step 0, then momentum * buf + (1 - dampening) * d.
// MOMENTUM:      mlopt.state @running_mean
// MOMENTUM-NEXT: mlopt.state @optimizer.fc.weight.momentum_buffer : tensor<2x3xf32> optimizer_state init #mlopt.zeros
// MOMENTUM-NEXT: mlopt.state @optimizer.fc.bias.momentum_buffer : tensor<2xf32> optimizer_state init #mlopt.zeros
// MOMENTUM-NEXT: mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros
// MOMENTUM-LABEL: func.func @train_step
// MOMENTUM-SAME:   -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f64> {mlopt.metric = "lr"})
// MOMENTUM:        %[[GW:.*]] = mlopt.mul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>)
// MOMENTUM:        %[[STEP:.*]] = mlopt.state_read @optimizer.step
// MOMENTUM:        %[[ZERO:.*]] = mlopt.constant dense<0> : tensor<i64>
// MOMENTUM-NEXT:   %[[FIRST:.*]] = mlopt.compare eq, %[[STEP]], %[[ZERO]] : (tensor<i64>, tensor<i64>) -> tensor<i1>
// MOMENTUM-NEXT:   %[[W:.*]] = mlopt.state_read @fc.weight
// MOMENTUM-NEXT:   %[[BUF:.*]] = mlopt.state_read @optimizer.fc.weight.momentum_buffer
// MOMENTUM-NEXT:   %[[WD:.*]] = mlopt.constant dense<0.00999999977> : tensor<f32>
// MOMENTUM-NEXT:   %[[WDP:.*]] = mlopt.mul %[[WD]], %[[W]]
// MOMENTUM-NEXT:   %[[D:.*]] = mlopt.add %[[GW]], %[[WDP]] : tensor<2x3xf32>
// MOMENTUM-NEXT:   %[[MOM:.*]] = mlopt.constant dense<0.899999976> : tensor<f32>
// MOMENTUM-NEXT:   %[[MBUF:.*]] = mlopt.mul %[[BUF]], %[[MOM]]
// MOMENTUM-NEXT:   %[[DAMP:.*]] = mlopt.constant dense<0.899999976> : tensor<f32>
// MOMENTUM-NEXT:   %[[DD:.*]] = mlopt.mul %[[DAMP]], %[[D]]
// MOMENTUM-NEXT:   %[[ACC:.*]] = mlopt.add %[[MBUF]], %[[DD]] : tensor<2x3xf32>
// MOMENTUM-NEXT:   %[[NEWBUF:.*]] = mlopt.select %[[FIRST]], %[[D]], %[[ACC]]
// MOMENTUM-NEXT:   %[[LR:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f32>
// MOMENTUM-NEXT:   %[[STEPD:.*]] = mlopt.mul %[[LR]], %[[NEWBUF]]
// MOMENTUM-NEXT:   %[[NEW:.*]] = mlopt.sub %[[W]], %[[STEPD]] : tensor<2x3xf32>
// MOMENTUM-NEXT:   mlopt.state_write %[[NEW]], @fc.weight : tensor<2x3xf32>
// MOMENTUM-NEXT:   mlopt.state_write %[[NEWBUF]], @optimizer.fc.weight.momentum_buffer : tensor<2x3xf32>
// MOMENTUM:        mlopt.state_write %{{.*}}, @fc.bias : tensor<2xf32>
// MOMENTUM-NEXT:   mlopt.state_write %{{.*}}, @optimizer.fc.bias.momentum_buffer : tensor<2xf32>
// MOMENTUM:        mlopt.state_write %{{.*}}, @optimizer.step : tensor<i64>
// MOMENTUM-NEXT:   %[[APPLIED:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f64>
// MOMENTUM-NEXT:   return %{{.*}}, %{{.*}}, %[[APPLIED]]

// Nesterov: d + momentum * buf; no dampening multiply.
// NESTEROV-LABEL: func.func @train_step
// NESTEROV:        %[[GW:.*]] = mlopt.mul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>)
// NESTEROV:        %[[FIRST:.*]] = mlopt.compare eq
// NESTEROV:        %[[W:.*]] = mlopt.state_read @fc.weight
// NESTEROV-NEXT:   %[[BUF:.*]] = mlopt.state_read @optimizer.fc.weight.momentum_buffer
// NESTEROV-NEXT:   %[[MOM:.*]] = mlopt.constant dense<0.899999976> : tensor<f32>
// NESTEROV-NEXT:   %[[MBUF:.*]] = mlopt.mul %[[BUF]], %[[MOM]]
// NESTEROV-NEXT:   %[[ACC:.*]] = mlopt.add %[[MBUF]], %[[GW]] : tensor<2x3xf32>
// NESTEROV-NEXT:   %[[NEWBUF:.*]] = mlopt.select %[[FIRST]], %[[GW]], %[[ACC]]
// NESTEROV-NEXT:   %[[LOOK:.*]] = mlopt.mul %[[MOM]], %[[NEWBUF]]
// NESTEROV-NEXT:   %[[D:.*]] = mlopt.add %[[GW]], %[[LOOK]] : tensor<2x3xf32>
// NESTEROV-NEXT:   %[[LR:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f32>
// NESTEROV-NEXT:   %[[STEPD:.*]] = mlopt.mul %[[LR]], %[[D]]
// NESTEROV-NEXT:   %[[NEW:.*]] = mlopt.sub %[[W]], %[[STEPD]]
// NESTEROV-NEXT:   mlopt.state_write %[[NEW]], @fc.weight
// NESTEROV-NEXT:   mlopt.state_write %[[NEWBUF]], @optimizer.fc.weight.momentum_buffer

// Adam with L2 weight decay: bias corrections from t = step + 1 in f64, as
// PyTorch's Python floats; the update in the parameter's type.
// ADAM:      mlopt.state @running_mean
// ADAM-NEXT: mlopt.state @optimizer.fc.weight.exp_avg : tensor<2x3xf32> optimizer_state init #mlopt.zeros
// ADAM-NEXT: mlopt.state @optimizer.fc.weight.exp_avg_sq : tensor<2x3xf32> optimizer_state init #mlopt.zeros
// ADAM-NEXT: mlopt.state @optimizer.fc.bias.exp_avg : tensor<2xf32> optimizer_state init #mlopt.zeros
// ADAM-NEXT: mlopt.state @optimizer.fc.bias.exp_avg_sq : tensor<2xf32> optimizer_state init #mlopt.zeros
// ADAM-NEXT: mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros
// ADAM-LABEL: func.func @train_step
// ADAM-SAME:   -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<f64> {mlopt.metric = "lr"})
// ADAM:        %[[GW:.*]] = mlopt.mul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>)
// ADAM:        %[[STEP:.*]] = mlopt.state_read @optimizer.step
// ADAM-NEXT:   %[[STEPF:.*]] = mlopt.cast %[[STEP]] : tensor<i64> to tensor<f64>
// ADAM-NEXT:   %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// ADAM-NEXT:   %[[T:.*]] = mlopt.add %[[STEPF]], %[[ONE]] : tensor<f64>
// ADAM-NEXT:   %[[B1:.*]] = mlopt.constant dense<9.000000e-01> : tensor<f64>
// ADAM-NEXT:   %[[B1T:.*]] = mlopt.pow %[[B1]], %[[T]] : tensor<f64>
// ADAM-NEXT:   %[[ONE1:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// ADAM-NEXT:   %[[BC1:.*]] = mlopt.sub %[[ONE1]], %[[B1T]] : tensor<f64>
// ADAM-NEXT:   %[[B2:.*]] = mlopt.constant dense<0.99899999999999999> : tensor<f64>
// ADAM-NEXT:   %[[B2T:.*]] = mlopt.pow %[[B2]], %[[T]] : tensor<f64>
// ADAM-NEXT:   %[[ONE2:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// ADAM-NEXT:   %[[BC2:.*]] = mlopt.sub %[[ONE2]], %[[B2T]] : tensor<f64>
// ADAM-NEXT:   %[[LR:.*]] = mlopt.constant dense<1.000000e-03> : tensor<f64>
// ADAM-NEXT:   %[[STEPSIZE:.*]] = mlopt.div %[[LR]], %[[BC1]] : tensor<f64>
// ADAM-NEXT:   %[[BC2SQRT:.*]] = mlopt.sqrt %[[BC2]] : tensor<f64>
// ADAM-NEXT:   %[[W:.*]] = mlopt.state_read @fc.weight
// ADAM-NEXT:   %[[M:.*]] = mlopt.state_read @optimizer.fc.weight.exp_avg
// ADAM-NEXT:   %[[V:.*]] = mlopt.state_read @optimizer.fc.weight.exp_avg_sq
// ADAM-NEXT:   %[[WD:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f32>
// ADAM-NEXT:   %[[WDP:.*]] = mlopt.mul %[[WD]], %[[W]]
// ADAM-NEXT:   %[[G:.*]] = mlopt.add %[[GW]], %[[WDP]] : tensor<2x3xf32>
// ADAM-NEXT:   %[[C1:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f32>
// ADAM-NEXT:   %[[C1G:.*]] = mlopt.mul %[[C1]], %[[G]]
// ADAM-NEXT:   %[[BETA1:.*]] = mlopt.constant dense<0.899999976> : tensor<f32>
// ADAM-NEXT:   %[[B1M:.*]] = mlopt.mul %[[M]], %[[BETA1]]
// ADAM-NEXT:   %[[NEWM:.*]] = mlopt.add %[[B1M]], %[[C1G]] : tensor<2x3xf32>
// ADAM-NEXT:   %[[C2:.*]] = mlopt.constant dense<1.000000e-03> : tensor<f32>
// ADAM-NEXT:   %[[C2G:.*]] = mlopt.mul %[[C2]], %[[G]]
// ADAM-NEXT:   %[[C2GG:.*]] = mlopt.mul %[[C2G]], %[[G]] : tensor<2x3xf32>
// ADAM-NEXT:   %[[BETA2:.*]] = mlopt.constant dense<9.990000e-01> : tensor<f32>
// ADAM-NEXT:   %[[B2V:.*]] = mlopt.mul %[[V]], %[[BETA2]]
// ADAM-NEXT:   %[[NEWV:.*]] = mlopt.add %[[B2V]], %[[C2GG]] : tensor<2x3xf32>
// ADAM-NEXT:   %[[EPS:.*]] = mlopt.constant dense<9.99999993E-9> : tensor<f32>
// ADAM-NEXT:   %[[BC2SQRT32:.*]] = mlopt.cast %[[BC2SQRT]] : tensor<f64> to tensor<f32>
// ADAM-NEXT:   %[[SQRTV:.*]] = mlopt.sqrt %[[NEWV]] : tensor<2x3xf32>
// ADAM-NEXT:   %[[SCALED:.*]] = mlopt.div %[[SQRTV]], %[[BC2SQRT32]]
// ADAM-NEXT:   %[[DENOM:.*]] = mlopt.add %[[SCALED]], %[[EPS]]
// ADAM-NEXT:   %[[RATIO:.*]] = mlopt.div %[[NEWM]], %[[DENOM]] : tensor<2x3xf32>
// ADAM-NEXT:   %[[STEPSIZE32:.*]] = mlopt.cast %[[STEPSIZE]] : tensor<f64> to tensor<f32>
// ADAM-NEXT:   %[[UPD:.*]] = mlopt.mul %[[STEPSIZE32]], %[[RATIO]]
// ADAM-NEXT:   %[[NEW:.*]] = mlopt.sub %[[W]], %[[UPD]] : tensor<2x3xf32>
// ADAM-NEXT:   mlopt.state_write %[[NEW]], @fc.weight : tensor<2x3xf32>
// ADAM-NEXT:   mlopt.state_write %[[NEWM]], @optimizer.fc.weight.exp_avg : tensor<2x3xf32>
// ADAM-NEXT:   mlopt.state_write %[[NEWV]], @optimizer.fc.weight.exp_avg_sq : tensor<2x3xf32>
// ADAM:        mlopt.state_write %{{.*}}, @fc.bias : tensor<2xf32>
// ADAM-NEXT:   mlopt.state_write %{{.*}}, @optimizer.fc.bias.exp_avg : tensor<2xf32>
// ADAM-NEXT:   mlopt.state_write %{{.*}}, @optimizer.fc.bias.exp_avg_sq : tensor<2xf32>
// ADAM:        mlopt.state_write %{{.*}}, @optimizer.step : tensor<i64>
// ADAM-NEXT:   %[[APPLIED:.*]] = mlopt.constant dense<1.000000e-03> : tensor<f64>
// ADAM-NEXT:   return %{{.*}}, %{{.*}}, %[[APPLIED]]

// AdamW: p *= 1 - lr * wd (default wd 0.01: 1 - 1e-5) before the moments;
// the gradient itself is not decayed.
// ADAMW-LABEL: func.func @train_step
// ADAMW:        %[[GW:.*]] = mlopt.mul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>)
// ADAMW:        %[[W:.*]] = mlopt.state_read @fc.weight
// ADAMW-NEXT:   %[[M:.*]] = mlopt.state_read @optimizer.fc.weight.exp_avg
// ADAMW-NEXT:   %[[V:.*]] = mlopt.state_read @optimizer.fc.weight.exp_avg_sq
// ADAMW-NEXT:   %[[DECAY:.*]] = mlopt.constant dense<0.999989986> : tensor<f32>
// ADAMW-NEXT:   %[[DECAYED:.*]] = mlopt.mul %[[W]], %[[DECAY]]
// ADAMW-NEXT:   %[[C1:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f32>
// ADAMW-NEXT:   %[[C1G:.*]] = mlopt.mul %[[C1]], %[[GW]]
// ADAMW:        %[[NEW:.*]] = mlopt.sub %[[DECAYED]], %{{.*}} : tensor<2x3xf32>
// ADAMW-NEXT:   mlopt.state_write %[[NEW]], @fc.weight : tensor<2x3xf32>

// Clipping: total = sqrt(sum of the squares of all gradients),
// coef = min(max_norm / (total + 1e-6), 1), every gradient scaled.
// CLIP-LABEL: func.func @train_step
// CLIP:        %[[GW:.*]] = mlopt.mul %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<f32>)
// CLIP:        mlopt.state_read @optimizer.step
// CLIP-NEXT:   %[[SQW:.*]] = mlopt.mul %[[GW]], %[[GW]] : tensor<2x3xf32>
// CLIP-NEXT:   %[[SW:.*]] = mlopt.sum %[[SQW]] dims = [0, 1] : tensor<2x3xf32> -> tensor<f32>
// CLIP-NEXT:   %[[SQB:.*]] = mlopt.mul %[[GB:.*]], %[[GB]] : tensor<2xf32>
// CLIP-NEXT:   %[[SB:.*]] = mlopt.sum %[[SQB]] dims = [0] : tensor<2xf32> -> tensor<f32>
// CLIP-NEXT:   %[[SUM:.*]] = mlopt.add %[[SW]], %[[SB]] : tensor<f32>
// CLIP-NEXT:   %[[TOTAL:.*]] = mlopt.sqrt %[[SUM]] : tensor<f32>
// CLIP-NEXT:   %[[TINY:.*]] = mlopt.constant dense<9.99999997E-7> : tensor<f32>
// CLIP-NEXT:   %[[TOTALE:.*]] = mlopt.add %[[TOTAL]], %[[TINY]] : tensor<f32>
// CLIP-NEXT:   %[[MAX:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f32>
// CLIP-NEXT:   %[[COEF:.*]] = mlopt.div %[[MAX]], %[[TOTALE]] : tensor<f32>
// CLIP-NEXT:   %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f32>
// CLIP-NEXT:   %[[CLAMPED:.*]] = mlopt.minimum %[[COEF]], %[[ONE]] : tensor<f32>
// CLIP-NEXT:   %[[CGW:.*]] = mlopt.mul %[[GW]], %[[CLAMPED]]
// CLIP-NEXT:   %[[CGB:.*]] = mlopt.mul %[[GB]], %[[CLAMPED]]
// CLIP:        %[[W:.*]] = mlopt.state_read @fc.weight
// CLIP-NEXT:   %[[LR:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f32>
// CLIP-NEXT:   %[[D:.*]] = mlopt.mul %[[LR]], %[[CGW]]
// CLIP-NEXT:   %[[NEW:.*]] = mlopt.sub %[[W]], %[[D]]
// CLIP-NEXT:   mlopt.state_write %[[NEW]], @fc.weight
// CLIP:        mlopt.mul %{{.*}}, %[[CGB]]

// StepLR: lr * gamma ^ floor(t / step_size), t = completed steps (the
// truncating cast of a non-negative quotient is the floor).
// STEPLR-LABEL: func.func @train_step
// STEPLR:        %[[STEP:.*]] = mlopt.state_read @optimizer.step
// STEPLR-NEXT:   %[[T:.*]] = mlopt.cast %[[STEP]] : tensor<i64> to tensor<f64>
// STEPLR-NEXT:   %[[SIZE:.*]] = mlopt.constant dense<1.000000e+01> : tensor<f64>
// STEPLR-NEXT:   %[[Q:.*]] = mlopt.div %[[T]], %[[SIZE]] : tensor<f64>
// STEPLR-NEXT:   %[[QI:.*]] = mlopt.cast %[[Q]] : tensor<f64> to tensor<i64>
// STEPLR-NEXT:   %[[K:.*]] = mlopt.cast %[[QI]] : tensor<i64> to tensor<f64>
// STEPLR-NEXT:   %[[GAMMA:.*]] = mlopt.constant dense<5.000000e-01> : tensor<f64>
// STEPLR-NEXT:   %[[FACTOR:.*]] = mlopt.pow %[[GAMMA]], %[[K]] : tensor<f64>
// STEPLR-NEXT:   %[[BASE:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f64>
// STEPLR-NEXT:   %[[LR:.*]] = mlopt.mul %[[BASE]], %[[FACTOR]] : tensor<f64>
// STEPLR-NEXT:   %[[W:.*]] = mlopt.state_read @fc.weight
// STEPLR-NEXT:   %[[LR32:.*]] = mlopt.cast %[[LR]] : tensor<f64> to tensor<f32>
// STEPLR-NEXT:   %[[D:.*]] = mlopt.mul %[[LR32]], %{{.*}}
// STEPLR-NEXT:   %[[NEW:.*]] = mlopt.sub %[[W]], %[[D]]
// STEPLR-NEXT:   mlopt.state_write %[[NEW]], @fc.weight
// STEPLR:        mlopt.mul %[[LR32]], %{{.*}} : (tensor<f32>, tensor<2xf32>)
// STEPLR:        return %{{.*}}, %{{.*}}, %[[LR]] : tensor<f32>, tensor<f32>, tensor<f64>

// Cosine: min_lr + (lr - min_lr) * (1 + cos(pi * min(t, T) / T)) / 2.
// COSINE-LABEL: func.func @train_step
// COSINE:        %[[STEP:.*]] = mlopt.state_read @optimizer.step
// COSINE-NEXT:   %[[T:.*]] = mlopt.cast %[[STEP]] : tensor<i64> to tensor<f64>
// COSINE-NEXT:   %[[TOTAL:.*]] = mlopt.constant dense<1.000000e+02> : tensor<f64>
// COSINE-NEXT:   %[[TC:.*]] = mlopt.minimum %[[T]], %[[TOTAL]] : tensor<f64>
// COSINE-NEXT:   %[[PI:.*]] = mlopt.constant dense<3.1415926535897931> : tensor<f64>
// COSINE-NEXT:   %[[PIT:.*]] = mlopt.mul %[[PI]], %[[TC]] : tensor<f64>
// COSINE-NEXT:   %[[TOTAL2:.*]] = mlopt.constant dense<1.000000e+02> : tensor<f64>
// COSINE-NEXT:   %[[ANGLE:.*]] = mlopt.div %[[PIT]], %[[TOTAL2]] : tensor<f64>
// COSINE-NEXT:   %[[COS:.*]] = mlopt.cos %[[ANGLE]] : tensor<f64>
// COSINE-NEXT:   %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// COSINE-NEXT:   %[[ONEPLUS:.*]] = mlopt.add %[[ONE]], %[[COS]] : tensor<f64>
// COSINE-NEXT:   %[[RANGE:.*]] = mlopt.constant dense<9.900000e-02> : tensor<f64>
// COSINE-NEXT:   %[[SCALED:.*]] = mlopt.mul %[[RANGE]], %[[ONEPLUS]] : tensor<f64>
// COSINE-NEXT:   %[[TWO:.*]] = mlopt.constant dense<2.000000e+00> : tensor<f64>
// COSINE-NEXT:   %[[HALF:.*]] = mlopt.div %[[SCALED]], %[[TWO]] : tensor<f64>
// COSINE-NEXT:   %[[MIN:.*]] = mlopt.constant dense<1.000000e-03> : tensor<f64>
// COSINE-NEXT:   %[[LR:.*]] = mlopt.add %[[MIN]], %[[HALF]] : tensor<f64>
// COSINE-NEXT:   mlopt.state_read @fc.weight
// COSINE-NEXT:   mlopt.cast %[[LR]] : tensor<f64> to tensor<f32>
// COSINE:        return %{{.*}}, %{{.*}}, %[[LR]] : tensor<f32>, tensor<f32>, tensor<f64>

// Warm-up: lr * (t + 1) / warmup while t < warmup, then the schedule.
// WARMUP-LABEL: func.func @train_step
// WARMUP:        %[[STEP:.*]] = mlopt.state_read @optimizer.step
// WARMUP-NEXT:   %[[T:.*]] = mlopt.cast %[[STEP]] : tensor<i64> to tensor<f64>
// WARMUP-NEXT:   %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// WARMUP-NEXT:   %[[T1:.*]] = mlopt.add %[[T]], %[[ONE]] : tensor<f64>
// WARMUP-NEXT:   %[[BASE:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f64>
// WARMUP-NEXT:   %[[SCALED:.*]] = mlopt.mul %[[BASE]], %[[T1]] : tensor<f64>
// WARMUP-NEXT:   %[[W:.*]] = mlopt.constant dense<5.000000e+00> : tensor<f64>
// WARMUP-NEXT:   %[[WARM:.*]] = mlopt.div %[[SCALED]], %[[W]] : tensor<f64>
// WARMUP-NEXT:   %[[W2:.*]] = mlopt.constant dense<5.000000e+00> : tensor<f64>
// WARMUP-NEXT:   %[[IN:.*]] = mlopt.compare lt, %[[T]], %[[W2]] : (tensor<f64>, tensor<f64>) -> tensor<i1>
// WARMUP-NEXT:   %[[AFTER:.*]] = mlopt.constant dense<1.000000e-01> : tensor<f64>
// WARMUP-NEXT:   %[[LR:.*]] = mlopt.select %[[IN]], %[[WARM]], %[[AFTER]] : (tensor<i1>, tensor<f64>, tensor<f64>) -> tensor<f64>
// WARMUP-NEXT:   mlopt.state_read @fc.weight
// WARMUP-NEXT:   mlopt.cast %[[LR]] : tensor<f64> to tensor<f32>
// WARMUP:        return %{{.*}}, %{{.*}}, %[[LR]] : tensor<f32>, tensor<f32>, tensor<f64>
