//===- LossSharding.cpp - sharding rules of losses and metrics ------------===//
//
// Losses reduce to a scalar: their batch factor is a mean reduction (each
// shard's loss over its rows, averaged by an all-reduce), and the class
// dimension of classification losses is need-replication (a split
// log-sum-exp or argmax needs collectives inside the op, Megatron's
// vocabulary-parallel cross-entropy).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

using namespace mlir;
using namespace mlir::mlopt;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Two operands of one shape reduced over every dimension; dimension `d`'s
/// factor reduces with `reductionOf(d)`.
static ShardingRule
pointwiseLossRule(Operation *op,
                  function_ref<AllReduceKind(int64_t)> reductionOf) {
  ShardingRule rule = ShardingRule::emptyFor(op);
  RankedTensorType type = tensorType(op->getOperand(0));
  for (int64_t dim = 0; dim < type.getRank(); ++dim) {
    int64_t factor = rule.addFactor(type.getDimSize(dim), FactorKind::Reduction,
                                    reductionOf(dim));
    rule.mapOperandDim(0, dim, factor);
    rule.mapOperandDim(1, dim, factor);
  }
  return rule;
}

/// `scores[N, C]` and `labels[N]`: a mean over rows, classes replicated.
static ShardingRule classificationRule(Operation *op) {
  ShardingRule rule = ShardingRule::emptyFor(op);
  RankedTensorType scoresType = tensorType(op->getOperand(0));
  int64_t batch = rule.addFactor(scoresType.getDimSize(0),
                                 FactorKind::Reduction, AllReduceKind::Mean);
  int64_t classes =
      rule.addFactor(scoresType.getDimSize(1), FactorKind::NeedReplication);
  rule.mapOperandDim(0, 0, batch);
  rule.mapOperandDim(0, 1, classes);
  rule.mapOperandDim(1, 0, batch);
  return rule;
}

ShardingRule MseLossOp::getShardingRule() {
  return pointwiseLossRule(*this, [](int64_t) { return AllReduceKind::Mean; });
}

// `mean` averages every dimension and `sum` sums them; `batchmean` divides
// the sum by the first dimension's size, so shards of the first dimension
// average and shards of the others sum.
ShardingRule KLDivOp::getShardingRule() {
  KLDivReduction reduction = getReduction();
  return pointwiseLossRule(*this, [&](int64_t dim) {
    switch (reduction) {
    case KLDivReduction::Mean:
      return AllReduceKind::Mean;
    case KLDivReduction::Sum:
      return AllReduceKind::Sum;
    case KLDivReduction::BatchMean:
      return dim == 0 ? AllReduceKind::Mean : AllReduceKind::Sum;
    }
    llvm_unreachable("unknown kl_div reduction");
  });
}

ShardingRule CrossEntropyOp::getShardingRule() {
  return classificationRule(*this);
}
ShardingRule NllLossOp::getShardingRule() { return classificationRule(*this); }
ShardingRule AccuracyOp::getShardingRule() { return classificationRule(*this); }
