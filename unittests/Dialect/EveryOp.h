//===- EveryOp.h - a module with one of every mlopt op ----------*- C++ -*-===//
//
// The per-op rule tests run over this module; a test fails when an op
// registered by the dialect is missing here, so a new op gets its rules
// checked the day it is added.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_UNITTESTS_DIALECT_EVERYOP_H
#define MLOPT_UNITTESTS_DIALECT_EVERYOP_H

namespace mlir::mlopt::test {

inline constexpr const char *kEveryOpModule = R"mlir(
mlopt.state @w : tensor<16x8xf32> parameter trainable init #mlopt.zeros
    {mlopt.masked_by = @w.mask}
mlopt.state @w.mask : tensor<16x8xf32> mask
    init #mlopt.value<dense<1.0> : tensor<16x8xf32>>
func.func @every_op(%x: tensor<4x8xf32>, %b: tensor<8xf32>,
                    %b16: tensor<16xf32>, %y: tensor<4xi32>,
                    %tok: tensor<4x3xi64>, %bt: tensor<2x4x8xf32>,
                    %bt2: tensor<2x8x4xf32>, %seed: tensor<i64>) {
  %w = mlopt.state_read @w : tensor<16x8xf32>
  mlopt.state_write %w, @w : tensor<16x8xf32>
  %c = mlopt.constant dense<0.5> : tensor<4x8xf32>
  %iv = mlopt.initial_value %seed, #mlopt.zeros stream = 1 : tensor<4x8xf32>

  %u0 = mlopt.neg %x : tensor<4x8xf32>
  %u1 = mlopt.exp %x : tensor<4x8xf32>
  %u2 = mlopt.log %x : tensor<4x8xf32>
  %u3 = mlopt.sqrt %x : tensor<4x8xf32>
  %u4 = mlopt.rsqrt %x : tensor<4x8xf32>
  %u5 = mlopt.relu %x : tensor<4x8xf32>
  %u6 = mlopt.sigmoid %x : tensor<4x8xf32>
  %u7 = mlopt.tanh %x : tensor<4x8xf32>
  %u8 = mlopt.abs %x : tensor<4x8xf32>
  %u9 = mlopt.cos %x : tensor<4x8xf32>
  %u10 = mlopt.erf %x : tensor<4x8xf32>
  %u11 = mlopt.gelu %x approximate = tanh : tensor<4x8xf32>

  %b0 = mlopt.add %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %b1 = mlopt.sub %x, %x : tensor<4x8xf32>
  %b2 = mlopt.mul %x, %x : tensor<4x8xf32>
  %b3 = mlopt.div %x, %x : tensor<4x8xf32>
  %b4 = mlopt.pow %x, %x : tensor<4x8xf32>
  %b5 = mlopt.maximum %x, %x : tensor<4x8xf32>
  %b6 = mlopt.minimum %x, %x : tensor<4x8xf32>
  %m = mlopt.compare gt, %x, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  %s = mlopt.select %m, %x, %b
      : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %h = mlopt.cast %x : tensor<4x8xf32> to tensor<4x8xbf16>

  %r = mlopt.reshape %x : tensor<4x8xf32> to tensor<4x2x4xf32>
  %bc = mlopt.broadcast_to %b : tensor<8xf32> to tensor<4x8xf32>
  %t = mlopt.transpose %x, [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %sl = mlopt.slice %x start [0, 2] limit [4, 8] step [1, 2]
      : tensor<4x8xf32> -> tensor<4x3xf32>
  %cc = mlopt.concat %x, %x dim = 1
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x16xf32>

  %l = mlopt.linear %x, %w, %b16
      : (tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %mm = mlopt.matmul %x, %t : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %bmm = mlopt.batch_matmul %bt, %bt2
      : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %sm = mlopt.softmax %x dim = -1 : tensor<4x8xf32>
  %lsm = mlopt.log_softmax %x dim = 1 : tensor<4x8xf32>
  %su = mlopt.sum %x dims = [1] : tensor<4x8xf32> -> tensor<4xf32>
  %me = mlopt.mean %x dims = [0] keepdim : tensor<4x8xf32> -> tensor<1x8xf32>
  %mx = mlopt.max %x dims = [1] : tensor<4x8xf32> -> tensor<4xf32>
  %am = mlopt.argmax %x dim = 1 : tensor<4x8xf32> -> tensor<4xi64>
  %e = mlopt.embedding %tok, %w
      : (tensor<4x3xi64>, tensor<16x8xf32>) -> tensor<4x3x8xf32>
  %oh = mlopt.one_hot %y : tensor<4xi32> -> tensor<4x8xf32>
  %eg = mlopt.embedding_grad %tok, %e num_embeddings = 16
      : (tensor<4x3xi64>, tensor<4x3x8xf32>) -> tensor<16x8xf32>
  %ln = mlopt.layer_norm %x weight %b bias %b
      : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %d = mlopt.dropout %x, %seed p = 1.000000e-01 : tensor<4x8xf32>
  %tap = mlopt.tap "hidden" %x : tensor<4x8xf32>
  %ms = mlopt.mode_select %x, %u0 : tensor<4x8xf32>

  %mse = mlopt.mse_loss %x, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<f32>
  %ce = mlopt.cross_entropy %x, %y : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<f32>
  %nll = mlopt.nll_loss %lsm, %y : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<f32>
  %kl = mlopt.kl_div %lsm, %sm reduction = batchmean
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<f32>
  %acc = mlopt.accuracy %x, %y : (tensor<4x8xf32>, tensor<4xi32>) -> tensor<f32>

  %mask = mlopt.state_read @w.mask : tensor<16x8xf32>
  %wm = mlopt.apply_mask %w, %mask : tensor<16x8xf32>
  %sp, %up = mlopt.sparsity_schedule %seed initial = 0.0 final = 0.5
      start = 0 end = 10 frequency = 2 : tensor<i64>
  %pm = mlopt.prune_mask %wm, %sp, %up, %mask : tensor<16x8xf32>

  %omin, %omax = mlopt.observe %x, %su, %su, %up {axis = 0}
      : tensor<4x8xf32>, tensor<4xf32>
  %qs, %qz = mlopt.quant_params %omin, %omax
      {quant_min = -128, quant_max = 127, symmetric} : tensor<4xf32>
  %fq = mlopt.fake_quant %x, %qs, %qz {axis = 0, quant_min = -128,
      quant_max = 127} : tensor<4x8xf32>, tensor<4xf32>
  %fqg = mlopt.fake_quant_grad %x, %x, %qs, %qz {axis = 0, quant_min = -128,
      quant_max = 127} : tensor<4x8xf32>, tensor<4xf32>
  %xq = mlopt.quantize %x, %qs, %qz {axis = 0, quant_min = -128,
      quant_max = 127} : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xi8>
  %x0 = mlopt.slice %qz start [0] limit [1] step [1]
      : tensor<4xi32> -> tensor<1xi32>
  %xz = mlopt.reshape %x0 : tensor<1xi32> to tensor<i32>
  %wq = mlopt.reshape %xq : tensor<4x8xi8> to tensor<4x8xi8>
  %qacc = mlopt.quantized_linear %xq, %xz, %wq
      : (tensor<4x8xi8>, tensor<i32>, tensor<4x8xi8>) -> tensor<4x4xi32>
  %xqt = mlopt.transpose %xq, [1, 0] : tensor<4x8xi8> -> tensor<8x4xi8>
  %qmm = mlopt.quantized_matmul %xq, %xz, %xqt, %xz
      : (tensor<4x8xi8>, tensor<i32>, tensor<8x4xi8>, tensor<i32>) -> tensor<4x4xi32>
  %dq = mlopt.dequantize %qacc, %qs, %qz {axis = 0}
      : tensor<4x4xi32>, tensor<4xf32> -> tensor<4x4xf32>

  %car:2 = mlopt.all_reduce mean %x, %b ranks = 2 : tensor<4x8xf32>, tensor<8xf32>
  %cag = mlopt.all_gather %b dim = 0 ranks = 2 : (tensor<8xf32>) -> tensor<16xf32>
  %crs = mlopt.reduce_scatter sum %b16 dim = 0 ranks = 2
      : (tensor<16xf32>) -> tensor<8xf32>
  %cbc = mlopt.broadcast %x root = 0 ranks = 2 : tensor<4x8xf32>
  %crd = mlopt.reduce sum %x root = 1 ranks = 2 : tensor<4x8xf32>
  mlopt.send %x dest = 1 ranks = 2 : tensor<4x8xf32>
  %crv = mlopt.recv source = 1 ranks = 2 : tensor<4x8xf32>
  %cls = mlopt.local_shard %b16 dim = 0 ranks = 2 : (tensor<16xf32>) -> tensor<8xf32>
  return
}
)mlir";

} // namespace mlir::mlopt::test

#endif // MLOPT_UNITTESTS_DIALECT_EVERYOP_H
