//===- ShapeVJP.cpp - VJP rules of the shape manipulation ops -------------===//
//
// Shape ops move elements without arithmetic, so their VJPs move the
// cotangent back: reshape and transpose invert, broadcast sums, slice pads
// with zeros and concat slices.
//
//===----------------------------------------------------------------------===//

#include "VJPUtils.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

/// Shape ops also move integer tensors; only float inputs carry a gradient.
static bool skipVJP(Operation *op, ValueRange resultCotangents,
                    SmallVectorImpl<Value> &operandCotangents) {
  return initCotangents(op, resultCotangents, operandCotangents) ||
         !isa<FloatType>(tensorType(op->getResult(0)).getElementType());
}

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  if (skipVJP(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] =
      MLOptBuilder(b, getLoc())
          .reshape(resultCotangents[0], tensorType(getInput()));
  return success();
}

LogicalResult
BroadcastToOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                        SmallVectorImpl<Value> &operandCotangents) {
  if (skipVJP(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] =
      MLOptBuilder(b, getLoc())
          .sumToType(resultCotangents[0], tensorType(getInput()));
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (skipVJP(*this, resultCotangents, operandCotangents))
    return success();
  ArrayRef<int64_t> permutation = getPermutation();
  SmallVector<int64_t> inverse(permutation.size());
  for (auto [i, dim] : llvm::enumerate(permutation))
    inverse[dim] = static_cast<int64_t>(i);
  operandCotangents[0] =
      MLOptBuilder(b, getLoc()).transpose(resultCotangents[0], inverse);
  return success();
}

/// Zeros of `shape` in `elementType`.
static Value zeros(MLOptBuilder &e, ArrayRef<int64_t> shape, Type elementType) {
  return e.splat(RankedTensorType::get(shape, elementType), 0.0);
}

LogicalResult SliceOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                SmallVectorImpl<Value> &operandCotangents) {
  if (skipVJP(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  RankedTensorType inputType = tensorType(getInput());
  Type elementType = inputType.getElementType();
  if (getType().getNumElements() == 0) {
    operandCotangents[0] = e.splat(inputType, 0.0);
    return success();
  }
  // Scatter one dimension at a time: spread the kept elements `step` apart
  // by interleaving zeros, trim the overhang past the input, then pad with
  // zeros before `start` and after the last kept element.
  Value grad = resultCotangents[0];
  for (int64_t dim = 0, rank = inputType.getRank(); dim < rank; ++dim) {
    int64_t size = inputType.getDimSize(dim);
    int64_t start = getStart()[dim], step = getStep()[dim];
    SmallVector<int64_t> shape(tensorType(grad).getShape());
    int64_t count = shape[dim];
    if (step > 1) {
      SmallVector<int64_t> expanded(shape);
      expanded.insert(expanded.begin() + dim + 1, 1);
      Value column =
          e.reshape(grad, RankedTensorType::get(expanded, elementType));
      expanded[dim + 1] = step - 1;
      Value spread = ConcatOp::create(
          b, loc, ValueRange{column, zeros(e, expanded, elementType)},
          static_cast<uint64_t>(dim + 1));
      shape[dim] = count * step;
      grad = e.reshape(spread, RankedTensorType::get(shape, elementType));
    }
    int64_t kept = std::min(shape[dim], size - start);
    if (kept < shape[dim]) {
      SmallVector<int64_t> begin(rank, 0), limit(shape), unit(rank, 1);
      limit[dim] = kept;
      grad = SliceOp::create(b, loc, grad, begin, limit, unit);
      shape[dim] = kept;
    }
    SmallVector<Value> pieces;
    if (start > 0) {
      SmallVector<int64_t> padShape(shape);
      padShape[dim] = start;
      pieces.push_back(zeros(e, padShape, elementType));
    }
    pieces.push_back(grad);
    if (int64_t after = size - start - kept; after > 0) {
      SmallVector<int64_t> padShape(shape);
      padShape[dim] = after;
      pieces.push_back(zeros(e, padShape, elementType));
    }
    if (pieces.size() > 1)
      grad = ConcatOp::create(b, loc, pieces, static_cast<uint64_t>(dim));
  }
  operandCotangents[0] = grad;
  return success();
}

LogicalResult ConcatOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents) {
  if (skipVJP(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value grad = resultCotangents[0];
  RankedTensorType gradType = tensorType(grad);
  int64_t rank = gradType.getRank();
  int64_t dim = static_cast<int64_t>(getDim());
  if (dim < 0)
    dim += rank;
  int64_t offset = 0;
  for (auto [index, input] : llvm::enumerate(getInputs())) {
    RankedTensorType inputType = tensorType(input);
    int64_t size = inputType.getDimSize(dim);
    if (inputType.getShape() == gradType.getShape()) {
      operandCotangents[index] = grad;
    } else {
      SmallVector<int64_t> begin(rank, 0), limit(gradType.getShape()),
          unit(rank, 1);
      begin[dim] = offset;
      limit[dim] = offset + size;
      operandCotangents[index] =
          SliceOp::create(b, loc, grad, begin, limit, unit);
    }
    offset += size;
  }
  return success();
}
