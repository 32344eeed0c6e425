//===- NNSharding.cpp - sharding rules of layers, reductions, norms -------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// One factor of `kind` per dimension in `[begin, end)` of operand
/// `operand`, shared with the same dimensions of result 0.
static void addSharedDims(ShardingRule &rule, Operation *op, unsigned operand,
                          int64_t begin, int64_t end,
                          FactorKind kind = FactorKind::PassThrough) {
  RankedTensorType type = tensorType(op->getOperand(operand));
  for (int64_t dim = begin; dim < end; ++dim) {
    int64_t factor = rule.addFactor(type.getDimSize(dim), kind);
    rule.mapOperandDim(operand, dim, factor);
    rule.mapResultDim(0, dim, factor);
  }
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

// Leading dimensions of the input are batch factors, `out` is a
// pass-through factor, `in` a sum reduction after which the bias is added.
ShardingRule LinearOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  RankedTensorType weightType = tensorType(getWeight());
  int64_t rank = tensorType(getInput()).getRank();
  addSharedDims(rule, *this, 0, 0, rank - 1);
  int64_t out = rule.addFactor(weightType.getDimSize(0));
  int64_t in = rule.addFactor(weightType.getDimSize(1), FactorKind::Reduction,
                              AllReduceKind::Sum);
  rule.mapOperandDim(0, rank - 1, in);
  rule.mapOperandDim(1, 0, out);
  rule.mapOperandDim(1, 1, in);
  rule.mapResultDim(0, rank - 1, out);
  if (getBias()) {
    unsigned bias = getODSOperandIndexAndLength(2).first;
    rule.mapOperandDim(bias, 0, out);
    rule.postReductionOperands.push_back(bias);
  }
  return rule;
}

/// `[batch..., m, k] x [batch..., k, n] -> [batch..., m, n]` with `k` a sum
/// reduction; `batchRank` is 0 for matmul.
static ShardingRule matmulRule(Operation *op, int64_t batchRank) {
  ShardingRule rule = ShardingRule::emptyFor(op);
  RankedTensorType lhsType = tensorType(op->getOperand(0));
  RankedTensorType rhsType = tensorType(op->getOperand(1));
  for (int64_t dim = 0; dim < batchRank; ++dim) {
    int64_t batch = rule.addFactor(lhsType.getDimSize(dim));
    rule.mapOperandDim(0, dim, batch);
    rule.mapOperandDim(1, dim, batch);
    rule.mapResultDim(0, dim, batch);
  }
  int64_t m = rule.addFactor(lhsType.getDimSize(batchRank));
  int64_t n = rule.addFactor(rhsType.getDimSize(batchRank + 1));
  int64_t k = rule.addFactor(lhsType.getDimSize(batchRank + 1),
                             FactorKind::Reduction, AllReduceKind::Sum);
  rule.mapOperandDim(0, batchRank, m);
  rule.mapOperandDim(0, batchRank + 1, k);
  rule.mapOperandDim(1, batchRank, k);
  rule.mapOperandDim(1, batchRank + 1, n);
  rule.mapResultDim(0, batchRank, m);
  rule.mapResultDim(0, batchRank + 1, n);
  return rule;
}

ShardingRule MatmulOp::getShardingRule() { return matmulRule(*this, 0); }

ShardingRule BatchMatmulOp::getShardingRule() {
  return matmulRule(*this, tensorType(getLhs()).getRank() - 2);
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Splitting the normalized dimension would need an all-reduce of the
/// maximum and of the sum inside the op: it is need-replication.
static ShardingRule softmaxRule(Operation *op, int64_t normalizedDim) {
  ShardingRule rule = ShardingRule::emptyFor(op);
  int64_t rank = tensorType(op->getOperand(0)).getRank();
  addSharedDims(rule, op, 0, 0, normalizedDim);
  addSharedDims(rule, op, 0, normalizedDim, normalizedDim + 1,
                FactorKind::NeedReplication);
  addSharedDims(rule, op, 0, normalizedDim + 1, rank);
  return rule;
}

ShardingRule SoftmaxOp::getShardingRule() {
  return softmaxRule(*this, getNormalizedDim());
}
ShardingRule LogSoftmaxOp::getShardingRule() {
  return softmaxRule(*this, getNormalizedDim());
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Kept dimensions pass through; reduced ones are factors of `kind` (with
/// `reduction` for reduction factors), absent from the result (or size 1
/// there with `keepdim`).
static ShardingRule reductionRule(Operation *op, ArrayRef<int64_t> reduced,
                                  bool keepdim, FactorKind kind,
                                  AllReduceKind reduction) {
  ShardingRule rule = ShardingRule::emptyFor(op);
  RankedTensorType inputType = tensorType(op->getOperand(0));
  int64_t resultDim = 0;
  for (int64_t dim = 0; dim < inputType.getRank(); ++dim) {
    int64_t size = inputType.getDimSize(dim);
    if (llvm::is_contained(reduced, dim)) {
      rule.mapOperandDim(0, dim, rule.addFactor(size, kind, reduction));
      if (keepdim)
        ++resultDim;
      continue;
    }
    int64_t factor = rule.addFactor(size);
    rule.mapOperandDim(0, dim, factor);
    rule.mapResultDim(0, resultDim++, factor);
  }
  return rule;
}

ShardingRule SumOp::getShardingRule() {
  return reductionRule(*this, getNormalizedDims(), getKeepdim(),
                       FactorKind::Reduction, AllReduceKind::Sum);
}
ShardingRule MeanOp::getShardingRule() {
  return reductionRule(*this, getNormalizedDims(), getKeepdim(),
                       FactorKind::Reduction, AllReduceKind::Mean);
}
ShardingRule MaxOp::getShardingRule() {
  return reductionRule(*this, getNormalizedDims(), getKeepdim(),
                       FactorKind::Reduction, AllReduceKind::Max);
}

// A split argmax would need an all-reduce over (value, index) pairs, which
// has no collective: the reduced dimension is need-replication.
ShardingRule ArgmaxOp::getShardingRule() {
  int64_t dim = *normalizeDim(static_cast<int64_t>(getDim()),
                              tensorType(getInput()).getRank());
  return reductionRule(*this, {dim}, getKeepdim(), FactorKind::NeedReplication,
                       AllReduceKind::Max);
}

//===----------------------------------------------------------------------===//
// Embedding, normalization
//===----------------------------------------------------------------------===//

// Positions (the indices' dimensions) and the embedding dimension pass
// through. Splitting the table's rows (Megatron's vocabulary-parallel
// embedding) needs lookups masked to the local rows before a sum
// all-reduce, so the row factor is need-replication.
ShardingRule EmbeddingOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  int64_t rank = tensorType(getIndices()).getRank();
  RankedTensorType weightType = tensorType(getWeight());
  addSharedDims(rule, *this, 0, 0, rank);
  rule.mapOperandDim(
      1, 0,
      rule.addFactor(weightType.getDimSize(0), FactorKind::NeedReplication));
  int64_t features = rule.addFactor(weightType.getDimSize(1));
  rule.mapOperandDim(1, 1, features);
  rule.mapResultDim(0, rank, features);
  return rule;
}

// Positions pass through; the class dimension exists in the result only and
// a shard of it would need the class offset: need-replication.
ShardingRule OneHotOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  int64_t rank = tensorType(getIndices()).getRank();
  addSharedDims(rule, *this, 0, 0, rank);
  rule.mapResultDim(
      0, rank,
      rule.addFactor(getType().getShape().back(), FactorKind::NeedReplication));
  return rule;
}

// The scatter-add sums over positions (a sum reduction: each shard adds its
// positions into a partial table); the embedding dimension passes through;
// the table's rows are need-replication as for embedding.
ShardingRule EmbeddingGradOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  RankedTensorType gradType = tensorType(getGrad());
  int64_t rank = tensorType(getIndices()).getRank();
  for (int64_t dim = 0; dim < rank; ++dim) {
    int64_t position = rule.addFactor(
        gradType.getDimSize(dim), FactorKind::Reduction, AllReduceKind::Sum);
    rule.mapOperandDim(0, dim, position);
    rule.mapOperandDim(1, dim, position);
  }
  int64_t features = rule.addFactor(gradType.getShape().back());
  rule.mapOperandDim(1, rank, features);
  rule.mapResultDim(0, 1, features);
  rule.mapResultDim(
      0, 0,
      rule.addFactor(getType().getDimSize(0), FactorKind::NeedReplication));
  return rule;
}

// Leading dimensions pass through; the normalized ones are need-replication
// (their mean and variance would need all-reduces inside the op), shared with
// the weight and the bias.
ShardingRule LayerNormOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  RankedTensorType inputType = tensorType(getInput());
  int64_t rank = inputType.getRank();
  int64_t leading = rank - static_cast<int64_t>(getNormalizedRank());
  addSharedDims(rule, *this, 0, 0, leading);
  for (int64_t dim = leading; dim < rank; ++dim) {
    int64_t factor =
        rule.addFactor(inputType.getDimSize(dim), FactorKind::NeedReplication);
    rule.mapOperandDim(0, dim, factor);
    rule.mapResultDim(0, dim, factor);
    for (unsigned odsIndex : {1u, 2u}) {
      auto [start, length] = getODSOperandIndexAndLength(odsIndex);
      if (length == 1)
        rule.mapOperandDim(start, dim - leading, factor);
    }
  }
  return rule;
}
