// RUN: mlopt-opt %s --split-input-file --mlopt-approximate-math | FileCheck %s
// RUN: mlopt-opt %s --split-input-file --mlopt-approximate-math --convert-math-to-llvm --convert-math-to-libm | FileCheck %s --check-prefix=LIBM

// f32: the polynomial replaces the op; nothing is left for libm.
// CHECK-LABEL: func.func @f32_ops
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.log
// CHECK-NOT: math.expm1
// CHECK-NOT: math.rsqrt
// CHECK: math.fma
// CHECK: return
// LIBM-LABEL: func.func @f32_ops
// LIBM-NOT: call @
// LIBM: return
func.func @f32_ops(%x: f32) -> (f32, f32, f32, f32, f32, f32, f32) {
  %0 = math.erf %x : f32
  %1 = math.exp %x : f32
  %2 = math.tanh %x : f32
  %3 = math.log %x : f32
  %4 = math.log1p %x : f32
  %5 = math.expm1 %x : f32
  %6 = math.log2 %x : f32
  return %0, %1, %2, %3, %4, %5, %6 : f32, f32, f32, f32, f32, f32, f32
}

// -----

// rsqrt: a square root and a division, not a call.
// CHECK-LABEL: func.func @rsqrt
// CHECK: %[[S:.*]] = math.sqrt %{{.*}} : f32
// CHECK: arith.divf %{{.*}}, %[[S]] : f32
// CHECK-NOT: math.rsqrt
func.func @rsqrt(%x: f32) -> f32 {
  %0 = math.rsqrt %x : f32
  return %0 : f32
}

// -----

// Denormal inputs of log are scaled by 2^24 and 24 ln 2 taken back off.
// CHECK-LABEL: func.func @log_denormals
// CHECK: %[[D:.*]] = arith.cmpf olt, %[[X:.*]], %{{.*}} : f32
// CHECK: %[[M:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK: arith.select %[[D]], %[[M]], %[[X]] : f32
// CHECK: arith.subf %{{.*}}, %{{.*}} : f32
// CHECK: arith.select %[[D]]
func.func @log_denormals(%x: f32) -> f32 {
  %0 = math.log %x : f32
  return %0 : f32
}

// -----

// f16 and bf16 compute in f32: extend, the f32 polynomial, truncate.
// CHECK-LABEL: func.func @half
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: math.fma {{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.divf
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK-NOT: math.rsqrt
func.func @half(%h: f16, %b: bf16) -> (f16, bf16, f16) {
  %0 = math.erf %h : f16
  %1 = math.tanh %b : bf16
  %2 = math.rsqrt %h : f16
  return %0, %1, %2 : f16, bf16, f16
}

// -----

// f64 stays for libm.
// CHECK-LABEL: func.func @f64
// CHECK: math.erf %{{.*}} : f64
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.tanh %{{.*}} : f64
// CHECK: math.log %{{.*}} : f64
// LIBM-LABEL: func.func @f64
// LIBM: call @erf(
func.func @f64(%x: f64) -> (f64, f64, f64, f64) {
  %0 = math.erf %x : f64
  %1 = math.exp %x : f64
  %2 = math.tanh %x : f64
  %3 = math.log %x : f64
  return %0, %1, %2, %3 : f64, f64, f64, f64
}

// -----

// Vectors (upstream's patterns broadcast their constants).
// CHECK-LABEL: func.func @vector
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<8xf32>
func.func @vector(%v: vector<8xf32>) -> vector<8xf32> {
  %0 = math.exp %v : vector<8xf32>
  return %0 : vector<8xf32>
}

// -----

// sin and cos stay for libm: the polynomial's f32 range reduction loses
// accuracy in proportion to |x|.
// CHECK-LABEL: func.func @cos_stays
// CHECK: math.cos %{{.*}} : f32
// CHECK: math.sin %{{.*}} : f32
func.func @cos_stays(%x: f32) -> (f32, f32) {
  %0 = math.cos %x : f32
  %1 = math.sin %x : f32
  return %0, %1 : f32, f32
}
