//===- ShapeFunctions.h - shape rules of mlopt ops --------------*- C++ -*-===//
//
// The one home of the shape rules that verifiers, builders and passes share.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_SHAPEFUNCTIONS_H
#define MLOPT_DIALECT_MLOPT_IR_SHAPEFUNCTIONS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace mlir {
class Operation;
} // namespace mlir

namespace mlir::mlopt {

/// NumPy broadcasting of two shapes; std::nullopt when incompatible.
std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                    ArrayRef<int64_t> rhs);

/// Whether `from` broadcasts to exactly `to` with NumPy's rules.
bool isBroadcastableTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to);

/// Maps a PyTorch-style dimension (negative counts from the end) into
/// [0, rank); std::nullopt when out of range.
std::optional<int64_t> normalizeDim(int64_t dim, int64_t rank);

/// Normalizes, deduplicates and sorts reduction dimensions, reporting the
/// first bad one at `loc`.
FailureOr<SmallVector<int64_t>> normalizeDims(std::optional<Location> loc,
                                              ArrayRef<int64_t> dims,
                                              int64_t rank);

/// The shape left after reducing `dims` (sorted, in range) of `shape`.
SmallVector<int64_t> reducedShape(ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> dims, bool keepDims);

/// PyTorch's `_calculate_fan_in_and_fan_out`; requires rank >= 2.
std::pair<int64_t, int64_t> computeFans(ArrayRef<int64_t> shape);

/// A dimension of `size` elements that holds whole samples of a batch of
/// `oldBatch`, resized for a batch of `newBatch`; std::nullopt when `size`
/// is not a multiple of `oldBatch`.
std::optional<int64_t> resizeBatchDim(int64_t size, int64_t oldBatch,
                                      int64_t newBatch);

/// Starts the error of an op that cannot follow the batch from `oldBatch`
/// to `newBatch` (BatchResizableOpInterface); the caller appends the reason.
InFlightDiagnostic emitBatchResizeError(Operation *op, int64_t oldBatch,
                                        int64_t newBatch);

} // namespace mlir::mlopt

#endif // MLOPT_DIALECT_MLOPT_IR_SHAPEFUNCTIONS_H
