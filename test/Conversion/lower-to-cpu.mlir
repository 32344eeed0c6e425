// RUN: mlopt-opt %s --mlopt-lower-to-cpu | FileCheck %s --check-prefix=LLVM
// RUN: mlopt-opt %s --mlopt-lower-to-cpu="matmul=loops" | FileCheck %s --check-prefix=LOOPS
// RUN: mlopt-opt %s --mlopt-lower-to-cpu | FileCheck %s --check-prefix=NOALLOC

// The step allocates nothing per call: its buffers are views of one byte
// arena, whose size the function records beside the buffers' sum.
// NOALLOC: llvm.mlir.global private @__mlopt_arena_train_step_0() {{.*}} : !llvm.array<6208 x i8>
// NOALLOC: mlopt.buffer_bytes = 6208 : i64, {{.*}}mlopt.temporary_bytes = 10308 : i64
// NOALLOC-NOT: llvm.call @malloc
// NOALLOC-NOT: llvm.call @free
// RUN: mlopt-opt %s --pass-pipeline="builtin.module(convert-mlopt-to-linalg,canonicalize,cse,mlopt-fuse-elementwise,canonicalize,cse,mlopt-externalize-state,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},canonicalize)" | FileCheck %s --check-prefix=BUF

// A linear regression trained with SGD, written as mlopt-optimizer would.

// The whole module reaches the LLVM dialect, with the C interface of every
// entry point and f32 matmuls as calls of the runtime's sgemm.
// LLVM-NOT: linalg.
// LLVM-NOT: tensor.
// LLVM-NOT: memref.
// LLVM-NOT: = mlopt.
// LLVM-NOT: mlopt.state
// LLVM-DAG: llvm.func @mlopt_sgemm(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// LLVM-DAG: llvm.func internal @train_step(
// LLVM-DAG: llvm.func @_mlir_ciface_train_step(%{{.*}}: !llvm.ptr {mlopt_abi.state = "fc.weight"}, %{{.*}}: !llvm.ptr {mlopt_abi.state = "fc.bias"}, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr {mlopt_abi.result = 0 : i64})
// LLVM-DAG: llvm.call @mlopt_sgemm(

// With matmul=loops no BLAS call remains.
// LOOPS-NOT: mlopt_sgemm
// LOOPS: llvm.func @_mlir_ciface_train_step
// LOOPS-NOT: mlopt_sgemm

// After bufferization the parameters are updated in place: the only
// parameter-sized buffer is the gradient, and nothing is copied into the
// state arguments.
// BUF-LABEL: func.func @train_step(
// BUF-SAME: %[[W:[^:]*]]: memref<16x32xf32> {mlopt_abi.state = "fc.weight"}
// BUF-SAME: %[[B:[^:]*]]: memref<16xf32> {mlopt_abi.state = "fc.bias"}
// BUF-COUNT-1: memref.alloc() {{.*}} : memref<16x32xf32>
// BUF-NOT: memref.alloc() {{.*}} : memref<16x32xf32>
// BUF-NOT: memref.copy {{.*}}, %[[W]]
// BUF-NOT: memref.copy {{.*}}, %[[B]]
// BUF: linalg.generic {{.*}} ins(%[[W]], %{{.*}} : memref<16x32xf32>, memref<16x32xf32>) outs(%[[W]] : memref<16x32xf32>)
// BUF-NOT: memref.copy {{.*}}, %[[W]]
// BUF-NOT: memref.copy {{.*}}, %[[B]]
// BUF: return

mlopt.state @fc.weight : tensor<16x32xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<16xf32> parameter trainable init #mlopt.zeros

func.func @train_step(%x: tensor<64x32xf32> {mlopt.input},
                      %y: tensor<64x16xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @fc.weight : tensor<16x32xf32>
  %b = mlopt.state_read @fc.bias : tensor<16xf32>
  %p = mlopt.linear %x, %w, %b : (tensor<64x32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<64x16xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<64x16xf32>, tensor<64x16xf32>) -> tensor<f32>
  // d loss / d p = 2 (p - y) / numel
  %d = mlopt.sub %p, %y : tensor<64x16xf32>
  %scale = mlopt.constant dense<0.001953125> : tensor<f32>
  %dp = mlopt.mul %d, %scale : (tensor<64x16xf32>, tensor<f32>) -> tensor<64x16xf32>
  %dpt = mlopt.transpose %dp, [1, 0] : tensor<64x16xf32> -> tensor<16x64xf32>
  %gw = mlopt.matmul %dpt, %x : (tensor<16x64xf32>, tensor<64x32xf32>) -> tensor<16x32xf32>
  %gb = mlopt.sum %dp dims = [0] : tensor<64x16xf32> -> tensor<16xf32>
  %lr = mlopt.constant dense<0.1> : tensor<f32>
  %uw = mlopt.mul %gw, %lr : (tensor<16x32xf32>, tensor<f32>) -> tensor<16x32xf32>
  %nw = mlopt.sub %w, %uw : tensor<16x32xf32>
  %ub = mlopt.mul %gb, %lr : (tensor<16xf32>, tensor<f32>) -> tensor<16xf32>
  %nb = mlopt.sub %b, %ub : tensor<16xf32>
  mlopt.state_write %nw, @fc.weight : tensor<16x32xf32>
  mlopt.state_write %nb, @fc.bias : tensor<16xf32>
  return %l : tensor<f32>
}
