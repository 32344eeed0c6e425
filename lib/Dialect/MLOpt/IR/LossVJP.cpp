//===- LossVJP.cpp - VJP rules of the losses ------------------------------===//
//
// Losses return a 0-d tensor, so the cotangent `g` is a scalar that
// broadcasts over the per-element derivative.
//
//===----------------------------------------------------------------------===//

#include "VJPUtils.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

/// `g / count` as a 0-d tensor.
static Value meanScale(MLOptBuilder &e, Value g, int64_t count) {
  return e.scale(g, 1.0 / static_cast<double>(count));
}

// d mean((x - t)^2) = 2 (x - t) / n, and the negation for t.
LogicalResult MseLossOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value diff = e.sub(getInput(), getTarget());
  Value factor = e.scale(resultCotangents[0],
                         2.0 / tensorType(getInput()).getNumElements());
  Value dx = e.mul(diff, factor);
  operandCotangents[0] = dx;
  operandCotangents[1] = e.neg(dx);
  return success();
}

// d logits = (softmax(logits) - one_hot(labels)) / N.
LogicalResult
CrossEntropyOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                         SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  RankedTensorType logitsType = tensorType(getLogits());
  Value probabilities = SoftmaxOp::create(b, loc, getLogits(), 1);
  Value oneHot = OneHotOp::create(b, loc, logitsType, getLabels());
  operandCotangents[0] =
      e.mul(e.sub(probabilities, oneHot),
            meanScale(e, resultCotangents[0], logitsType.getDimSize(0)));
  return success();
}

// d input = -one_hot(labels) / N.
LogicalResult NllLossOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  RankedTensorType inputType = tensorType(getInput());
  Value oneHot = OneHotOp::create(b, loc, inputType, getLabels());
  operandCotangents[0] =
      e.mul(e.neg(oneHot),
            meanScale(e, resultCotangents[0], inputType.getDimSize(0)));
  return success();
}

// Pointwise term t (log t - x): dx = -t, dt = log t + 1 - x (0 where t = 0,
// where the term is defined as 0). With log_target, e^t (t - x):
// dx = -e^t, dt = e^t (t - x + 1).
LogicalResult KLDivOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value x = getInput(), t = getTarget();
  RankedTensorType type = tensorType(x);
  int64_t count = 1;
  switch (getReduction()) {
  case KLDivReduction::Mean:
    count = type.getNumElements();
    break;
  case KLDivReduction::BatchMean:
    count = type.getDimSize(0);
    break;
  case KLDivReduction::Sum:
    break;
  }
  Value factor = meanScale(e, resultCotangents[0], count);
  Value one = e.constantLike(x, 1.0);
  if (getLogTarget()) {
    Value weight = e.exp(t);
    operandCotangents[0] = e.neg(e.mul(weight, factor));
    Value dt = e.mul(weight, e.add(e.sub(t, x), one));
    operandCotangents[1] = e.mul(dt, factor);
    return success();
  }
  operandCotangents[0] = e.neg(e.mul(t, factor));
  Value zero = e.constantLike(x, 0.0);
  Value dt = e.sub(e.add(e.log(t), one), x);
  dt = e.select(e.compare(ComparePredicate::EQ, t, zero), zero, dt);
  operandCotangents[1] = e.mul(dt, factor);
  return success();
}
