// The pruning family: apply_mask, prune_mask, sparsity_schedule, the
// #mlopt.value initializer and mlopt.masked_by on a state. Round trip in
// custom and generic form.
// RUN: mlopt-opt %s | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %s --mlir-print-op-generic | mlopt-opt | FileCheck %s

// A pruned weight names its mask; the mask and the step counter carry
// their exact values.
// CHECK: mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable init #mlopt.kaiming_uniform {mlopt.masked_by = @fc.weight.mask}{{$}}
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform {mlopt.masked_by = @fc.weight.mask}
// CHECK: mlopt.state @fc.weight.mask : tensor<2x3xf32> mask init #mlopt.value<dense<{{\[\[}}1.000000e+00, 0.000000e+00, 1.000000e+00], [0.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<2x3xf32>>{{$}}
mlopt.state @fc.weight.mask : tensor<2x3xf32> mask
    init #mlopt.value<dense<[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>>
// CHECK: mlopt.state @pruning.step : tensor<i64> step init #mlopt.value<dense<7> : tensor<i64>>{{$}}
mlopt.state @pruning.step : tensor<i64> step
    init #mlopt.value<dense<7> : tensor<i64>>
// A splat, in bf16.
// CHECK: mlopt.state @half.mask : tensor<4xbf16> mask init #mlopt.value<dense<1.000000e+00> : tensor<4xbf16>>{{$}}
mlopt.state @half.mask : tensor<4xbf16> mask
    init #mlopt.value<dense<1.0> : tensor<4xbf16>>

// CHECK-LABEL: func.func @masks
// CHECK: %[[W:.*]] = mlopt.state_read @fc.weight : tensor<2x3xf32>
// CHECK: %[[M:.*]] = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
// CHECK: mlopt.apply_mask %[[W]], %[[M]] : tensor<2x3xf32>
// CHECK: %[[T:.*]] = mlopt.state_read @pruning.step : tensor<i64>
// CHECK: %[[S:.*]], %[[U:.*]] = mlopt.sparsity_schedule %[[T]] initial = 0.000000e+00 final = 9.000000e-01 start = 100 end = 1000 frequency = 100 : tensor<i64>
// CHECK: %[[A:.*]] = mlopt.abs %[[W]] : tensor<2x3xf32>
// CHECK: mlopt.prune_mask %[[A]], %[[S]], %[[U]], %[[M]] : tensor<2x3xf32>
func.func @masks() -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %m = mlopt.state_read @fc.weight.mask : tensor<2x3xf32>
  %wm = mlopt.apply_mask %w, %m : tensor<2x3xf32>
  %t = mlopt.state_read @pruning.step : tensor<i64>
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.9 start = 100
      end = 1000 frequency = 100 : tensor<i64>
  %a = mlopt.abs %w : tensor<2x3xf32>
  %new = mlopt.prune_mask %a, %s, %u, %m : tensor<2x3xf32>
  return %wm, %new : tensor<2x3xf32>, tensor<2x3xf32>
}

// One-shot schedule (start = end), scores of rank 1 (one group), f64.
// CHECK-LABEL: func.func @one_shot
// CHECK: mlopt.sparsity_schedule %{{.*}} initial = 0.000000e+00 final = 5.000000e-01 start = 3 end = 3 frequency = 1 : tensor<i64>
// CHECK: mlopt.prune_mask %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<8xf64>
func.func @one_shot(%t: tensor<i64>, %x: tensor<8xf64>, %p: tensor<8xf64>) -> tensor<8xf64> {
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.5 start = 3
      end = 3 frequency = 1 : tensor<i64>
  %m = mlopt.prune_mask %x, %s, %u, %p : tensor<8xf64>
  return %m : tensor<8xf64>
}

// The value initializer materialized by mlopt.initial_value.
// CHECK-LABEL: func.func @init
// CHECK: mlopt.initial_value %{{.*}}, #mlopt.value<dense<[1.000000e+00, 0.000000e+00]> : tensor<2xf32>> stream = 3 : tensor<2xf32>
func.func @init(%seed: tensor<i64>) -> tensor<2xf32> {
  %v = mlopt.initial_value %seed, #mlopt.value<dense<[1.0, 0.0]> : tensor<2xf32>>
      stream = 3 : tensor<2xf32>
  return %v : tensor<2xf32>
}
