//===- ShapeOps.cpp - shape manipulation ops ------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;

LogicalResult ReshapeOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getType());
  if (inputType.getElementType() != resultType.getElementType())
    return emitOpError("changes the element type from ")
           << inputType.getElementType() << " to "
           << resultType.getElementType() << "; use mlopt.cast";
  if (inputType.getNumElements() != resultType.getNumElements())
    return emitOpError("cannot reshape ")
           << inputType << " (" << inputType.getNumElements()
           << " elements) to " << resultType << " ("
           << resultType.getNumElements() << " elements)";
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getType());
  if (inputType.getElementType() != resultType.getElementType())
    return emitOpError("changes the element type from ")
           << inputType.getElementType() << " to "
           << resultType.getElementType();
  if (!isBroadcastableTo(inputType.getShape(), resultType.getShape()))
    return emitOpError("cannot broadcast ")
           << inputType << " to " << resultType;
  return success();
}

/// Row-major, a reshape keeps whole samples together when both its input
/// and its result hold whole samples per index of dimension 0: the batch
/// then scales both leading dimensions (`[B, 128, 256] -> [B, 128, 4, 64]`,
/// `[B * 128, 256] -> [B, 128, 256]`).
LogicalResult ReshapeOp::resizeBatch(TypeRange oldOperandTypes,
                                     int64_t oldBatch, int64_t newBatch) {
  auto oldInput = cast<RankedTensorType>(oldOperandTypes.front());
  auto input = cast<RankedTensorType>(getInput().getType());
  RankedTensorType result = getType();
  if (oldInput == input)
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "its input does not carry the batch";
  if (oldInput.getRank() == 0 || result.getRank() == 0 ||
      oldInput.getShape().drop_front() != input.getShape().drop_front())
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "the batch is not dimension 0 of its input " << input;
  std::optional<int64_t> inputDim =
      resizeBatchDim(oldInput.getDimSize(0), oldBatch, newBatch);
  std::optional<int64_t> resultDim =
      resizeBatchDim(result.getDimSize(0), oldBatch, newBatch);
  if (!inputDim || *inputDim != input.getDimSize(0) || !resultDim)
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "it mixes the batch into other dimensions (" << oldInput << " to "
           << result << ")";
  SmallVector<int64_t> shape(result.getShape());
  shape[0] = *resultDim;
  getResult().setType(result.clone(shape));
  return success();
}

/// Dimensions that come from the input follow it; when the input does not
/// carry the batch (a bias), the broadcast dimension 0 takes it.
LogicalResult BroadcastToOp::resizeBatch(TypeRange oldOperandTypes,
                                         int64_t oldBatch, int64_t newBatch) {
  ArrayRef<int64_t> oldInput =
      cast<RankedTensorType>(oldOperandTypes.front()).getShape();
  ArrayRef<int64_t> input =
      cast<RankedTensorType>(getInput().getType()).getShape();
  RankedTensorType result = getType();
  SmallVector<int64_t> shape(result.getShape());
  int64_t offset = result.getRank() - static_cast<int64_t>(input.size());
  for (auto [j, size] : llvm::enumerate(input)) {
    int64_t &target = shape[offset + j];
    if (size == oldInput[j])
      continue;
    if (oldInput[j] != target)
      return emitBatchResizeError(*this, oldBatch, newBatch)
             << "input dimension " << j << " was broadcast from " << oldInput[j]
             << " to " << target << " and now has " << size;
    target = size;
  }
  if (ArrayRef<int64_t>(shape) == result.getShape()) {
    if (result.getRank() == 0)
      return emitBatchResizeError(*this, oldBatch, newBatch)
             << "a 0-d result has no batch dimension";
    if (offset == 0 && input.front() != 1)
      return emitBatchResizeError(*this, oldBatch, newBatch)
             << "dimension 0 comes from the input, which does not carry the "
                "batch";
    std::optional<int64_t> dim =
        resizeBatchDim(result.getDimSize(0), oldBatch, newBatch);
    if (!dim)
      return emitBatchResizeError(*this, oldBatch, newBatch)
             << "dimension 0 (" << result.getDimSize(0)
             << ") is not a multiple of the batch";
    shape[0] = *dim;
  }
  getResult().setType(result.clone(shape));
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> permutation = adaptor.getPermutation();
  int64_t rank = inputType.getRank();
  if (static_cast<int64_t>(permutation.size()) != rank)
    return emitOptionalError(loc, "permutation has ", permutation.size(),
                             " entries for an input of rank ", rank);
  SmallVector<bool> seen(rank, false);
  SmallVector<int64_t> shape;
  for (int64_t dim : permutation) {
    if (dim < 0 || dim >= rank || seen[dim])
      return emitOptionalError(loc, "permutation [", permutation,
                               "] is not a permutation of 0..", rank - 1);
    seen[dim] = true;
    shape.push_back(inputType.getDimSize(dim));
  }
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  auto inputType = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> start = adaptor.getStart();
  ArrayRef<int64_t> limit = adaptor.getLimit();
  ArrayRef<int64_t> step = adaptor.getStep();
  int64_t rank = inputType.getRank();
  if (static_cast<int64_t>(start.size()) != rank ||
      static_cast<int64_t>(limit.size()) != rank ||
      static_cast<int64_t>(step.size()) != rank)
    return emitOptionalError(loc, "start, limit and step need ", rank,
                             " entries each (the input's rank)");
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t size = inputType.getDimSize(i);
    if (start[i] < 0 || start[i] > limit[i] || limit[i] > size)
      return emitOptionalError(loc, "dimension ", i, ": need 0 <= start (",
                               start[i], ") <= limit (", limit[i],
                               ") <= size (", size, ")");
    if (step[i] < 1)
      return emitOptionalError(loc, "dimension ", i, ": step ", step[i],
                               " must be >= 1");
    shape.push_back((limit[i] - start[i] + step[i] - 1) / step[i]);
  }
  inferred.push_back(RankedTensorType::get(shape, inputType.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "needs at least one input");
  auto firstType = cast<RankedTensorType>(inputs.front().getType());
  int64_t rank = firstType.getRank();
  std::optional<int64_t> dim =
      normalizeDim(static_cast<int64_t>(adaptor.getDim()), rank);
  if (!dim)
    return emitOptionalError(loc, "dimension ",
                             static_cast<int64_t>(adaptor.getDim()),
                             " is out of range for rank ", rank);
  SmallVector<int64_t> shape(firstType.getShape());
  shape[*dim] = 0;
  for (auto [index, input] : llvm::enumerate(inputs)) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getElementType() != firstType.getElementType() ||
        type.getRank() != rank)
      return emitOptionalError(loc, "input #", index, " of type ", type,
                               " does not match input #0 of type ", firstType);
    for (int64_t i = 0; i < rank; ++i)
      if (i != *dim && type.getDimSize(i) != firstType.getDimSize(i))
        return emitOptionalError(loc, "input #", index, " of type ", type,
                                 " differs from input #0 in dimension ", i);
    shape[*dim] += type.getDimSize(*dim);
  }
  inferred.push_back(RankedTensorType::get(shape, firstType.getElementType()));
  return success();
}
