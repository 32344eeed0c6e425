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
