// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s

// Constant initializers are fills.
// CHECK-LABEL: func.func @fills
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ONE]] : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[SEVEN:.*]] = arith.constant 7 : i64
// CHECK: linalg.fill ins(%[[SEVEN]] : i64) outs(%{{.*}} : tensor<i64>)
func.func @fills(%seed: tensor<i64>) -> (tensor<4xf32>, tensor<i64>) {
  %a = mlopt.initial_value %seed, #mlopt.ones stream = 1 : tensor<4xf32>
  %b = mlopt.initial_value %seed, #mlopt.constant<value = 7.0> stream = 2 : tensor<i64>
  return %a, %b : tensor<4xf32>, tensor<i64>
}

// -----

// Random initializers evaluate the generator per element from linalg.index,
// compute in f64 (bound precomputed: kaiming with a = sqrt(5), fan_in = 8
// gives 1 / sqrt(8)) and round once.
// CHECK-LABEL: func.func @kaiming
// CHECK: %[[SEED:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[STREAM:.*]] = arith.constant 1234 : i64
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: arith.xori %[[SEED]], %[[STREAM]] : i64
// CHECK: arith.uitofp %{{.*}} : i64 to f64
// CHECK: arith.constant 0.35355339059327{{[0-9]*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @kaiming(%seed: tensor<i64>) -> tensor<4x8xf32> {
  %w = mlopt.initial_value %seed, #mlopt.kaiming_uniform<a = 2.2360679774997898>
      stream = 1234 : tensor<4x8xf32>
  return %w : tensor<4x8xf32>
}

// -----

// normal draws two uniforms per element (indices 2i and 2i + 1).
// CHECK-LABEL: func.func @normal
// CHECK: arith.muli %{{.*}}, %{{.*}} : i64
// CHECK: math.log
// CHECK: math.sqrt
// CHECK: math.cos
func.func @normal(%seed: tensor<i64>) -> tensor<16xf32> {
  %w = mlopt.initial_value %seed, #mlopt.normal<mean = 0.0, std = 0.02>
      stream = 5 : tensor<16xf32>
  return %w : tensor<16xf32>
}

// -----

// from_seed keeps the generator's integer bits: bits(seed, stream, i) >> 12,
// with no float step.
// CHECK-LABEL: func.func @from_seed
// CHECK: %[[SEED:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[STREAM:.*]] = arith.constant 5 : i64
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<3xi64>)
// CHECK: arith.xori %[[SEED]], %[[STREAM]] : i64
// CHECK-NOT: uitofp
// CHECK: %[[C12:.*]] = arith.constant 12 : i64
// CHECK: %[[KEY:.*]] = arith.shrui %{{.*}}, %[[C12]] : i64
// CHECK: linalg.yield %[[KEY]] : i64
func.func @from_seed(%seed: tensor<i64>) -> tensor<3xi64> {
  %k = mlopt.initial_value %seed, #mlopt.from_seed stream = 5 : tensor<3xi64>
  return %k : tensor<3xi64>
}

// -----

// State accesses are left for mlopt-externalize-state; constants become
// arith.constant.
// CHECK-LABEL: func.func @state
// CHECK: mlopt.state_read @w
// CHECK: arith.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK: mlopt.state_write
mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
func.func @state() {
  %w = mlopt.state_read @w : tensor<4xf32>
  %c = mlopt.constant dense<0.5> : tensor<4xf32>
  %n = mlopt.sub %w, %c : tensor<4xf32>
  mlopt.state_write %n, @w : tensor<4xf32>
  return
}
