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
    return emitOpError("cannot broadcast ") << inputType << " to " << resultType;
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
