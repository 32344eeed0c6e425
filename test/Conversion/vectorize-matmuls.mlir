// RUN: mlopt-opt %s --mlopt-vectorize-matmuls | FileCheck %s

// A matmul the tiles divide becomes cache-tile loops (the single-trip one
// over n folds away) around an 8x32 register tile accumulated with vector
// FMAs over k.
// CHECK-LABEL: func.func @tiled
// CHECK-NOT: linalg.matmul
// CHECK: scf.for {{.*}} to %c256 step %c128
// CHECK: scf.for {{.*}} to %c512 step %c256
// CHECK: scf.for {{.*}} step %c8
// CHECK: scf.for {{.*}} step %c32
// CHECK: vector.transfer_read %{{.*}} : memref<256x128xf32>, vector<8x32xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<8x32xf32>)
// CHECK-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<8x32xf32>, memref<256x128xf32>
// CHECK-NOT: mlopt_vectorize
func.func @tiled(%a: memref<256x512xf32>, %b: memref<512x128xf32>, %c: memref<256x128xf32>) {
  linalg.matmul ins(%a, %b : memref<256x512xf32>, memref<512x128xf32>) outs(%c : memref<256x128xf32>)
  return
}

// Sizes the tiles do not divide, other element types and batch matmuls
// are left for the loop lowering.
// CHECK-LABEL: func.func @untouched
// CHECK: linalg.matmul ins(%{{.*}} : memref<100x256xf32>
// CHECK: linalg.matmul ins(%{{.*}} : memref<128x256xf64>
// CHECK: linalg.batch_matmul
// CHECK-NOT: vector.
func.func @untouched(%a: memref<100x256xf32>, %b: memref<256x128xf32>, %c: memref<100x128xf32>,
                     %d: memref<128x256xf64>, %e: memref<256x128xf64>, %f: memref<128x128xf64>,
                     %g: memref<2x8x8xf32>, %h: memref<2x8x8xf32>, %i: memref<2x8x8xf32>) {
  linalg.matmul ins(%a, %b : memref<100x256xf32>, memref<256x128xf32>) outs(%c : memref<100x128xf32>)
  linalg.matmul ins(%d, %e : memref<128x256xf64>, memref<256x128xf64>) outs(%f : memref<128x128xf64>)
  linalg.batch_matmul ins(%g, %h : memref<2x8x8xf32>, memref<2x8x8xf32>) outs(%i : memref<2x8x8xf32>)
  return
}
