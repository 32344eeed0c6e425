// The collective and point-to-point ops: all_reduce, all_gather,
// reduce_scatter, broadcast, reduce, send, recv, local_shard, with every
// reduction kind and the variadic buckets. Round trip in custom and generic
// form.
// RUN: mlopt-opt %s | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %s --mlir-print-op-generic | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %s --canonicalize | FileCheck %s --check-prefix=KEPT

// CHECK-LABEL: func.func @all_reduce
// CHECK-SAME:      (%[[X:.*]]: tensor<4x3xf32>, %[[Y:.*]]: tensor<f64>, %[[N:.*]]: tensor<5xi32>, %[[B:.*]]: tensor<2xi1>)
// CHECK: %{{.*}}:2 = mlopt.all_reduce mean %[[X]], %[[Y]] ranks = 2 : tensor<4x3xf32>, tensor<f64>
// CHECK: %{{.*}}:3 = mlopt.all_reduce sum %[[X]], %[[N]], %[[B]] ranks = 8 : tensor<4x3xf32>, tensor<5xi32>, tensor<2xi1>
// CHECK: mlopt.all_reduce max %[[N]] ranks = 1 : tensor<5xi32>
// CHECK: mlopt.all_reduce min %[[X]] ranks = 3 : tensor<4x3xf32>
func.func @all_reduce(%x: tensor<4x3xf32>, %y: tensor<f64>, %n: tensor<5xi32>,
                      %b: tensor<2xi1>) -> tensor<4x3xf32> {
  %a:2 = mlopt.all_reduce mean %x, %y ranks = 2 : tensor<4x3xf32>, tensor<f64>
  %s:3 = mlopt.all_reduce sum %x, %n, %b ranks = 8
      : tensor<4x3xf32>, tensor<5xi32>, tensor<2xi1>
  %m = mlopt.all_reduce max %n ranks = 1 : tensor<5xi32>
  %k = mlopt.all_reduce min %x ranks = 3 : tensor<4x3xf32>
  return %k : tensor<4x3xf32>
}

// CHECK-LABEL: func.func @all_gather
// CHECK: mlopt.all_gather %{{.*}} dim = 0 ranks = 2 : (tensor<3x4xf32>) -> tensor<6x4xf32>
// CHECK: mlopt.all_gather %{{.*}}, %{{.*}} dim = 1 ranks = 3 : (tensor<3x4xf32>, tensor<2x2xbf16>) -> (tensor<3x12xf32>, tensor<2x6xbf16>)
// CHECK: mlopt.all_gather %{{.*}} dim = 0 ranks = 1 : (tensor<7xi64>) -> tensor<7xi64>
func.func @all_gather(%x: tensor<3x4xf32>, %h: tensor<2x2xbf16>, %i: tensor<7xi64>)
    -> tensor<6x4xf32> {
  %g = mlopt.all_gather %x dim = 0 ranks = 2 : (tensor<3x4xf32>) -> tensor<6x4xf32>
  %b:2 = mlopt.all_gather %x, %h dim = 1 ranks = 3
      : (tensor<3x4xf32>, tensor<2x2xbf16>) -> (tensor<3x12xf32>, tensor<2x6xbf16>)
  %o = mlopt.all_gather %i dim = 0 ranks = 1 : (tensor<7xi64>) -> tensor<7xi64>
  return %g : tensor<6x4xf32>
}

// CHECK-LABEL: func.func @reduce_scatter
// CHECK: mlopt.reduce_scatter sum %{{.*}} dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
// CHECK: mlopt.reduce_scatter mean %{{.*}}, %{{.*}} dim = 1 ranks = 2 : (tensor<2x4xf32>, tensor<3x2xf16>) -> (tensor<2x2xf32>, tensor<3x1xf16>)
// CHECK: mlopt.reduce_scatter max %{{.*}} dim = 0 ranks = 3 : (tensor<6xi32>) -> tensor<2xi32>
// CHECK: mlopt.reduce_scatter min %{{.*}} dim = 0 ranks = 1 : (tensor<6xf32>) -> tensor<6xf32>
func.func @reduce_scatter(%x: tensor<6xf32>, %m: tensor<2x4xf32>, %h: tensor<3x2xf16>,
                          %i: tensor<6xi32>) -> tensor<3xf32> {
  %r = mlopt.reduce_scatter sum %x dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
  %b:2 = mlopt.reduce_scatter mean %m, %h dim = 1 ranks = 2
      : (tensor<2x4xf32>, tensor<3x2xf16>) -> (tensor<2x2xf32>, tensor<3x1xf16>)
  %n = mlopt.reduce_scatter max %i dim = 0 ranks = 3 : (tensor<6xi32>) -> tensor<2xi32>
  %o = mlopt.reduce_scatter min %x dim = 0 ranks = 1 : (tensor<6xf32>) -> tensor<6xf32>
  return %r : tensor<3xf32>
}

// CHECK-LABEL: func.func @rooted
// CHECK: mlopt.broadcast %{{.*}} root = 0 ranks = 2 : tensor<4xf32>
// CHECK: mlopt.broadcast %{{.*}} root = 3 ranks = 4 : tensor<2xi1>
// CHECK: mlopt.reduce sum %{{.*}} root = 0 ranks = 2 : tensor<4xf32>
// CHECK: mlopt.reduce mean %{{.*}} root = 1 ranks = 2 : tensor<4xf32>
// CHECK: mlopt.reduce max %{{.*}} root = 0 ranks = 1 : tensor<4xf32>
// CHECK: mlopt.reduce min %{{.*}} root = 2 ranks = 3 : tensor<3xi8>
func.func @rooted(%x: tensor<4xf32>, %b: tensor<2xi1>, %i: tensor<3xi8>) -> tensor<4xf32> {
  %w = mlopt.broadcast %x root = 0 ranks = 2 : tensor<4xf32>
  %c = mlopt.broadcast %b root = 3 ranks = 4 : tensor<2xi1>
  %s = mlopt.reduce sum %x root = 0 ranks = 2 : tensor<4xf32>
  %m = mlopt.reduce mean %x root = 1 ranks = 2 : tensor<4xf32>
  %n = mlopt.reduce max %x root = 0 ranks = 1 : tensor<4xf32>
  %k = mlopt.reduce min %i root = 2 ranks = 3 : tensor<3xi8>
  return %s : tensor<4xf32>
}

// CHECK-LABEL: func.func @point_to_point
// CHECK: mlopt.send %{{.*}} dest = 1 ranks = 2 : tensor<4xf32>
// CHECK: mlopt.send %{{.*}} dest = 0 ranks = 3 : tensor<i64>
// CHECK: mlopt.recv source = 0 ranks = 2 : tensor<4xf32>
// CHECK: mlopt.recv source = 2 ranks = 3 : tensor<2x2xbf16>
func.func @point_to_point(%x: tensor<4xf32>, %t: tensor<i64>) -> tensor<4xf32> {
  mlopt.send %x dest = 1 ranks = 2 : tensor<4xf32>
  mlopt.send %t dest = 0 ranks = 3 : tensor<i64>
  %y = mlopt.recv source = 0 ranks = 2 : tensor<4xf32>
  %h = mlopt.recv source = 2 ranks = 3 : tensor<2x2xbf16>
  return %y : tensor<4xf32>
}

// CHECK-LABEL: func.func @local_shard
// CHECK: mlopt.local_shard %{{.*}} dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
// CHECK: mlopt.local_shard %{{.*}} dim = 1 ranks = 4 : (tensor<2x8xi32>) -> tensor<2x2xi32>
// CHECK: mlopt.local_shard %{{.*}} dim = 0 ranks = 1 : (tensor<6xf32>) -> tensor<6xf32>
func.func @local_shard(%x: tensor<6xf32>, %i: tensor<2x8xi32>) -> tensor<3xf32> {
  %s = mlopt.local_shard %x dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
  %t = mlopt.local_shard %i dim = 1 ranks = 4 : (tensor<2x8xi32>) -> tensor<2x2xi32>
  %o = mlopt.local_shard %x dim = 0 ranks = 1 : (tensor<6xf32>) -> tensor<6xf32>
  return %s : tensor<3xf32>
}

// The collectives read and write the communicator: canonicalization keeps
// them, in order, even unused.
// CHECK-LABEL: func.func @unused
// KEPT-LABEL: func.func @unused
// KEPT-NEXT: mlopt.all_reduce sum
// KEPT-NEXT: mlopt.all_gather
// KEPT-NEXT: mlopt.recv
// KEPT-NEXT: return
func.func @unused(%x: tensor<4xf32>) {
  %a = mlopt.all_reduce sum %x ranks = 2 : tensor<4xf32>
  %g = mlopt.all_gather %x dim = 0 ranks = 2 : (tensor<4xf32>) -> tensor<8xf32>
  %r = mlopt.recv source = 1 ranks = 2 : tensor<4xf32>
  return
}
