// RUN: mlopt-opt %s --mlopt-prune="method=l1 amount=0.5" | FileCheck %s --check-prefix=L1
// RUN: mlopt-opt %s --mlopt-prune="method=l1 amount=3 targets=fc2\.weight" | FileCheck %s --check-prefix=COUNT
// RUN: mlopt-opt %s --mlopt-prune="method=random amount=0.25 seed=42 targets=fc1\.weight" | FileCheck %s --check-prefix=RANDOM
// RUN: mlopt-opt %s --mlopt-prune="method=ln amount=0.5 targets=fc1\.weight" | FileCheck %s --check-prefix=LN
// RUN: mlopt-opt %s --mlopt-prune="method=ln norm=3 dim=1 amount=1 targets=fc2\.weight" | FileCheck %s --check-prefix=LN3
// RUN: mlopt-opt %s --mlopt-prune="method=ln norm=inf dim=-1 amount=0.25 targets=proj" | FileCheck %s --check-prefix=LNINF
// RUN: mlopt-opt %s --mlopt-prune="method=nm n=2 m=4 targets=fc2\.weight|proj" | FileCheck %s --check-prefix=NM
// RUN: mlopt-opt %s --mlopt-prune="scope=global amount=0.5 targets=fc[12]\.weight" | FileCheck %s --check-prefix=GLOBAL
// RUN: mlopt-opt %s --mlopt-prune="schedule=gradual initial-sparsity=0.1 final-sparsity=0.8 start-step=100 end-step=1000 frequency=100 targets=fc1\.weight" | FileCheck %s --check-prefix=GRADUAL
// RUN: mlopt-opt %s --mlopt-prune="schedule=gradual amount=0.75 end-step=300 targets=fc1\.weight" | FileCheck %s --check-prefix=GRADUAL-AMOUNT
// RUN: mlopt-opt %s --mlopt-prune="method=ln amount=0.5 targets=fc1\.weight" --mlopt-prune="method=l1 amount=2 targets=proj" | FileCheck %s --check-prefix=TWICE
// RUN: mlopt-opt %s --mlopt-prune="method=ln amount=0.5 targets=fc1\.weight" --mlopt-autodiff | FileCheck %s --check-prefix=GRAD
// RUN: mlopt-opt %s --mlopt-prune="method=l1 amount=0.5 targets=proj" --mlopt-autodiff --mlopt-entry-points --canonicalize --cse | FileCheck %s --check-prefix=EVAL

// The pipeline on the Fashion-MNIST MLP: masks, gradients masked after
// autodiff, updates masked by the optimizer, eval_step reads the masks.
// RUN: mlopt-opt %mlopt_src_root/examples/mlp.mlir --mlopt-prune="method=l1 amount=0.5" --mlopt-train-pipeline="optimizer=sgd lr=0.1 momentum=0.9" | FileCheck %s --check-prefix=PIPE

// A model with the kinds of parameters the default targets tell apart:
// linear weights and a matmul's right-hand side (contracted operands) are
// weights; biases, the layer norm's affine parameters and the embedding
// table are not.
mlopt.state @fc1.weight : tensor<4x6xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.weight : tensor<8x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<8xf32> parameter trainable init #mlopt.zeros
mlopt.state @norm.weight : tensor<8xf32> parameter trainable init #mlopt.ones
mlopt.state @norm.bias : tensor<8xf32> parameter trainable init #mlopt.zeros
mlopt.state @emb.weight : tensor<10x8xf32> parameter trainable
    init #mlopt.normal<mean = 0.0, std = 1.0>
mlopt.state @proj : tensor<8x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>

func.func @loss(%x: tensor<8x6xf32> {mlopt.input},
                %ids: tensor<8xi64> {mlopt.input},
                %y: tensor<8x4xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<4x6xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<8x4xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<8xf32>
  %g = mlopt.state_read @norm.weight : tensor<8xf32>
  %beta = mlopt.state_read @norm.bias : tensor<8xf32>
  %table = mlopt.state_read @emb.weight : tensor<10x8xf32>
  %p = mlopt.state_read @proj : tensor<8x4xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<8x6xf32>, tensor<4x6xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %o = mlopt.linear %a, %w2, %b2
      : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<8x8xf32>
  %n = mlopt.layer_norm %o weight %g bias %beta {eps = 1.0e-05 : f64}
      : (tensor<8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8x8xf32>
  %e = mlopt.embedding %ids, %table
      : (tensor<8xi64>, tensor<10x8xf32>) -> tensor<8x8xf32>
  %s = mlopt.add %n, %e : tensor<8x8xf32>
  %z = mlopt.matmul %s, %p : (tensor<8x8xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %l = mlopt.mse_loss %z, %y : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// l1, default targets: a mask state after each weight, the weight marked
// masked_by it, one step counter after the last state.
// L1:      mlopt.state @fc1.weight : tensor<4x6xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898> {mlopt.masked_by = @fc1.weight.mask}
// L1-NEXT: mlopt.state @fc1.weight.mask : tensor<4x6xf32> mask init #mlopt.ones
// L1-NEXT: mlopt.state @fc1.bias : tensor<4xf32> parameter trainable init #mlopt.zeros{{$}}
// L1-NEXT: mlopt.state @fc2.weight : tensor<8x4xf32> {{.*}} {mlopt.masked_by = @fc2.weight.mask}
// L1-NEXT: mlopt.state @fc2.weight.mask : tensor<8x4xf32> mask init #mlopt.ones
// L1-NEXT: mlopt.state @fc2.bias : tensor<8xf32> parameter trainable init #mlopt.zeros{{$}}
// L1-NEXT: mlopt.state @norm.weight : tensor<8xf32> parameter trainable init #mlopt.ones{{$}}
// L1-NEXT: mlopt.state @norm.bias : tensor<8xf32> parameter trainable init #mlopt.zeros{{$}}
// L1-NEXT: mlopt.state @emb.weight : tensor<10x8xf32> parameter trainable init #mlopt.normal<mean = 0.000000e+00, std = 1.000000e+00>{{$}}
// L1-NEXT: mlopt.state @proj : tensor<8x4xf32> {{.*}} {mlopt.masked_by = @proj.mask}
// L1-NEXT: mlopt.state @proj.mask : tensor<8x4xf32> mask init #mlopt.ones
// L1-NEXT: mlopt.state @pruning.step : tensor<i64> step init #mlopt.zeros
// At the start of the loss function: the schedule (one-shot at step 0),
// |w| with -1 where the mask already prunes, one group of every entry,
// prune_mask against the current mask, written back; then step + 1.
// L1-LABEL: func.func @loss
// L1-NEXT:    %[[STEP:.*]] = mlopt.state_read @pruning.step : tensor<i64>
// L1-NEXT:    %[[S:.*]], %[[U:.*]] = mlopt.sparsity_schedule %[[STEP]] initial = 5.000000e-01 final = 5.000000e-01 start = 0 end = 0 frequency = 1 : tensor<i64>
// L1-NEXT:    %[[W1:.*]] = mlopt.state_read @fc1.weight : tensor<4x6xf32>
// L1-NEXT:    %[[ABS1:.*]] = mlopt.abs %[[W1]] : tensor<4x6xf32>
// L1-NEXT:    %[[M1:.*]] = mlopt.state_read @fc1.weight.mask : tensor<4x6xf32>
// L1-NEXT:    %[[ZERO:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// L1-NEXT:    %[[PRUNED:.*]] = mlopt.compare eq, %[[M1]], %[[ZERO]] : (tensor<4x6xf32>, tensor<f32>) -> tensor<4x6xi1>
// L1-NEXT:    %[[LOW:.*]] = mlopt.constant dense<-1.000000e+00> : tensor<f32>
// L1-NEXT:    %[[SC1:.*]] = mlopt.select %[[PRUNED]], %[[LOW]], %[[ABS1]] : (tensor<4x6xi1>, tensor<f32>, tensor<4x6xf32>) -> tensor<4x6xf32>
// L1-NEXT:    %[[G1:.*]] = mlopt.reshape %[[SC1]] : tensor<4x6xf32> to tensor<1x24xf32>
// L1-NEXT:    %[[P1:.*]] = mlopt.reshape %[[M1]] : tensor<4x6xf32> to tensor<1x24xf32>
// L1-NEXT:    %[[NEW1G:.*]] = mlopt.prune_mask %[[G1]], %[[S]], %[[U]], %[[P1]] : tensor<1x24xf32>
// L1-NEXT:    %[[NEW1:.*]] = mlopt.reshape %[[NEW1G]] : tensor<1x24xf32> to tensor<4x6xf32>
// L1-NEXT:    mlopt.state_write %[[NEW1]], @fc1.weight.mask : tensor<4x6xf32>
// L1:         %[[NEW2:.*]] = mlopt.reshape %{{.*}} : tensor<1x32xf32> to tensor<8x4xf32>
// L1-NEXT:    mlopt.state_write %[[NEW2]], @fc2.weight.mask : tensor<8x4xf32>
// L1:         %[[NEWP:.*]] = mlopt.reshape %{{.*}} : tensor<1x32xf32> to tensor<8x4xf32>
// L1-NEXT:    mlopt.state_write %[[NEWP]], @proj.mask : tensor<8x4xf32>
// L1-NEXT:    %[[WIDE:.*]] = mlopt.cast %[[STEP]] : tensor<i64> to tensor<f64>
// L1-NEXT:    %[[ONE:.*]] = mlopt.constant dense<1.000000e+00> : tensor<f64>
// L1-NEXT:    %[[SUM:.*]] = mlopt.add %[[WIDE]], %[[ONE]] : tensor<f64>
// L1-NEXT:    %[[NEXT:.*]] = mlopt.cast %[[SUM]] : tensor<f64> to tensor<i64>
// L1-NEXT:    mlopt.state_write %[[NEXT]], @pruning.step : tensor<i64>
// The model's reads of the weights see the new masks; the others do not.
// L1-NEXT:    %[[R1:.*]] = mlopt.state_read @fc1.weight : tensor<4x6xf32>
// L1-NEXT:    %[[A1:.*]] = mlopt.apply_mask %[[R1]], %[[NEW1]] : tensor<4x6xf32>
// L1-NEXT:    %[[B1:.*]] = mlopt.state_read @fc1.bias : tensor<4xf32>
// L1-NEXT:    %[[R2:.*]] = mlopt.state_read @fc2.weight : tensor<8x4xf32>
// L1-NEXT:    %[[A2:.*]] = mlopt.apply_mask %[[R2]], %[[NEW2]] : tensor<8x4xf32>
// L1-NEXT:    mlopt.state_read @fc2.bias
// L1-NEXT:    mlopt.state_read @norm.weight
// L1-NEXT:    mlopt.state_read @norm.bias
// L1-NEXT:    mlopt.state_read @emb.weight
// L1-NEXT:    %[[RP:.*]] = mlopt.state_read @proj : tensor<8x4xf32>
// L1-NEXT:    %[[AP:.*]] = mlopt.apply_mask %[[RP]], %[[NEWP]] : tensor<8x4xf32>
// L1-NEXT:    mlopt.linear %{{.*}}, %[[A1]], %[[B1]]
// L1-NEXT:    mlopt.relu
// L1-NEXT:    mlopt.linear %{{.*}}, %[[A2]], %{{.*}}
// L1:         mlopt.matmul %{{.*}}, %[[AP]]

// An integer amount is a count: 3 of fc2.weight's 32 entries, 3/32.
// COUNT:       mlopt.state @fc1.weight : tensor<4x6xf32> {{.*}}#mlopt.kaiming_uniform<a = 2.2360679774997898>{{$}}
// COUNT:       mlopt.state @fc2.weight.mask
// COUNT-NOT:   .mask
// COUNT-LABEL: func.func @loss
// COUNT:         mlopt.sparsity_schedule %{{.*}} initial = 9.375000e-02 final = 9.375000e-02 start = 0 end = 0 frequency = 1
// COUNT:         mlopt.prune_mask %{{.*}} : tensor<1x32xf32>

// random: uniform scores from the constant seed and the mask's stream
// (fnv1a64("fc1.weight.mask")), not from the weight.
// RANDOM-LABEL: func.func @loss
// RANDOM:         mlopt.sparsity_schedule %{{.*}} initial = 2.500000e-01 final = 2.500000e-01
// RANDOM-NEXT:    %[[SEED:.*]] = mlopt.constant dense<42> : tensor<i64>
// RANDOM-NEXT:    %[[R:.*]] = mlopt.initial_value %[[SEED]], #mlopt.uniform<low = 0.000000e+00, high = 1.000000e+00> stream = 1838729979696556245 : tensor<4x6xf32>
// RANDOM-NEXT:    %[[M:.*]] = mlopt.state_read @fc1.weight.mask : tensor<4x6xf32>
// RANDOM:         %[[SC:.*]] = mlopt.select %{{.*}}, %{{.*}}, %[[R]]
// RANDOM-NEXT:    %[[G:.*]] = mlopt.reshape %[[SC]] : tensor<4x6xf32> to tensor<1x24xf32>
// RANDOM-NEXT:    %[[P:.*]] = mlopt.reshape %[[M]] : tensor<4x6xf32> to tensor<1x24xf32>
// RANDOM-NEXT:    mlopt.prune_mask %[[G]], %{{.*}}, %{{.*}}, %[[P]] : tensor<1x24xf32>
// RANDOM-NOT:     mlopt.abs

// ln, dim 0: one score per row (sum of squares), one group of the rows;
// the row mask is broadcast to the weight and masks the linear's bias too.
// LN:      mlopt.state @fc1.weight : {{.*}} {mlopt.masked_by = @fc1.weight.mask}
// LN-NEXT: mlopt.state @fc1.weight.mask : tensor<4x6xf32> mask init #mlopt.ones
// LN-NEXT: mlopt.state @fc1.bias : tensor<4xf32> parameter trainable init #mlopt.zeros {mlopt.masked_by = @fc1.bias.mask}
// LN-NEXT: mlopt.state @fc1.bias.mask : tensor<4xf32> mask init #mlopt.ones
// LN-NEXT: mlopt.state @fc2.weight : tensor<8x4xf32> {{.*}}>{{$}}
// LN-LABEL: func.func @loss
// LN:         %[[S:.*]], %[[U:.*]] = mlopt.sparsity_schedule
// LN-NEXT:    %[[W:.*]] = mlopt.state_read @fc1.weight : tensor<4x6xf32>
// LN-NEXT:    %[[M:.*]] = mlopt.state_read @fc1.weight.mask : tensor<4x6xf32>
// LN-NEXT:    %[[ROWS:.*]] = mlopt.max %[[M]] dims = [1] : tensor<4x6xf32> -> tensor<4xf32>
// LN-NEXT:    %[[ABS:.*]] = mlopt.abs %[[W]] : tensor<4x6xf32>
// LN-NEXT:    %[[SQ:.*]] = mlopt.mul %[[ABS]], %[[ABS]] : tensor<4x6xf32>
// LN-NEXT:    %[[NORM:.*]] = mlopt.sum %[[SQ]] dims = [1] : tensor<4x6xf32> -> tensor<4xf32>
// LN-NEXT:    %[[ZERO:.*]] = mlopt.constant dense<0.000000e+00> : tensor<f32>
// LN-NEXT:    %[[PRUNED:.*]] = mlopt.compare eq, %[[ROWS]], %[[ZERO]] : (tensor<4xf32>, tensor<f32>) -> tensor<4xi1>
// LN-NEXT:    %[[LOW:.*]] = mlopt.constant dense<-1.000000e+00> : tensor<f32>
// LN-NEXT:    %[[SC:.*]] = mlopt.select %[[PRUNED]], %[[LOW]], %[[NORM]]
// LN-NEXT:    %[[G:.*]] = mlopt.reshape %[[SC]] : tensor<4xf32> to tensor<1x4xf32>
// LN-NEXT:    %[[P:.*]] = mlopt.reshape %[[ROWS]] : tensor<4xf32> to tensor<1x4xf32>
// LN-NEXT:    %[[NEWG:.*]] = mlopt.prune_mask %[[G]], %[[S]], %[[U]], %[[P]] : tensor<1x4xf32>
// LN-NEXT:    %[[COL:.*]] = mlopt.reshape %[[NEWG]] : tensor<1x4xf32> to tensor<4x1xf32>
// LN-NEXT:    %[[BC:.*]] = mlopt.broadcast_to %[[COL]] : tensor<4x1xf32> to tensor<4x6xf32>
// LN-NEXT:    %[[NEW:.*]] = mlopt.mul %[[BC]], %[[M]] : tensor<4x6xf32>
// LN-NEXT:    mlopt.state_write %[[NEW]], @fc1.weight.mask : tensor<4x6xf32>
// LN-NEXT:    %[[BM:.*]] = mlopt.state_read @fc1.bias.mask : tensor<4xf32>
// LN-NEXT:    %[[BROWS:.*]] = mlopt.reshape %[[NEWG]] : tensor<1x4xf32> to tensor<4xf32>
// LN-NEXT:    %[[NEWB:.*]] = mlopt.mul %[[BROWS]], %[[BM]] : tensor<4xf32>
// LN-NEXT:    mlopt.state_write %[[NEWB]], @fc1.bias.mask : tensor<4xf32>
// LN:         mlopt.state_write %{{.*}}, @pruning.step
// LN-NEXT:    %[[R:.*]] = mlopt.state_read @fc1.weight : tensor<4x6xf32>
// LN-NEXT:    %[[AW:.*]] = mlopt.apply_mask %[[R]], %[[NEW]] : tensor<4x6xf32>
// LN-NEXT:    %[[RB:.*]] = mlopt.state_read @fc1.bias : tensor<4xf32>
// LN-NEXT:    %[[AB:.*]] = mlopt.apply_mask %[[RB]], %[[NEWB]] : tensor<4xf32>
// LN:         mlopt.linear %{{.*}}, %[[AW]], %[[AB]]

// ln, dim 1 with norm 3: columns scored by sum |w|^3, no bias follows a
// column; one pruned column of four.
// LN3-NOT:   fc2.bias.mask
// LN3-LABEL: func.func @loss
// LN3:         mlopt.sparsity_schedule %{{.*}} initial = 2.500000e-01 final = 2.500000e-01
// LN3:         %[[COLS:.*]] = mlopt.max %{{.*}} dims = [0] : tensor<8x4xf32> -> tensor<4xf32>
// LN3-NEXT:    %[[ABS:.*]] = mlopt.abs %{{.*}} : tensor<8x4xf32>
// LN3-NEXT:    %[[P:.*]] = mlopt.constant dense<3.000000e+00> : tensor<f32>
// LN3-NEXT:    %[[POW:.*]] = mlopt.pow %[[ABS]], %[[P]] : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32>
// LN3-NEXT:    mlopt.sum %[[POW]] dims = [0] : tensor<8x4xf32> -> tensor<4xf32>
// LN3:         %[[NEWG:.*]] = mlopt.prune_mask %{{.*}} : tensor<1x4xf32>
// LN3-NEXT:    %[[BC:.*]] = mlopt.broadcast_to %[[NEWG]] : tensor<1x4xf32> to tensor<8x4xf32>
// LN3-NEXT:    %[[NEW:.*]] = mlopt.mul %[[BC]], %{{.*}} : tensor<8x4xf32>
// LN3-NEXT:    mlopt.state_write %[[NEW]], @fc2.weight.mask
// LN3-NOT:     fc2.bias.mask

// ln, norm inf along the last dimension (-1): the maximum |w| of each column.
// LNINF-LABEL: func.func @loss
// LNINF:         %[[ABS:.*]] = mlopt.abs %{{.*}} : tensor<8x4xf32>
// LNINF-NEXT:    mlopt.max %[[ABS]] dims = [0] : tensor<8x4xf32> -> tensor<4xf32>
// LNINF:         mlopt.prune_mask %{{.*}} : tensor<1x4xf32>
// LNINF:         mlopt.state_write %{{.*}}, @proj.mask

// n:m: groups of m along the contracted dimension, sparsity (m - n) / m:
// linear's weight [out, in] groups its rows directly; matmul's right-hand
// side [k, n] is transposed so that k is last, then transposed back.
// NM-LABEL: func.func @loss
// NM:         %[[S:.*]], %[[U:.*]] = mlopt.sparsity_schedule %{{.*}} initial = 5.000000e-01 final = 5.000000e-01 start = 0 end = 0 frequency = 1
// NM:         %[[M2:.*]] = mlopt.state_read @fc2.weight.mask : tensor<8x4xf32>
// NM:         %[[SC2:.*]] = mlopt.select
// NM-NEXT:    %[[NEW2:.*]] = mlopt.prune_mask %[[SC2]], %[[S]], %[[U]], %[[M2]] : tensor<8x4xf32>
// NM-NEXT:    mlopt.state_write %[[NEW2]], @fc2.weight.mask
// NM:         %[[MP:.*]] = mlopt.state_read @proj.mask : tensor<8x4xf32>
// NM:         %[[SCP:.*]] = mlopt.select
// NM-NEXT:    %[[T:.*]] = mlopt.transpose %[[SCP]], [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
// NM-NEXT:    %[[G:.*]] = mlopt.reshape %[[T]] : tensor<4x8xf32> to tensor<8x4xf32>
// NM-NEXT:    %[[PT:.*]] = mlopt.transpose %[[MP]], [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
// NM-NEXT:    %[[P:.*]] = mlopt.reshape %[[PT]] : tensor<4x8xf32> to tensor<8x4xf32>
// NM-NEXT:    %[[NEWG:.*]] = mlopt.prune_mask %[[G]], %[[S]], %[[U]], %[[P]] : tensor<8x4xf32>
// NM-NEXT:    %[[BACK:.*]] = mlopt.reshape %[[NEWG]] : tensor<8x4xf32> to tensor<4x8xf32>
// NM-NEXT:    %[[NEWP:.*]] = mlopt.transpose %[[BACK]], [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
// NM-NEXT:    mlopt.state_write %[[NEWP]], @proj.mask

// global: the flattened scores of every target in one group, the masks
// sliced back out.
// GLOBAL-LABEL: func.func @loss
// GLOBAL:         %[[S:.*]], %[[U:.*]] = mlopt.sparsity_schedule %{{.*}} initial = 5.000000e-01 final = 5.000000e-01
// GLOBAL:         %[[G1:.*]] = mlopt.reshape %{{.*}} : tensor<4x6xf32> to tensor<1x24xf32>
// GLOBAL-NEXT:    %[[P1:.*]] = mlopt.reshape %{{.*}} : tensor<4x6xf32> to tensor<1x24xf32>
// GLOBAL:         %[[G2:.*]] = mlopt.reshape %{{.*}} : tensor<8x4xf32> to tensor<1x32xf32>
// GLOBAL-NEXT:    %[[P2:.*]] = mlopt.reshape %{{.*}} : tensor<8x4xf32> to tensor<1x32xf32>
// GLOBAL-NEXT:    %[[G:.*]] = mlopt.concat %[[G1]], %[[G2]] dim = 1 : (tensor<1x24xf32>, tensor<1x32xf32>) -> tensor<1x56xf32>
// GLOBAL-NEXT:    %[[P:.*]] = mlopt.concat %[[P1]], %[[P2]] dim = 1 : (tensor<1x24xf32>, tensor<1x32xf32>) -> tensor<1x56xf32>
// GLOBAL-NEXT:    %[[ALL:.*]] = mlopt.prune_mask %[[G]], %[[S]], %[[U]], %[[P]] : tensor<1x56xf32>
// GLOBAL-NEXT:    %[[S1:.*]] = mlopt.slice %[[ALL]] start [0, 0] limit [1, 24] step [1, 1] : tensor<1x56xf32> -> tensor<1x24xf32>
// GLOBAL-NEXT:    %[[NEW1:.*]] = mlopt.reshape %[[S1]] : tensor<1x24xf32> to tensor<4x6xf32>
// GLOBAL-NEXT:    mlopt.state_write %[[NEW1]], @fc1.weight.mask
// GLOBAL-NEXT:    %[[S2:.*]] = mlopt.slice %[[ALL]] start [0, 24] limit [1, 56] step [1, 1] : tensor<1x56xf32> -> tensor<1x32xf32>
// GLOBAL-NEXT:    %[[NEW2:.*]] = mlopt.reshape %[[S2]] : tensor<1x32xf32> to tensor<8x4xf32>
// GLOBAL-NEXT:    mlopt.state_write %[[NEW2]], @fc2.weight.mask
// GLOBAL-NOT:     prune_mask

// gradual: the cubic schedule's parameters on the op; the rest as l1.
// GRADUAL-LABEL: func.func @loss
// GRADUAL-NEXT:    %[[STEP:.*]] = mlopt.state_read @pruning.step : tensor<i64>
// GRADUAL-NEXT:    %[[S:.*]], %[[U:.*]] = mlopt.sparsity_schedule %[[STEP]] initial = 1.000000e-01 final = 8.000000e-01 start = 100 end = 1000 frequency = 100 : tensor<i64>
// GRADUAL:         mlopt.prune_mask %{{.*}}, %[[S]], %[[U]], %{{.*}} : tensor<1x24xf32>
// GRADUAL:         mlopt.state_write %{{.*}}, @pruning.step

// gradual without final-sparsity: amount is the final sparsity; the
// frequency defaults to 100.
// GRADUAL-AMOUNT: mlopt.sparsity_schedule %{{.*}} initial = 0.000000e+00 final = 7.500000e-01 start = 0 end = 300 frequency = 100

// A second mlopt-prune shares @pruning.step and the first one's increment;
// its mask computation comes first.
// TWICE:       mlopt.state @pruning.step
// TWICE-NOT:   mlopt.state @pruning.step
// TWICE-LABEL: func.func @loss
// TWICE:         %[[STEP2:.*]] = mlopt.state_read @pruning.step : tensor<i64>
// TWICE-NEXT:    mlopt.sparsity_schedule %[[STEP2]] initial = 6.250000e-02
// TWICE:         mlopt.state_write %{{.*}}, @proj.mask
// TWICE-NEXT:    %[[STEP1:.*]] = mlopt.state_read @pruning.step : tensor<i64>
// TWICE-NEXT:    mlopt.sparsity_schedule %[[STEP1]] initial = 5.000000e-01
// TWICE:         mlopt.state_write %{{.*}}, @fc1.bias.mask
// TWICE-NEXT:    mlopt.cast %[[STEP1]]
// TWICE:         mlopt.state_write %{{.*}}, @pruning.step
// TWICE-NOT:     @pruning.step
// TWICE:         mlopt.apply_mask
// TWICE:         mlopt.apply_mask
// TWICE:         mlopt.apply_mask

// After autodiff the gradients of the masked weight and bias are masked
// (apply_mask's VJP), and nothing flows through the mask computation.
// GRAD-LABEL: func.func @train_step
// GRAD-SAME:    tensor<4x6xf32> {mlopt.grad_of = @fc1.weight}, tensor<4xf32> {mlopt.grad_of = @fc1.bias}
// GRAD:         %[[BC:.*]] = mlopt.broadcast_to
// GRAD-NEXT:    %[[NEW:.*]] = mlopt.mul %[[BC]], %{{.*}} : tensor<4x6xf32>
// GRAD-NEXT:    mlopt.state_write %[[NEW]], @fc1.weight.mask
// GRAD:         %[[NEWB:.*]] = mlopt.mul %{{.*}}, %{{.*}} : tensor<4xf32>
// GRAD-NEXT:    mlopt.state_write %[[NEWB]], @fc1.bias.mask
// GRAD:         mlopt.mse_loss
// GRAD:         %[[GB:.*]] = mlopt.apply_mask %{{.*}}, %[[NEWB]] : tensor<4xf32>
// GRAD-NEXT:    %[[GW:.*]] = mlopt.apply_mask %{{.*}}, %[[NEW]] : tensor<4x6xf32>
// GRAD-NEXT:    return %{{.*}}, %[[GW]], %[[GB]],

// eval_step: prune_mask becomes its `previous` and the state writes go, so
// the model reads the stored mask as it is.
// EVAL-LABEL: func.func @eval_step
// EVAL-NOT:     prune_mask
// EVAL-NOT:     state_write
// EVAL-NOT:     pruning.step
// EVAL:         %[[M:.*]] = mlopt.state_read @proj.mask : tensor<8x4xf32>
// EVAL:         %[[MG:.*]] = mlopt.reshape %[[M]] : tensor<8x4xf32> to tensor<1x32xf32>
// EVAL-NEXT:    %[[MB:.*]] = mlopt.reshape %[[MG]] : tensor<1x32xf32> to tensor<8x4xf32>
// EVAL:         %[[P:.*]] = mlopt.state_read @proj : tensor<8x4xf32>
// EVAL-NEXT:    %[[AP:.*]] = mlopt.apply_mask %[[P]], %[[MB]] : tensor<8x4xf32>
// EVAL:         mlopt.matmul %{{.*}}, %[[AP]]
// EVAL-NOT:     prune_mask
// EVAL-NOT:     state_write
// EVAL-LABEL: func.func @predict_step
// EVAL-NOT:     prune_mask
// EVAL:         mlopt.apply_mask

// The training module of the MLP with both weights pruned.
// PIPE:      <"fc1.weight", parameter, tensor<256x784xf32>, trainable>, <"fc1.weight.mask", mask, tensor<256x784xf32>>, <"fc1.bias", parameter, tensor<256xf32>, trainable>
// PIPE-SAME: <"fc2.weight.mask", mask, tensor<10x256xf32>>, <"fc2.bias", parameter, tensor<10xf32>, trainable>, <"pruning.step", step, tensor<i64>>, <"optimizer.fc1.weight.momentum_buffer"
// PIPE-LABEL: func.func @train_step
// PIPE:         %[[NEW1:.*]] = mlopt.reshape %{{.*}} : tensor<1x200704xf32> to tensor<256x784xf32>
// PIPE-NEXT:    mlopt.state_write %[[NEW1]], @fc1.weight.mask
// PIPE:         %[[NEW2:.*]] = mlopt.reshape %{{.*}} : tensor<1x2560xf32> to tensor<10x256xf32>
// PIPE-NEXT:    mlopt.state_write %[[NEW2]], @fc2.weight.mask
// PIPE:         mlopt.state_write %{{.*}}, @pruning.step
// PIPE:         mlopt.softmax
// PIPE:         %[[G2:.*]] = mlopt.apply_mask %{{.*}}, %[[NEW2]] : tensor<10x256xf32>
// PIPE-NEXT:    %[[G1:.*]] = mlopt.apply_mask %{{.*}}, %[[NEW1]] : tensor<256x784xf32>
// PIPE:         mlopt.add %{{.*}}, %[[G1]] : tensor<256x784xf32>
// PIPE:         %[[UPD1:.*]] = mlopt.sub %{{.*}}, %{{.*}} : tensor<256x784xf32>
// PIPE-NEXT:    %[[MASK1:.*]] = mlopt.state_read @fc1.weight.mask : tensor<256x784xf32>
// PIPE-NEXT:    %[[KEPT1:.*]] = mlopt.apply_mask %[[UPD1]], %[[MASK1]] : tensor<256x784xf32>
// PIPE-NEXT:    mlopt.state_write %[[KEPT1]], @fc1.weight : tensor<256x784xf32>
// PIPE:         mlopt.state_write %{{.*}}, @fc1.bias : tensor<256xf32>
// PIPE:         %[[UPD2:.*]] = mlopt.sub %{{.*}}, %{{.*}} : tensor<10x256xf32>
// PIPE-NEXT:    %[[MASK2:.*]] = mlopt.state_read @fc2.weight.mask : tensor<10x256xf32>
// PIPE-NEXT:    %[[KEPT2:.*]] = mlopt.apply_mask %[[UPD2]], %[[MASK2]] : tensor<10x256xf32>
// PIPE-NEXT:    mlopt.state_write %[[KEPT2]], @fc2.weight : tensor<10x256xf32>
// PIPE-LABEL: func.func @eval_step
// PIPE-NOT:     prune_mask
// PIPE:         mlopt.state_read @fc1.weight.mask
// PIPE:         mlopt.apply_mask
// PIPE:         mlopt.apply_mask
// PIPE-LABEL: func.func @predict_step
