// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-lower-to-cpu | FileCheck %s --check-prefix=CPU

// fake_quant: one generic, the per-channel parameters read along `axis`, the
// f32 operations of QuantMath.h in their order (bf16 widened first and the
// f32 result rounded once).
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @fake_quant_per_channel
// CHECK: %[[X:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4x3xbf16>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$COL]], #[[$COL]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<3xf32>, tensor<3xi32>)
// CHECK: ^bb0(%[[V:.*]]: f32, %[[S:.*]]: f32, %[[Z:.*]]: i32, %{{.*}}: f32):
// CHECK:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:   %[[INV:.*]] = arith.divf %[[ONE]], %[[S]] : f32
// CHECK:   %[[XS:.*]] = arith.mulf %[[V]], %[[INV]] : f32
// CHECK:   %[[R:.*]] = math.roundeven %[[XS]] : f32
// CHECK:   %[[ZF:.*]] = arith.sitofp %[[Z]] : i32 to f32
// CHECK:   %[[L:.*]] = arith.addf %[[R]], %[[ZF]] : f32
// CHECK:   %[[LO:.*]] = arith.constant -1.280000e+02 : f32
// CHECK:   %[[C1:.*]] = arith.maxnumf %[[L]], %[[LO]] : f32
// CHECK:   %[[HI:.*]] = arith.constant 1.270000e+02 : f32
// CHECK:   %[[C2:.*]] = arith.minnumf %[[C1]], %[[HI]] : f32
// CHECK:   %[[ZF2:.*]] = arith.sitofp %[[Z]] : i32 to f32
// CHECK:   %[[D:.*]] = arith.subf %[[C2]], %[[ZF2]] : f32
// CHECK:   %[[Y:.*]] = arith.mulf %[[D]], %[[S]] : f32
// CHECK:   linalg.yield %[[Y]] : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CPU-LABEL: llvm.func internal @fake_quant_per_channel
// CPU: llvm.intr.roundeven
// CPU: llvm.intr.maxnum
// CPU: llvm.intr.minnum
func.func @fake_quant_per_channel(%x: tensor<4x3xbf16>, %s: tensor<3xf32>, %z: tensor<3xi32>) -> tensor<4x3xbf16> {
  %y = mlopt.fake_quant %x, %s, %z {axis = 1 : i64, quant_min = -128 : i64, quant_max = 127 : i64} : tensor<4x3xbf16>, tensor<3xf32>
  return %y : tensor<4x3xbf16>
}

// -----

// fake_quant_grad: the cotangent where the unclamped level lies in
// [quant_min, quant_max] (ordered comparisons: NaN passes nothing); per
// tensor, the parameters are read through a map to no dimension.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[$NONE:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @fake_quant_grad
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]], #[[$NONE]], #[[$NONE]], #[[$ID]]], iterator_types = ["parallel"]}
// CHECK: ^bb0(%[[G:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: i32, %{{.*}}: f32):
// CHECK:   %[[L:.*]] = arith.addf
// CHECK:   %[[GE:.*]] = arith.cmpf oge, %[[L]], %{{.*}} : f32
// CHECK:   %[[LE:.*]] = arith.cmpf ole, %[[L]], %{{.*}} : f32
// CHECK:   %[[IN:.*]] = arith.andi %[[GE]], %[[LE]] : i1
// CHECK:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:   %[[R:.*]] = arith.select %[[IN]], %[[G]], %[[ZERO]] : f32
// CHECK:   linalg.yield %[[R]] : f32
func.func @fake_quant_grad(%dy: tensor<7xf32>, %x: tensor<7xf32>, %s: tensor<f32>, %z: tensor<i32>) -> tensor<7xf32> {
  %dx = mlopt.fake_quant_grad %dy, %x, %s, %z {quant_min = -8 : i64, quant_max = 7 : i64} : tensor<7xf32>, tensor<f32>
  return %dx : tensor<7xf32>
}

// -----

// quantize: the clamped level converted to i8; dequantize: (q - zp) in i32,
// then sitofp and the multiply by the scale.
// CHECK-LABEL: func.func @quantize_dequantize
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<5x2xf64>, tensor<5xf32>, tensor<5xi32>) outs(%{{.*}} : tensor<5x2xi8>)
// CHECK:   %[[V:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK:   arith.mulf %[[V]]
// CHECK:   %[[C:.*]] = arith.minnumf
// CHECK:   %[[Q:.*]] = arith.fptosi %[[C]] : f32 to i8
// CHECK:   linalg.yield %[[Q]] : i8
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<5x2xi8>, tensor<5xf32>, tensor<5xi32>) outs(%{{.*}} : tensor<5x2xf32>)
// CHECK: ^bb0(%[[QI:.*]]: i8, %[[S:.*]]: f32, %[[Z:.*]]: i32, %{{.*}}: f32):
// CHECK:   %[[W:.*]] = arith.extsi %[[QI]] : i8 to i32
// CHECK:   %[[D:.*]] = arith.subi %[[W]], %[[Z]] : i32
// CHECK:   %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK:   %[[Y:.*]] = arith.mulf %[[F]], %[[S]] : f32
// CHECK:   linalg.yield %[[Y]] : f32
func.func @quantize_dequantize(%x: tensor<5x2xf64>, %s: tensor<5xf32>, %z: tensor<5xi32>) -> tensor<5x2xf32> {
  %q = mlopt.quantize %x, %s, %z {axis = 0 : i64, quant_min = -128 : i64, quant_max = 127 : i64} : tensor<5x2xf64>, tensor<5xf32> -> tensor<5x2xi8>
  %y = mlopt.dequantize %q, %s, %z {axis = 0 : i64} : tensor<5x2xi8>, tensor<5xf32> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// observe per channel: a min/max reduction over the other dimensions from
// +inf / -inf (compare and select: NaN never replaces the extreme), then per bound the moving
// average, the first observation taking the batch's range, and the select
// on `update`.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @observe_moving_average
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[MIN:.*]]: tensor<3xf32>, %[[MAX:.*]]: tensor<3xf32>, %[[U:.*]]: tensor<i1>)
// CHECK-DAG: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[B:.*]]:2 = linalg.generic {indexing_maps = [#[[$ID]], #[[$COL]], #[[$COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[X]] : tensor<4x3xf32>)
// CHECK: ^bb0(%[[V:.*]]: f32, %[[LO:.*]]: f32, %[[HI:.*]]: f32):
// CHECK:   %[[BELOW:.*]] = arith.cmpf olt, %[[V]], %[[LO]] : f32
// CHECK:   %[[ABOVE:.*]] = arith.cmpf ogt, %[[V]], %[[HI]] : f32
// CHECK:   %[[NLO:.*]] = arith.select %[[BELOW]], %[[V]], %[[LO]] : f32
// CHECK:   %[[NHI:.*]] = arith.select %[[ABOVE]], %[[V]], %[[HI]] : f32
// CHECK:   linalg.yield %[[NLO]], %[[NHI]] : f32, f32
// CHECK: %[[NEWMIN:.*]] = linalg.generic {{.*}} ins(%[[B]]#0, %[[B]]#1, %[[MIN]], %[[MAX]], %[[U]] : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<i1>)
// CHECK: ^bb0(%[[BMIN:.*]]: f32, %{{.*}}: f32, %[[PMIN:.*]]: f32, %[[PMAX:.*]]: f32, %[[UPD:.*]]: i1, %{{.*}}: f32):
// CHECK:   %[[C:.*]] = arith.constant 0.00999999977 : f32
// CHECK:   %[[DIFF:.*]] = arith.subf %[[BMIN]], %[[PMIN]] : f32
// CHECK:   %[[STEP:.*]] = arith.mulf %[[C]], %[[DIFF]] : f32
// CHECK:   %[[AVG:.*]] = arith.addf %[[PMIN]], %[[STEP]] : f32
// CHECK:   %[[FIRST:.*]] = arith.andi
// CHECK:   %[[M:.*]] = arith.select %[[FIRST]], %[[BMIN]], %[[AVG]] : f32
// CHECK:   %[[R:.*]] = arith.select %[[UPD]], %[[M]], %[[PMIN]] : f32
// CHECK:   linalg.yield %[[R]] : f32
// CHECK: %[[NEWMAX:.*]] = linalg.generic
// CHECK: return %[[NEWMIN]], %[[NEWMAX]]
func.func @observe_moving_average(%x: tensor<4x3xf32>, %min: tensor<3xf32>, %max: tensor<3xf32>, %u: tensor<i1>) -> (tensor<3xf32>, tensor<3xf32>) {
  %a, %b = mlopt.observe %x, %min, %max, %u {axis = 1 : i64, averaging_constant = 0.01 : f64} : tensor<4x3xf32>, tensor<3xf32>
  return %a, %b : tensor<3xf32>, tensor<3xf32>
}

// -----

// observe per tensor with averaging_constant = 0: the running min / max
// (of the bf16 input widened to f32, exact, by the low-precision patterns).
// CHECK-LABEL: func.func @observe_min_max
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction", "reduction"]} ins(%{{.*}} : tensor<2x3x5xf32>) outs(%{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>)
// CHECK: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:   arith.cmpf olt, %[[V]]
// CHECK:   arith.cmpf ogt, %[[V]]
// CHECK: linalg.generic
// CHECK: ^bb0(%[[BMIN:.*]]: f32, %{{.*}}: f32, %[[PMIN:.*]]: f32, %{{.*}}: f32, %[[UPD:.*]]: i1, %{{.*}}: f32):
// CHECK:   %[[M:.*]] = arith.minnumf %[[PMIN]], %[[BMIN]] : f32
// CHECK:   arith.select %[[UPD]], %[[M]], %[[PMIN]] : f32
// CHECK: linalg.generic
// CHECK:   arith.maxnumf
func.func @observe_min_max(%x: tensor<2x3x5xbf16>, %min: tensor<f32>, %max: tensor<f32>, %u: tensor<i1>) -> (tensor<f32>, tensor<f32>) {
  %a, %b = mlopt.observe %x, %min, %max, %u : tensor<2x3x5xbf16>, tensor<f32>
  return %a, %b : tensor<f32>, tensor<f32>
}

// -----

// quant_params, affine: scale = (max' - min') / 255 at least 2^-23, zero
// point quant_min - roundeven(min' / scale) clamped; an unobserved range
// gives 1 and 0.
// CHECK-LABEL: func.func @quant_params_affine
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<f32>)
// CHECK:   %[[RANGE:.*]] = arith.subf
// CHECK:   %[[S0:.*]] = arith.divf %[[RANGE]], %{{.*}} : f32
// CHECK:   %[[EPS:.*]] = arith.constant 1.1920929E-7 : f32
// CHECK:   %[[SMALL:.*]] = arith.cmpf olt, %[[S0]], %[[EPS]] : f32
// CHECK:   %[[S:.*]] = arith.select %[[SMALL]], %[[EPS]], %[[S0]] : f32
// CHECK:   %[[R:.*]] = arith.select %{{.*}}, %{{.*}}, %[[S]] : f32
// CHECK:   linalg.yield %[[R]] : f32
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<i32>)
// CHECK:   math.roundeven
// CHECK:   arith.fptosi %{{.*}} : f32 to i64
// CHECK:   arith.maxsi
// CHECK:   arith.minsi
// CHECK:   %[[ZP:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK:   %[[R:.*]] = arith.select %{{.*}}, %{{.*}}, %[[ZP]] : i32
// CHECK:   linalg.yield %[[R]] : i32
func.func @quant_params_affine(%min: tensor<f32>, %max: tensor<f32>) -> (tensor<f32>, tensor<i32>) {
  %s, %z = mlopt.quant_params %min, %max {quant_min = -128 : i64, quant_max = 127 : i64} : tensor<f32>
  return %s, %z : tensor<f32>, tensor<i32>
}

// -----

// quant_params, symmetric: scale = max(-min', max') / 127.5 and a constant
// zero point.
// CHECK-LABEL: func.func @quant_params_symmetric
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4xf32>)
// CHECK:   arith.negf
// CHECK:   arith.constant 1.275000e+02 : f32
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4xi32>)
// CHECK:   %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK:   arith.select %{{.*}}, %{{.*}}, %[[ZERO]] : i32
func.func @quant_params_symmetric(%min: tensor<4xf32>, %max: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %s, %z = mlopt.quant_params %min, %max {quant_min = -128 : i64, quant_max = 127 : i64, symmetric} : tensor<4xf32>
  return %s, %z : tensor<4xf32>, tensor<4xi32>
}

// -----

// quantized_linear calls the int8 kernel: M, N, K, the input's buffer, its
// leading dimension and zero point, the weight's buffer and leading
// dimension, weight zero point 0, transB = 1, and a new i32 buffer.
// CHECK-LABEL: func.func private @mlopt_qgemm_s8(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @quantized_linear
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xi8>, %[[ZP:.*]]: tensor<i32>, %[[W:.*]]: tensor<5x8xi8>)
// CHECK-DAG: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<4x8xi8> to memref<4x8xi8>
// CHECK-DAG: %[[WB:.*]] = bufferization.to_buffer %[[W]] read_only : tensor<5x8xi8> to memref<5x8xi8>
// CHECK-DAG: %[[CB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x5xi32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[XI:.*]] = memref.extract_aligned_pointer_as_index %[[XB]]
// CHECK-DAG: %[[XP:.*]] = arith.index_cast %[[XI]] : index to i64
// CHECK-DAG: %[[Z:.*]] = tensor.extract %[[ZP]][] : tensor<i32>
// CHECK-DAG: %[[Z64:.*]] = arith.extsi %[[Z]] : i32 to i64
// CHECK-DAG: %[[WI:.*]] = memref.extract_aligned_pointer_as_index %[[WB]]
// CHECK-DAG: %[[WP:.*]] = arith.index_cast %[[WI]] : index to i64
// CHECK-DAG: %[[CI:.*]] = memref.extract_aligned_pointer_as_index %[[CB]]
// CHECK-DAG: %[[CP:.*]] = arith.index_cast %[[CI]] : index to i64
// CHECK: call @mlopt_qgemm_s8(%[[C4]], %[[C5]], %[[C8]], %[[XP]], %[[C8]], %[[Z64]], %[[WP]], %[[C8]], %[[C0]], %[[C1]], %[[CP]], %[[C5]])
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[CB]] restrict writable : memref<4x5xi32> to tensor<4x5xi32>
// CHECK: return %[[R]]
// CPU-LABEL: llvm.func @mlopt_qgemm_s8
// CPU-LABEL: llvm.func internal @quantized_linear
// CPU: llvm.call @mlopt_qgemm_s8
func.func @quantized_linear(%x: tensor<4x8xi8>, %zp: tensor<i32>, %w: tensor<5x8xi8>) -> tensor<4x5xi32> {
  %y = mlopt.quantized_linear %x, %zp, %w : (tensor<4x8xi8>, tensor<i32>, tensor<5x8xi8>) -> tensor<4x5xi32>
  return %y : tensor<4x5xi32>
}

// -----

// quantized_matmul: both zero points, B as K x N (transB = 0, ldb = N).
// CHECK-LABEL: func.func @quantized_matmul
// CHECK-SAME: (%[[A:.*]]: tensor<3x7xi8>, %[[AZ:.*]]: tensor<i32>, %[[B:.*]]: tensor<7x2xi8>, %[[BZ:.*]]: tensor<i32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[C7:.*]] = arith.constant 7 : i64
// CHECK-DAG: %[[A64:.*]] = arith.extsi %{{.*}} : i32 to i64
// CHECK-DAG: %[[B64:.*]] = arith.extsi %{{.*}} : i32 to i64
// CHECK: call @mlopt_qgemm_s8(%[[C3]], %[[C2]], %[[C7]], %{{.*}}, %[[C7]], %[[A64]], %{{.*}}, %[[C2]], %[[B64]], %[[C0]], %{{.*}}, %[[C2]])
func.func @quantized_matmul(%a: tensor<3x7xi8>, %az: tensor<i32>, %b: tensor<7x2xi8>, %bz: tensor<i32>) -> tensor<3x2xi32> {
  %y = mlopt.quantized_matmul %a, %az, %b, %bz : (tensor<3x7xi8>, tensor<i32>, tensor<7x2xi8>, tensor<i32>) -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}
