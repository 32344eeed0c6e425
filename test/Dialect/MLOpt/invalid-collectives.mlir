// Diagnostics of the collective and point-to-point ops: the shape rules
// (non-divisible or out-of-range dims, results that do not match), the
// group size, the roots, destinations and sources, `mean` on integers, and
// the buckets without operands.
// RUN: mlopt-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// all_reduce
//===----------------------------------------------------------------------===//

func.func @all_reduce_no_operand() {
  // expected-error @+1 {{'mlopt.all_reduce' op needs at least one operand}}
  "mlopt.all_reduce"() <{ranks = 2 : i64, reduction = 0 : i32}> : () -> ()
  return
}

// -----

func.func @all_reduce_zero_ranks(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.all_reduce' op needs ranks >= 1, got 0}}
  %a = mlopt.all_reduce sum %x ranks = 0 : tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

func.func @all_reduce_negative_ranks(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'mlopt.all_reduce' op needs ranks >= 1, got -3}}
  %a = mlopt.all_reduce max %x ranks = -3 : tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

func.func @all_reduce_mean_of_integers(%x: tensor<4xf32>, %n: tensor<3xi32>) {
  // expected-error @+1 {{'mlopt.all_reduce' op reduction 'mean' needs float tensors; operand #1 is 'tensor<3xi32>'}}
  %a:2 = mlopt.all_reduce mean %x, %n ranks = 2 : tensor<4xf32>, tensor<3xi32>
  return
}

// -----

func.func @all_reduce_mean_of_bools(%b: tensor<2xi1>) {
  // expected-error @+1 {{'mlopt.all_reduce' op reduction 'mean' needs float tensors; operand #0 is 'tensor<2xi1>'}}
  %a = mlopt.all_reduce mean %b ranks = 2 : tensor<2xi1>
  return
}

// -----

func.func @all_reduce_result_type(%x: tensor<4xf32>) {
  // expected-error @+2 {{'mlopt.all_reduce' op inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<4xf16>'}}
  // expected-error @+1 {{'mlopt.all_reduce' op failed to infer returned types}}
  %a = "mlopt.all_reduce"(%x) <{ranks = 2 : i64, reduction = 0 : i32}> : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// all_gather
//===----------------------------------------------------------------------===//

func.func @all_gather_no_operand() {
  // expected-error @+1 {{'mlopt.all_gather' op needs at least one operand}}
  "mlopt.all_gather"() <{dim = 0 : i64, ranks = 2 : i64}> : () -> ()
  return
}

// -----

func.func @all_gather_dim_too_large(%x: tensor<4xf32>) {
  // expected-error @+2 {{'mlopt.all_gather' op dim 1 is out of range for operand #0 of type 'tensor<4xf32>'}}
  // expected-error @+1 {{'mlopt.all_gather' op failed to infer returned types}}
  %g = mlopt.all_gather %x dim = 1 ranks = 2 : (tensor<4xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @all_gather_negative_dim(%x: tensor<4x2xf32>) {
  // expected-error @+2 {{'mlopt.all_gather' op dim -1 is out of range for operand #0 of type 'tensor<4x2xf32>'}}
  // expected-error @+1 {{'mlopt.all_gather' op failed to infer returned types}}
  %g = mlopt.all_gather %x dim = -1 ranks = 2 : (tensor<4x2xf32>) -> tensor<4x4xf32>
  return
}

// -----

// The dim is checked for every operand of the bucket.
func.func @all_gather_dim_out_of_range_for_second(%x: tensor<4x2xf32>, %b: tensor<2xf32>) {
  // expected-error @+2 {{'mlopt.all_gather' op dim 1 is out of range for operand #1 of type 'tensor<2xf32>'}}
  // expected-error @+1 {{'mlopt.all_gather' op failed to infer returned types}}
  %g:2 = mlopt.all_gather %x, %b dim = 1 ranks = 2 : (tensor<4x2xf32>, tensor<2xf32>) -> (tensor<4x4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @all_gather_zero_ranks(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.all_gather' op needs ranks >= 1, got 0}}
  %g = mlopt.all_gather %x dim = 0 ranks = 0 : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @all_gather_wrong_result(%x: tensor<4xf32>) {
  // expected-error @+2 {{'mlopt.all_gather' op inferred type(s) 'tensor<8xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'mlopt.all_gather' op failed to infer returned types}}
  %g = mlopt.all_gather %x dim = 0 ranks = 2 : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

// The gathered dimension would not fit in 64 bits.
func.func @all_gather_overflow(%x: tensor<4611686018427387904xi1>) {
  // expected-error @+2 {{'mlopt.all_gather' op dimension 0 (4611686018427387904) of operand #0 times ranks = 4 overflows}}
  // expected-error @+1 {{'mlopt.all_gather' op failed to infer returned types}}
  %g = mlopt.all_gather %x dim = 0 ranks = 4 : (tensor<4611686018427387904xi1>) -> tensor<4xi1>
  return
}

// -----

//===----------------------------------------------------------------------===//
// reduce_scatter
//===----------------------------------------------------------------------===//

func.func @reduce_scatter_no_operand() {
  // expected-error @+1 {{'mlopt.reduce_scatter' op needs at least one operand}}
  "mlopt.reduce_scatter"() <{dim = 0 : i64, ranks = 2 : i64, reduction = 0 : i32}> : () -> ()
  return
}

// -----

func.func @reduce_scatter_not_divisible(%x: tensor<5xf32>) {
  // expected-error @+2 {{'mlopt.reduce_scatter' op dimension 0 (5) of operand #0 does not divide by ranks = 2}}
  // expected-error @+1 {{'mlopt.reduce_scatter' op failed to infer returned types}}
  %r = mlopt.reduce_scatter sum %x dim = 0 ranks = 2 : (tensor<5xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @reduce_scatter_second_not_divisible(%x: tensor<4xf32>, %y: tensor<2x3xf32>) {
  // expected-error @+2 {{'mlopt.reduce_scatter' op dimension 0 (2) of operand #1 does not divide by ranks = 4}}
  // expected-error @+1 {{'mlopt.reduce_scatter' op failed to infer returned types}}
  %r:2 = mlopt.reduce_scatter sum %x, %y dim = 0 ranks = 4 : (tensor<4xf32>, tensor<2x3xf32>) -> (tensor<1xf32>, tensor<1x3xf32>)
  return
}

// -----

func.func @reduce_scatter_dim_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+2 {{'mlopt.reduce_scatter' op dim 2 is out of range for operand #0 of type 'tensor<4xf32>'}}
  // expected-error @+1 {{'mlopt.reduce_scatter' op failed to infer returned types}}
  %r = mlopt.reduce_scatter sum %x dim = 2 ranks = 2 : (tensor<4xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @reduce_scatter_zero_ranks(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.reduce_scatter' op needs ranks >= 1, got 0}}
  %r = mlopt.reduce_scatter sum %x dim = 0 ranks = 0 : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @reduce_scatter_mean_of_integers(%x: tensor<4xi32>) {
  // expected-error @+1 {{'mlopt.reduce_scatter' op reduction 'mean' needs float tensors; operand #0 is 'tensor<4xi32>'}}
  %r = mlopt.reduce_scatter mean %x dim = 0 ranks = 2 : (tensor<4xi32>) -> tensor<2xi32>
  return
}

// -----

func.func @reduce_scatter_wrong_result(%x: tensor<4xf32>) {
  // expected-error @+2 {{'mlopt.reduce_scatter' op inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<4xf32>'}}
  // expected-error @+1 {{'mlopt.reduce_scatter' op failed to infer returned types}}
  %r = mlopt.reduce_scatter sum %x dim = 0 ranks = 2 : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// local_shard
//===----------------------------------------------------------------------===//

func.func @local_shard_not_divisible(%x: tensor<2x5xf32>) {
  // expected-error @+2 {{'mlopt.local_shard' op dimension 1 (5) of operand #0 does not divide by ranks = 3}}
  // expected-error @+1 {{'mlopt.local_shard' op failed to infer returned types}}
  %s = mlopt.local_shard %x dim = 1 ranks = 3 : (tensor<2x5xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @local_shard_dim_out_of_range(%x: tensor<f32>) {
  // expected-error @+2 {{'mlopt.local_shard' op dim 0 is out of range for operand #0 of type 'tensor<f32>'}}
  // expected-error @+1 {{'mlopt.local_shard' op failed to infer returned types}}
  %s = mlopt.local_shard %x dim = 0 ranks = 1 : (tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @local_shard_zero_ranks(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.local_shard' op needs ranks >= 1, got 0}}
  %s = mlopt.local_shard %x dim = 0 ranks = 0 : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @local_shard_wrong_result(%x: tensor<4xf32>) {
  // expected-error @+2 {{'mlopt.local_shard' op inferred type(s) 'tensor<1xf32>' are incompatible with return type(s) of operation 'tensor<2xf32>'}}
  // expected-error @+1 {{'mlopt.local_shard' op failed to infer returned types}}
  %s = mlopt.local_shard %x dim = 0 ranks = 4 : (tensor<4xf32>) -> tensor<2xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// broadcast
//===----------------------------------------------------------------------===//

func.func @broadcast_root_too_large(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.broadcast' op has root = 2, outside the 2 ranks [0, 2)}}
  %b = mlopt.broadcast %x root = 2 ranks = 2 : tensor<4xf32>
  return
}

// -----

func.func @broadcast_negative_root(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.broadcast' op has root = -1, outside the 4 ranks [0, 4)}}
  %b = mlopt.broadcast %x root = -1 ranks = 4 : tensor<4xf32>
  return
}

// -----

func.func @broadcast_zero_ranks(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.broadcast' op needs ranks >= 1, got 0}}
  %b = mlopt.broadcast %x root = 0 ranks = 0 : tensor<4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// reduce
//===----------------------------------------------------------------------===//

func.func @reduce_root_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.reduce' op has root = 3, outside the 3 ranks [0, 3)}}
  %s = mlopt.reduce sum %x root = 3 ranks = 3 : tensor<4xf32>
  return
}

// -----

func.func @reduce_zero_ranks(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.reduce' op needs ranks >= 1, got 0}}
  %s = mlopt.reduce max %x root = 0 ranks = 0 : tensor<4xf32>
  return
}

// -----

func.func @reduce_mean_of_integers(%x: tensor<4xi64>) {
  // expected-error @+1 {{'mlopt.reduce' op reduction 'mean' needs float tensors; operand #0 is 'tensor<4xi64>'}}
  %s = mlopt.reduce mean %x root = 0 ranks = 2 : tensor<4xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// send, recv
//===----------------------------------------------------------------------===//

func.func @send_dest_out_of_range(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.send' op has dest = 2, outside the 2 ranks [0, 2)}}
  mlopt.send %x dest = 2 ranks = 2 : tensor<4xf32>
  return
}

// -----

func.func @send_negative_dest(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.send' op has dest = -1, outside the 2 ranks [0, 2)}}
  mlopt.send %x dest = -1 ranks = 2 : tensor<4xf32>
  return
}

// -----

// A world of one has no other rank to send to.
func.func @send_one_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.send' op needs ranks >= 2: a rank cannot send to itself}}
  mlopt.send %x dest = 0 ranks = 1 : tensor<4xf32>
  return
}

// -----

func.func @send_zero_ranks(%x: tensor<4xf32>) {
  // expected-error @+1 {{'mlopt.send' op needs ranks >= 1, got 0}}
  mlopt.send %x dest = 0 ranks = 0 : tensor<4xf32>
  return
}

// -----

func.func @recv_source_out_of_range() {
  // expected-error @+1 {{'mlopt.recv' op has source = 5, outside the 4 ranks [0, 4)}}
  %r = mlopt.recv source = 5 ranks = 4 : tensor<4xf32>
  return
}

// -----

func.func @recv_negative_source() {
  // expected-error @+1 {{'mlopt.recv' op has source = -1, outside the 2 ranks [0, 2)}}
  %r = mlopt.recv source = -1 ranks = 2 : tensor<4xf32>
  return
}

// -----

func.func @recv_one_rank() {
  // expected-error @+1 {{'mlopt.recv' op needs ranks >= 2: a rank cannot receive from itself}}
  %r = mlopt.recv source = 0 ranks = 1 : tensor<4xf32>
  return
}

// -----

func.func @recv_zero_ranks() {
  // expected-error @+1 {{'mlopt.recv' op needs ranks >= 1, got 0}}
  %r = mlopt.recv source = 0 ranks = 0 : tensor<4xf32>
  return
}
