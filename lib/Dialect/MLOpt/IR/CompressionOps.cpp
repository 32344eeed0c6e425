//===- CompressionOps.cpp - pruning masks and the sparsity schedule -------===//

#include "VJPUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

//===----------------------------------------------------------------------===//
// apply_mask
//===----------------------------------------------------------------------===//

bool ApplyMaskOp::isOperandDifferentiable(unsigned index) {
  return index == getInputMutable().getOperandNumber();
}

LogicalResult ApplyMaskOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] =
      ApplyMaskOp::create(b, getLoc(), resultCotangents[0], getMask());
  return success();
}

//===----------------------------------------------------------------------===//
// prune_mask
//===----------------------------------------------------------------------===//

LogicalResult PruneMaskOp::verify() {
  if (tensorType(getScores()).getRank() == 0)
    return emitOpError("needs scores of rank >= 1 (the last dimension is the "
                       "group the mask prunes within)");
  return success();
}

/// The selection sorts each group: about L log2 L comparisons per group.
int64_t PruneMaskOp::getFlops() {
  RankedTensorType type = tensorType(getScores());
  int64_t length = type.getShape().back();
  int64_t logLength = length > 1 ? llvm::Log2_64_Ceil(length) : 1;
  return type.getNumElements() * logLength;
}

/// Leading dimensions are independent groups; the group dimension needs every
/// score at once.
ShardingRule PruneMaskOp::getShardingRule() {
  ShardingRule rule = ShardingRule::emptyFor(*this);
  RankedTensorType type = tensorType(getScores());
  unsigned previous = getPreviousMutable().getOperandNumber();
  for (int64_t dim = 0, rank = type.getRank(); dim < rank; ++dim) {
    int64_t factor = rule.addFactor(
        type.getDimSize(dim), dim + 1 == rank ? FactorKind::NeedReplication
                                              : FactorKind::PassThrough);
    rule.mapOperandDim(0, dim, factor);
    rule.mapOperandDim(previous, dim, factor);
    rule.mapResultDim(0, dim, factor);
  }
  return rule;
}

LogicalResult PruneMaskOp::convertToEvalMode(RewriterBase &rewriter) {
  rewriter.replaceOp(*this, getPrevious());
  return success();
}

bool PruneMaskOp::isOperandDifferentiable(unsigned) { return false; }

LogicalResult PruneMaskOp::buildVJP(OpBuilder &, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  initCotangents(*this, resultCotangents, operandCotangents);
  return success();
}

//===----------------------------------------------------------------------===//
// sparsity_schedule
//===----------------------------------------------------------------------===//

LogicalResult SparsityScheduleOp::verify() {
  for (auto [name, value] :
       {std::pair<StringRef, double>{"initial", getInitial().convertToDouble()},
        {"final", getFinal().convertToDouble()}})
    if (!(value >= 0.0 && value <= 1.0))
      return emitOpError("sparsity '")
             << name << "' must lie in [0, 1], got " << value;
  int64_t start = getStart(), end = getEnd(), frequency = getFrequency();
  if (start < 0)
    return emitOpError("start step must be >= 0, got ") << start;
  if (end < start)
    return emitOpError("end step ")
           << end << " must not come before the start step " << start;
  if (frequency < 1)
    return emitOpError("frequency must be >= 1, got ") << frequency;
  if ((end - start) % frequency != 0)
    return emitOpError("end - start = ")
           << end - start << " must be a multiple of the frequency "
           << frequency << ", so that the last update reaches the final "
           << "sparsity";
  return success();
}
