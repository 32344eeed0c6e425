// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-lower-to-cpu | FileCheck %s --check-prefix=CPU

// all_reduce: one bucket. Each operand is added with its read-only buffer,
// a new result buffer, [outer = 1, inner = numel] and its dtype code
// (f32 1, f64 0, bf16 3: kept in bf16, not widened), then one exchange
// with the reduction (mean 1) and the ranks.
// CHECK-LABEL: func.func private @mlopt_comm_bucket_add(i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @all_reduce
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>, %[[Y:.*]]: tensor<f64>, %[[Z:.*]]: tensor<2xbf16>)
// CHECK-DAG: %[[MEAN:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[RANKS:.*]] = arith.constant 2 : i64
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<4x3xf32> to memref<4x3xf32>
// CHECK: %[[XO:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x3xf32>
// CHECK: %[[XP:.*]] = memref.extract_aligned_pointer_as_index %[[XB]]
// CHECK: %[[XI:.*]] = arith.index_cast %[[XP]] : index to i64
// CHECK: %[[XOP:.*]] = memref.extract_aligned_pointer_as_index %[[XO]]
// CHECK: %[[XOI:.*]] = arith.index_cast %[[XOP]] : index to i64
// CHECK: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK: %[[N:.*]] = arith.constant 12 : i64
// CHECK: %[[F32:.*]] = arith.constant 1 : i64
// CHECK: call @mlopt_comm_bucket_add(%[[XI]], %[[XOI]], %[[ONE]], %[[N]], %[[F32]])
// CHECK: %[[YO:.*]] = memref.alloc() {alignment = 64 : i64} : memref<f64>
// CHECK: %[[F64:.*]] = arith.constant 0 : i64
// CHECK: call @mlopt_comm_bucket_add(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[F64]])
// CHECK-NOT: arith.extf
// CHECK: bufferization.to_buffer %[[Z]] read_only : tensor<2xbf16> to memref<2xbf16>
// CHECK: %[[ZO:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2xbf16>
// CHECK: %[[BF16:.*]] = arith.constant 3 : i64
// CHECK: call @mlopt_comm_bucket_add(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[BF16]])
// CHECK: call @mlopt_comm_all_reduce(%[[MEAN]], %[[RANKS]]) : (i64, i64) -> ()
// CHECK: %[[R0:.*]] = bufferization.to_tensor %[[XO]] restrict writable : memref<4x3xf32> to tensor<4x3xf32>
// CHECK: %[[R1:.*]] = bufferization.to_tensor %[[YO]] restrict writable : memref<f64> to tensor<f64>
// CHECK: %[[R2:.*]] = bufferization.to_tensor %[[ZO]] restrict writable : memref<2xbf16> to tensor<2xbf16>
// CHECK: return %[[R0]], %[[R1]], %[[R2]]
// CPU-LABEL: llvm.func internal @all_reduce
// CPU-COUNT-3: llvm.call @mlopt_comm_bucket_add
// CPU: llvm.call @mlopt_comm_all_reduce
func.func @all_reduce(%x: tensor<4x3xf32>, %y: tensor<f64>, %z: tensor<2xbf16>) -> (tensor<4x3xf32>, tensor<f64>, tensor<2xbf16>) {
  %a:3 = mlopt.all_reduce mean %x, %y, %z ranks = 2 : tensor<4x3xf32>, tensor<f64>, tensor<2xbf16>
  return %a#0, %a#1, %a#2 : tensor<4x3xf32>, tensor<f64>, tensor<2xbf16>
}

// -----

// all_gather: [outer, inner] of the operand split at `dim` (dim 0: [1, 12];
// dim 1 of 2x3: [2, 3]), the result buffer of the gathered shape.
// CHECK-LABEL: func.func @all_gather
// CHECK: %[[R4:.*]] = arith.constant 4 : i64
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<12x4xf32>
// CHECK: %[[O1:.*]] = arith.constant 1 : i64
// CHECK: %[[I1:.*]] = arith.constant 12 : i64
// CHECK: call @mlopt_comm_bucket_add(%{{.*}}, %{{.*}}, %[[O1]], %[[I1]], %{{.*}})
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x12xi64>
// CHECK: %[[O2:.*]] = arith.constant 2 : i64
// CHECK: %[[I2:.*]] = arith.constant 3 : i64
// CHECK: %[[I64:.*]] = arith.constant 4 : i64
// CHECK: call @mlopt_comm_bucket_add(%{{.*}}, %{{.*}}, %[[O2]], %[[I2]], %[[I64]])
// CHECK: call @mlopt_comm_all_gather(%[[R4]]) : (i64) -> ()
// CHECK-NOT: call @mlopt_comm_all_gather
// CHECK: return
// CPU-LABEL: llvm.func internal @all_gather
// CPU-COUNT-2: llvm.call @mlopt_comm_bucket_add
// CPU: llvm.call @mlopt_comm_all_gather
func.func @all_gather(%x: tensor<3x4xf32>) -> tensor<12x4xf32> {
  %g = mlopt.all_gather %x dim = 0 ranks = 4 : (tensor<3x4xf32>) -> tensor<12x4xf32>
  return %g : tensor<12x4xf32>
}
func.func @all_gather_dim1(%x: tensor<2x3xi64>) -> tensor<2x12xi64> {
  %g = mlopt.all_gather %x dim = 1 ranks = 4 : (tensor<2x3xi64>) -> tensor<2x12xi64>
  return %g : tensor<2x12xi64>
}

// -----

// reduce_scatter: [outer, inner] of the result (the operand's `dim` divided
// by the ranks); sum 0, mean 1.
// CHECK-LABEL: func.func @reduce_scatter
// CHECK-DAG: %[[SUM:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[RANKS:.*]] = arith.constant 2 : i64
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<3xf32>
// CHECK: %[[O:.*]] = arith.constant 1 : i64
// CHECK: %[[I:.*]] = arith.constant 3 : i64
// CHECK: call @mlopt_comm_bucket_add(%{{.*}}, %{{.*}}, %[[O]], %[[I]], %{{.*}})
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<5xf32>
// CHECK: call @mlopt_comm_bucket_add
// CHECK: call @mlopt_comm_reduce_scatter(%[[SUM]], %[[RANKS]]) : (i64, i64) -> ()
// CHECK-LABEL: func.func @reduce_scatter_dim1
// CHECK-DAG: %[[MEAN:.*]] = arith.constant 1 : i64
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<3x2xf64>
// CHECK: %[[O:.*]] = arith.constant 3 : i64
// CHECK: %[[I:.*]] = arith.constant 2 : i64
// CHECK: %[[F64:.*]] = arith.constant 0 : i64
// CHECK: call @mlopt_comm_bucket_add(%{{.*}}, %{{.*}}, %[[O]], %[[I]], %[[F64]])
// CHECK: call @mlopt_comm_reduce_scatter(%[[MEAN]], %{{.*}})
// CPU-LABEL: llvm.func internal @reduce_scatter
// CPU-COUNT-2: llvm.call @mlopt_comm_bucket_add
// CPU: llvm.call @mlopt_comm_reduce_scatter
func.func @reduce_scatter(%x: tensor<6xf32>, %y: tensor<10xf32>) -> (tensor<3xf32>, tensor<5xf32>) {
  %r:2 = mlopt.reduce_scatter sum %x, %y dim = 0 ranks = 2 : (tensor<6xf32>, tensor<10xf32>) -> (tensor<3xf32>, tensor<5xf32>)
  return %r#0, %r#1 : tensor<3xf32>, tensor<5xf32>
}
func.func @reduce_scatter_dim1(%x: tensor<3x4xf64>) -> tensor<3x2xf64> {
  %r = mlopt.reduce_scatter mean %x dim = 1 ranks = 2 : (tensor<3x4xf64>) -> tensor<3x2xf64>
  return %r : tensor<3x2xf64>
}

// -----

// broadcast: (input, output, count, dtype, root, ranks).
// CHECK-LABEL: func.func @broadcast
// CHECK: %[[IN:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<4xf32> to memref<4xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: %[[N:.*]] = arith.constant 4 : i64
// CHECK: %[[F32:.*]] = arith.constant 1 : i64
// CHECK: %[[ROOT:.*]] = arith.constant 1 : i64
// CHECK: %[[RANKS:.*]] = arith.constant 2 : i64
// CHECK: call @mlopt_comm_broadcast(%{{.*}}, %{{.*}}, %[[N]], %[[F32]], %[[ROOT]], %[[RANKS]]) : (i64, i64, i64, i64, i64, i64) -> ()
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CPU-LABEL: llvm.func internal @broadcast
// CPU: llvm.call @mlopt_comm_broadcast
func.func @broadcast(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = mlopt.broadcast %x root = 1 ranks = 2 : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// reduce: (input, output, count, dtype, reduction, root, ranks); max 2.
// CHECK-LABEL: func.func @reduce
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x2xi32>
// CHECK: %[[N:.*]] = arith.constant 4 : i64
// CHECK: %[[I32:.*]] = arith.constant 5 : i64
// CHECK: %[[MAX:.*]] = arith.constant 2 : i64
// CHECK: %[[ROOT:.*]] = arith.constant 0 : i64
// CHECK: %[[RANKS:.*]] = arith.constant 2 : i64
// CHECK: call @mlopt_comm_reduce(%{{.*}}, %{{.*}}, %[[N]], %[[I32]], %[[MAX]], %[[ROOT]], %[[RANKS]])
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CPU-LABEL: llvm.func internal @reduce
// CPU: llvm.call @mlopt_comm_reduce
func.func @reduce(%x: tensor<2x2xi32>) -> tensor<2x2xi32> {
  %s = mlopt.reduce max %x root = 0 ranks = 2 : tensor<2x2xi32>
  return %s : tensor<2x2xi32>
}

// -----

// send: (input, count, dtype, dest, ranks), no result; recv: (output,
// count, dtype, source, ranks); i1 is dtype 9 (one byte per element).
// CHECK-LABEL: func.func @send_recv
// CHECK: %[[IN:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<4xi1> to memref<4xi1>
// CHECK: %[[N:.*]] = arith.constant 4 : i64
// CHECK: %[[BOOL:.*]] = arith.constant 9 : i64
// CHECK: %[[DEST:.*]] = arith.constant 1 : i64
// CHECK: %[[RANKS:.*]] = arith.constant 2 : i64
// CHECK: call @mlopt_comm_send(%{{.*}}, %[[N]], %[[BOOL]], %[[DEST]], %[[RANKS]]) : (i64, i64, i64, i64, i64) -> ()
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<3xf16>
// CHECK: %[[M:.*]] = arith.constant 3 : i64
// CHECK: %[[F16:.*]] = arith.constant 2 : i64
// CHECK: %[[SOURCE:.*]] = arith.constant 1 : i64
// CHECK: call @mlopt_comm_recv(%{{.*}}, %[[M]], %[[F16]], %[[SOURCE]], %{{.*}}) : (i64, i64, i64, i64, i64) -> ()
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<3xf16> to tensor<3xf16>
// CHECK: return %[[R]]
// CPU-LABEL: llvm.func internal @send_recv
// CPU: llvm.call @mlopt_comm_send
// CPU: llvm.call @mlopt_comm_recv
func.func @send_recv(%b: tensor<4xi1>) -> tensor<3xf16> {
  mlopt.send %b dest = 1 ranks = 2 : tensor<4xi1>
  %r = mlopt.recv source = 1 ranks = 2 : tensor<3xf16>
  return %r : tensor<3xf16>
}

// -----

// local_shard: the rank from mlopt_comm_rank(ranks), chunk `rank` of `dim`
// as a slice; nothing is exchanged.
// CHECK-LABEL: func.func private @mlopt_comm_rank(i64) -> i64
// CHECK-LABEL: func.func @local_shard
// CHECK-SAME: (%[[X:.*]]: tensor<3x8xf32>)
// CHECK: %[[RANKS:.*]] = arith.constant 4 : i64
// CHECK: %[[RANK:.*]] = call @mlopt_comm_rank(%[[RANKS]]) : (i64) -> i64
// CHECK: %[[CHUNK:.*]] = arith.constant 2 : i64
// CHECK: %[[OFF:.*]] = arith.muli %[[RANK]], %[[CHUNK]] : i64
// CHECK: %[[IDX:.*]] = arith.index_cast %[[OFF]] : i64 to index
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][0, %[[IDX]]] [3, 2] [1, 1] : tensor<3x8xf32> to tensor<3x2xf32>
// CHECK: return %[[S]]
// CPU-LABEL: llvm.func internal @local_shard
// CPU: llvm.call @mlopt_comm_rank
func.func @local_shard(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %c = mlopt.local_shard %x dim = 1 ranks = 4 : (tensor<3x8xf32>) -> tensor<3x2xf32>
  return %c : tensor<3x2xf32>
}
