//===- LossOps.cpp - losses and metrics -----------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

using namespace mlir;
using namespace mlir::mlopt;

static RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

static void inferScalar(Type elementType, SmallVectorImpl<Type> &inferred) {
  inferred.push_back(RankedTensorType::get({}, elementType));
}

/// `input` and `target` have identical types.
static LogicalResult inferPointwiseLoss(std::optional<Location> loc,
                                        Value input, Value target,
                                        SmallVectorImpl<Type> &inferred) {
  if (input.getType() != target.getType())
    return emitOptionalError(loc, "input ", input.getType(), " and target ",
                             target.getType(), " must have the same type");
  inferScalar(tensorType(input).getElementType(), inferred);
  return success();
}

/// `scores` is [N, C] and `labels` is [N].
static LogicalResult inferClassificationLoss(std::optional<Location> loc,
                                             Value scores, Value labels,
                                             SmallVectorImpl<Type> &inferred) {
  RankedTensorType scoresType = tensorType(scores);
  RankedTensorType labelsType = tensorType(labels);
  if (scoresType.getRank() != 2)
    return emitOptionalError(loc, "scores must be [N, C], got ", scoresType);
  if (labelsType.getRank() != 1 ||
      labelsType.getDimSize(0) != scoresType.getDimSize(0))
    return emitOptionalError(loc, "labels must be [", scoresType.getDimSize(0),
                             "] for scores ", scoresType, ", got ",
                             labelsType);
  inferScalar(scoresType.getElementType(), inferred);
  return success();
}

LogicalResult MseLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferPointwiseLoss(loc, adaptor.getInput(), adaptor.getTarget(),
                            inferred);
}

LogicalResult KLDivOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  if (adaptor.getReduction() == KLDivReduction::BatchMean &&
      tensorType(adaptor.getInput()).getRank() == 0)
    return emitOptionalError(loc, "batchmean needs an input of rank >= 1");
  return inferPointwiseLoss(loc, adaptor.getInput(), adaptor.getTarget(),
                            inferred);
}

LogicalResult CrossEntropyOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &inferred) {
  return inferClassificationLoss(loc, adaptor.getLogits(), adaptor.getLabels(),
                                 inferred);
}

LogicalResult NllLossOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferClassificationLoss(loc, adaptor.getInput(), adaptor.getLabels(),
                                 inferred);
}

LogicalResult AccuracyOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  return inferClassificationLoss(loc, adaptor.getLogits(), adaptor.getLabels(),
                                 inferred);
}

/// Class labels index dimension 1 (C) of `[N, C]` scores.
static void appendClassLabels(Value scores, OpOperand &labels,
                              SmallVectorImpl<IndexOperand> &indexOperands) {
  RankedTensorType scoresType = tensorType(scores);
  if (scoresType.getRank() == 2)
    indexOperands.push_back(
        {labels.getOperandNumber(), scoresType.getDimSize(1)});
}

void CrossEntropyOp::getIndexOperands(
    SmallVectorImpl<IndexOperand> &indexOperands) {
  appendClassLabels(getLogits(), getLabelsMutable(), indexOperands);
}

void NllLossOp::getIndexOperands(SmallVectorImpl<IndexOperand> &indexOperands) {
  appendClassLabels(getInput(), getLabelsMutable(), indexOperands);
}

void AccuracyOp::getIndexOperands(
    SmallVectorImpl<IndexOperand> &indexOperands) {
  appendClassLabels(getLogits(), getLabelsMutable(), indexOperands);
}

//===----------------------------------------------------------------------===//
// LossOpInterface: the model's output each op compares with the labels
//===----------------------------------------------------------------------===//

Value MseLossOp::getPrediction() { return getInput(); }
Value KLDivOp::getPrediction() { return getInput(); }
Value CrossEntropyOp::getPrediction() { return getLogits(); }
Value NllLossOp::getPrediction() { return getInput(); }
Value AccuracyOp::getPrediction() { return getLogits(); }
