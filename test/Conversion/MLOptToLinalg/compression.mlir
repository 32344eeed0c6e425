// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-lower-to-cpu | FileCheck %s --check-prefix=CPU

// apply_mask is one elementwise multiply.
// CHECK-LABEL: func.func @apply_mask
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CPU-LABEL: llvm.func internal @apply_mask
// CPU: llvm.fmul
func.func @apply_mask(%w: tensor<4x8xf32>, %m: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = mlopt.apply_mask %w, %m : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// prune_mask calls the runtime's selection when %update holds: the scores'
// buffer and a new one for the mask as i64 pointers, the group count and
// length, the sparsity. Otherwise it yields the previous mask.
// CHECK-LABEL: func.func private @mlopt_prune_mask_f32(i64, i64, i64, i64, f64)
// CHECK-LABEL: func.func @prune_mask
// CHECK-SAME: (%[[S:.*]]: tensor<3x5xf32>, %[[SP:.*]]: tensor<f64>, %[[U:.*]]: tensor<i1>, %[[P:.*]]: tensor<3x5xf32>)
// CHECK: %[[UPDATE:.*]] = tensor.extract %[[U]][] : tensor<i1>
// CHECK: %[[R:.*]] = scf.if %[[UPDATE]] -> (tensor<3x5xf32>) {
// CHECK:   %[[SB:.*]] = bufferization.to_buffer %[[S]] read_only : tensor<3x5xf32> to memref<3x5xf32>
// CHECK:   %[[MB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3x5xf32>
// CHECK:   %[[SPARSITY:.*]] = tensor.extract %[[SP]][] : tensor<f64>
// CHECK:   %[[SI:.*]] = memref.extract_aligned_pointer_as_index %[[SB]]
// CHECK:   %[[SPTR:.*]] = arith.index_cast %[[SI]] : index to i64
// CHECK:   %[[MI:.*]] = memref.extract_aligned_pointer_as_index %[[MB]]
// CHECK:   %[[MPTR:.*]] = arith.index_cast %[[MI]] : index to i64
// CHECK:   %[[GROUPS:.*]] = arith.constant 3 : i64
// CHECK:   %[[LENGTH:.*]] = arith.constant 5 : i64
// CHECK:   func.call @mlopt_prune_mask_f32(%[[SPTR]], %[[MPTR]], %[[GROUPS]], %[[LENGTH]], %[[SPARSITY]])
// CHECK:   %[[MASK:.*]] = bufferization.to_tensor %[[MB]] restrict writable : memref<3x5xf32> to tensor<3x5xf32>
// CHECK:   scf.yield %[[MASK]] : tensor<3x5xf32>
// CHECK: } else {
// CHECK:   scf.yield %[[P]] : tensor<3x5xf32>
// CHECK: }
// CHECK: return %[[R]]
// Through the whole CPU pipeline: bufferized, lowered, one call.
// CPU: llvm.func @mlopt_prune_mask_f32(i64, i64, i64, i64, f64)
// CPU-LABEL: llvm.func internal @prune_mask
// CPU: llvm.cond_br
// CPU: llvm.call @mlopt_prune_mask_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i64, i64, f64) -> ()
// CPU-NOT: bufferization.
func.func @prune_mask(%s: tensor<3x5xf32>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<3x5xf32>
  return %m : tensor<3x5xf32>
}

// -----

// f64 scores have their own kernel; one declaration serves every call.
// CHECK: func.func private @mlopt_prune_mask_f64(i64, i64, i64, i64, f64)
// CHECK-NOT: func.func private @mlopt_prune_mask
// CHECK-LABEL: func.func @prune_mask_f64
// CHECK: func.call @mlopt_prune_mask_f64
// CHECK: func.call @mlopt_prune_mask_f64
// CPU-LABEL: llvm.func internal @prune_mask_f64
// CPU-COUNT-2: llvm.call @mlopt_prune_mask_f64
func.func @prune_mask_f64(%s: tensor<16xf64>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<16xf64>) -> (tensor<16xf64>, tensor<16xf64>) {
  %a = mlopt.prune_mask %s, %sp, %u, %p : tensor<16xf64>
  %b = mlopt.prune_mask %a, %sp, %u, %p : tensor<16xf64>
  return %a, %b : tensor<16xf64>, tensor<16xf64>
}

// -----

// bf16 scores are selected as f32 (exact: the op is widened to f32 between
// casts, LowPrecision.cpp) and the mask truncated back.
// CHECK-LABEL: func.func @prune_mask_bf16
// CHECK: linalg.generic
// CHECK:   arith.extf %{{.*}} : bf16 to f32
// CHECK: scf.if
// CHECK:   bufferization.to_buffer %{{.*}} read_only : tensor<2x4xf32> to memref<2x4xf32>
// CHECK:   func.call @mlopt_prune_mask_f32
// CHECK:   scf.yield %{{.*}} : tensor<2x4xf32>
// CHECK: linalg.generic
// CHECK:   arith.truncf %{{.*}} : f32 to bf16
func.func @prune_mask_bf16(%s: tensor<2x4xbf16>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<2x4xbf16>) -> tensor<2x4xbf16> {
  %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<2x4xbf16>
  return %m : tensor<2x4xbf16>
}

// -----

// The schedule is scalar arith in f64 on the extracted step:
// s = final + (initial - final) * r^3 with r = 1 - (t - start) / (end - start)
// on [start, end), final from end on, initial before start; update at
// start <= t <= end with (t - start) % frequency == 0.
// CHECK-LABEL: func.func @schedule
// CHECK: %[[T:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[START:.*]] = arith.constant 100 : i64
// CHECK: %[[SINCE:.*]] = arith.subi %[[T]], %[[START]] : i64
// CHECK: %[[AFTER:.*]] = arith.cmpi sge, %[[T]], %[[START]] : i64
// CHECK: %[[END:.*]] = arith.constant 1000 : i64
// CHECK: %[[BEFORE:.*]] = arith.cmpi sle, %[[T]], %[[END]] : i64
// CHECK: %[[FINAL:.*]] = arith.constant 9.000000e-01 : f64
// CHECK: %[[SPAN:.*]] = arith.constant 9.000000e+02 : f64
// CHECK: %[[SINCEF:.*]] = arith.sitofp %[[SINCE]] : i64 to f64
// CHECK: %[[PROGRESS:.*]] = arith.divf %[[SINCEF]], %[[SPAN]] : f64
// CHECK: %[[R:.*]] = arith.subf %{{.*}}, %[[PROGRESS]] : f64
// CHECK: %[[R2:.*]] = arith.mulf %[[R]], %[[R]] : f64
// CHECK: %[[R3:.*]] = arith.mulf %[[R2]], %[[R]] : f64
// CHECK: %[[DIFF:.*]] = arith.constant -8.000000e-01 : f64
// CHECK: %[[SCALED:.*]] = arith.mulf %[[DIFF]], %[[R3]] : f64
// CHECK: %[[CURVE:.*]] = arith.addf %{{.*}}, %[[SCALED]] : f64
// CHECK: %[[ONCURVE:.*]] = arith.cmpi slt, %[[T]], %{{.*}} : i64
// CHECK: %[[LATE:.*]] = arith.select %[[ONCURVE]], %[[CURVE]], %[[FINAL]] : f64
// CHECK: %[[INITIAL:.*]] = arith.constant 1.000000e-01 : f64
// CHECK: %[[SPARSITY:.*]] = arith.select %[[AFTER]], %[[LATE]], %[[INITIAL]] : f64
// CHECK: %[[FREQUENCY:.*]] = arith.constant 100 : i64
// CHECK: %[[REM:.*]] = arith.remsi %[[SINCE]], %[[FREQUENCY]] : i64
// CHECK: %[[ONSTEP:.*]] = arith.cmpi eq, %[[REM]], %{{.*}} : i64
// CHECK: %[[IN:.*]] = arith.andi %[[AFTER]], %[[BEFORE]] : i1
// CHECK: %[[UPDATE:.*]] = arith.andi %[[IN]], %[[ONSTEP]] : i1
// CHECK: %[[ST:.*]] = tensor.from_elements %[[SPARSITY]] : tensor<f64>
// CHECK: %[[UT:.*]] = tensor.from_elements %[[UPDATE]] : tensor<i1>
// CHECK: return %[[ST]], %[[UT]]
func.func @schedule(%t: tensor<i64>) -> (tensor<f64>, tensor<i1>) {
  %s, %u = mlopt.sparsity_schedule %t initial = 0.1 final = 0.9 start = 100
      end = 1000 frequency = 100 : tensor<i64>
  return %s, %u : tensor<f64>, tensor<i1>
}

// -----

// One-shot (start = end): no curve, final from the start on.
// CHECK-LABEL: func.func @one_shot
// CHECK-NOT: arith.divf
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f64
// CHECK-NOT: arith.select
// CHECK: tensor.from_elements
func.func @one_shot(%t: tensor<i64>) -> (tensor<f64>, tensor<i1>) {
  %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.5 start = 7
      end = 7 frequency = 1 : tensor<i64>
  return %s, %u : tensor<f64>, tensor<i1>
}

// -----

// #mlopt.value is a constant of its exact values.
// CHECK-LABEL: func.func @value_init
// CHECK: %[[V:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[K:.*]] = arith.constant dense<[3, -4]> : tensor<2xi64>
// CHECK: return %[[V]], %[[K]]
func.func @value_init(%seed: tensor<i64>) -> (tensor<2x2xf32>, tensor<2xi64>) {
  %v = mlopt.initial_value %seed, #mlopt.value<dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>>
      stream = 1 : tensor<2x2xf32>
  %k = mlopt.initial_value %seed, #mlopt.value<dense<[3, -4]> : tensor<2xi64>>
      stream = 2 : tensor<2xi64>
  return %v, %k : tensor<2x2xf32>, tensor<2xi64>
}
