//===- ShapeSharding.cpp - sharding rules of shape ops --------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The non-size-1 dimensions of `shape`.
static SmallVector<int64_t> nonUnitDims(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> dims;
  for (auto [dim, size] : llvm::enumerate(shape))
    if (size != 1)
      dims.push_back(static_cast<int64_t>(dim));
  return dims;
}

// Row-major reshapes preserve groups of consecutive dimensions with equal
// products. A group that is one dimension on one side and several on the
// other factors cleanly: the several are the factors and the one dimension
// is made of them, major to minor ([B, H*D] <-> [B, H, D]: `(h, d)` maps to
// dimension 1 of the input). A group with several dimensions on both sides
// ([6, 4] -> [4, 6]) maps to no factor: it cannot be split. Size-1
// dimensions map to no factor.
ShardingRule ReshapeOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  ArrayRef<int64_t> inputShape = tensorType(getInput()).getShape();
  ArrayRef<int64_t> resultShape = getType().getShape();
  if (llvm::is_contained(inputShape, 0))
    return rule;
  SmallVector<int64_t> in = nonUnitDims(inputShape);
  SmallVector<int64_t> out = nonUnitDims(resultShape);
  size_t i = 0, o = 0;
  while (i < in.size() && o < out.size()) {
    size_t iEnd = i + 1, oEnd = o + 1;
    int64_t inProduct = inputShape[in[i]], outProduct = resultShape[out[o]];
    while (inProduct != outProduct) {
      // Only reached with mismatched element counts, which the verifier
      // rejects.
      if (inProduct < outProduct ? iEnd == in.size() : oEnd == out.size())
        return ShardingRule::emptyFor(*this);
      if (inProduct < outProduct)
        inProduct *= inputShape[in[iEnd++]];
      else
        outProduct *= resultShape[out[oEnd++]];
    }
    if (iEnd - i == 1) {
      // One input dimension made of the result dimensions of the group.
      for (size_t r = o; r < oEnd; ++r) {
        int64_t factor = rule.addFactor(resultShape[out[r]]);
        rule.mapOperandDim(0, in[i], factor);
        rule.mapResultDim(0, out[r], factor);
      }
    } else if (oEnd - o == 1) {
      // One result dimension made of the input dimensions of the group.
      for (size_t d = i; d < iEnd; ++d) {
        int64_t factor = rule.addFactor(inputShape[in[d]]);
        rule.mapOperandDim(0, in[d], factor);
        rule.mapResultDim(0, out[o], factor);
      }
    }
    i = iEnd;
    o = oEnd;
  }
  return rule;
}

// A dimension broadcast from size 1 (or added in front) maps to no factor in
// the input, as for broadcasting elementwise ops.
ShardingRule BroadcastToOp::getShardingRule() {
  return detail::elementwiseShardingRule(*this);
}

// Result dimension `i` is input dimension `permutation[i]`: one factor each.
ShardingRule TransposeOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  for (auto [resultDim, inputDim] : llvm::enumerate(getPermutation())) {
    int64_t factor = rule.addFactor(getType().getDimSize(resultDim));
    rule.mapOperandDim(0, inputDim, factor);
    rule.mapResultDim(0, resultDim, factor);
  }
  return rule;
}

// Dimensions taken whole pass through; a sliced dimension maps to no factor
// (a shard's part of the slice depends on the shard's offset).
ShardingRule SliceOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  ArrayRef<int64_t> inputShape = tensorType(getInput()).getShape();
  for (auto [dim, size] : llvm::enumerate(inputShape)) {
    if (getStart()[dim] != 0 || getLimit()[dim] != size || getStep()[dim] != 1)
      continue;
    int64_t factor = rule.addFactor(size);
    rule.mapOperandDim(0, dim, factor);
    rule.mapResultDim(0, dim, factor);
  }
  return rule;
}

// Dimensions other than the concatenated one pass through, shared by every
// input; the concatenated dimension maps to no factor.
ShardingRule ConcatOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  RankedTensorType type = getType();
  int64_t concatDim =
      *normalizeDim(static_cast<int64_t>(getDim()), type.getRank());
  for (int64_t dim = 0; dim < type.getRank(); ++dim) {
    if (dim == concatDim)
      continue;
    int64_t factor = rule.addFactor(type.getDimSize(dim));
    for (unsigned operand = 0; operand < getNumOperands(); ++operand)
      rule.mapOperandDim(operand, dim, factor);
    rule.mapResultDim(0, dim, factor);
  }
  return rule;
}
