//===- ShapeFunctions.cpp - shape rules of mlopt ops ----------------------===//

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

std::optional<SmallVector<int64_t>>
mlopt::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t r = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    if (l != r && l != 1 && r != 1)
      return std::nullopt;
    result[rank - 1 - i] = l == 1 ? r : l;
  }
  return result;
}

bool mlopt::isBroadcastableTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  for (size_t i = 0; i < from.size(); ++i) {
    int64_t f = from[from.size() - 1 - i];
    if (f != 1 && f != to[to.size() - 1 - i])
      return false;
  }
  return true;
}

std::optional<int64_t> mlopt::normalizeDim(int64_t dim, int64_t rank) {
  if (dim < -rank || dim >= rank)
    return std::nullopt;
  return dim < 0 ? dim + rank : dim;
}

FailureOr<SmallVector<int64_t>>
mlopt::normalizeDims(std::optional<Location> loc, ArrayRef<int64_t> dims,
                     int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t dim : dims) {
    std::optional<int64_t> normalized = normalizeDim(dim, rank);
    if (!normalized)
      return emitOptionalError(loc, "dimension ", dim,
                               " is out of range for rank ", rank);
    if (llvm::is_contained(result, *normalized))
      return emitOptionalError(loc, "dimension ", dim, " is repeated");
    result.push_back(*normalized);
  }
  llvm::sort(result);
  return result;
}

SmallVector<int64_t> mlopt::reducedShape(ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> dims,
                                         bool keepDims) {
  SmallVector<int64_t> result;
  for (auto [i, size] : llvm::enumerate(shape)) {
    if (!llvm::is_contained(dims, static_cast<int64_t>(i)))
      result.push_back(size);
    else if (keepDims)
      result.push_back(1);
  }
  return result;
}

std::pair<int64_t, int64_t> mlopt::computeFans(ArrayRef<int64_t> shape) {
  int64_t receptiveField = 1;
  for (int64_t size : shape.drop_front(2))
    receptiveField *= size;
  return {shape[1] * receptiveField, shape[0] * receptiveField};
}

std::optional<int64_t> mlopt::resizeBatchDim(int64_t size, int64_t oldBatch,
                                             int64_t newBatch) {
  if (oldBatch <= 0 || size % oldBatch != 0)
    return std::nullopt;
  return size / oldBatch * newBatch;
}

InFlightDiagnostic mlopt::emitBatchResizeError(Operation *op, int64_t oldBatch,
                                               int64_t newBatch) {
  return op->emitOpError("cannot change the batch from ")
         << oldBatch << " to " << newBatch << ": ";
}
