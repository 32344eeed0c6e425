// RUN: mlopt-opt %s --mlopt-lower-to-cpu | FileCheck %s
// RUN: mlopt-opt %s --mlopt-lower-to-cpu | FileCheck %s --check-prefix=NOCAST
// RUN: mlopt-opt %s --mlopt-lower-to-cpu="parallel-loops=false" | FileCheck %s --check-prefix=SERIAL

// Through the whole CPU pipeline: the bias add + relu and the softmax's
// row loops (512 rows) run on the thread pool; the column sum (the batch
// reduction is the outer loop) and the 512-element fills stay serial. With
// parallel-loops=false nothing is dispatched.
// CHECK: llvm.func @mlopt_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64, i64)
// CHECK-LABEL: llvm.func internal @big(
// CHECK-COUNT-4: llvm.call @mlopt_parallel_for(
// CHECK-NOT: llvm.call @mlopt_parallel_for(
// CHECK: llvm.return
// CHECK: llvm.func @big_parallel0(%{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// CHECK: llvm.func @big_parallel3(
// CHECK-NOT: @big_parallel4

// NOCAST-NOT: unrealized_conversion_cast

// SERIAL-NOT: mlopt_parallel_for
// SERIAL-NOT: _parallel
// SERIAL: llvm.func @_mlir_ciface_big
func.func @big(%x: tensor<512x512xf32>, %b: tensor<512xf32>) -> (tensor<512x512xf32>, tensor<512xf32>, tensor<512x512xf32>) {
  %y = mlopt.add %x, %b : (tensor<512x512xf32>, tensor<512xf32>) -> tensor<512x512xf32>
  %r = mlopt.relu %y : tensor<512x512xf32>
  %s = mlopt.sum %r dims = [0] : tensor<512x512xf32> -> tensor<512xf32>
  %m = mlopt.softmax %x dim = -1 : tensor<512x512xf32>
  return %r, %s, %m : tensor<512x512xf32>, tensor<512xf32>, tensor<512x512xf32>
}
