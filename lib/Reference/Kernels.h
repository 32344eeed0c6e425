//===- Kernels.h - op kernels of the reference evaluator --------*- C++ -*-===//
//
// Internal to MLOptReference: the per-family kernels that Evaluator.cpp
// dispatches to, and the index and rounding helpers they share.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_REFERENCE_KERNELS_H
#define MLOPT_LIB_REFERENCE_KERNELS_H

#include "mlopt/Reference/Evaluator.h"

#include <optional>

namespace mlir::mlopt::reference {

/// The outcome of offering an op to a kernel family: std::nullopt when the
/// family does not own the op; failure after a located diagnostic; otherwise
/// the op's single result.
using KernelResult = std::optional<FailureOr<Tensor>>;

KernelResult evaluateElementwiseOp(Operation *op,
                                   ArrayRef<const Tensor *> operands);
KernelResult evaluateNNOp(Operation *op, ArrayRef<const Tensor *> operands);
KernelResult evaluateLossOp(Operation *op, ArrayRef<const Tensor *> operands);
KernelResult evaluateShapeOp(Operation *op, ArrayRef<const Tensor *> operands);

/// The same for a family with ops of several results: one tensor per
/// result, in order.
using KernelResults = std::optional<FailureOr<SmallVector<Tensor>>>;

KernelResults evaluateCompressionOp(Operation *op,
                                    ArrayRef<const Tensor *> operands);
KernelResults evaluateQuantOp(Operation *op, ArrayRef<const Tensor *> operands);
/// The collectives in a world of one rank (the identity); an error for ops
/// built for more ranks and for send/recv.
KernelResults evaluateCollectiveOp(Operation *op,
                                   ArrayRef<const Tensor *> operands);

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

/// Rounds `value` to the float type `elementType` (nearest, ties to even).
double roundToFloat(double value, Type elementType);
/// Wraps `value` to the integer type `elementType` (two's complement; i1 is
/// 1 for any nonzero value).
int64_t wrapToInteger(int64_t value, Type elementType);
/// float -> integer: truncates toward zero (NaN is 0, saturating at the i64
/// range), then wraps; to i1, nonzero (and NaN) is 1.
int64_t floatToInteger(double value, Type elementType);
/// integer -> float, rounded once to the element type.
double integerToFloat(int64_t value, Type elementType);

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

/// Row-major strides of `shape`.
SmallVector<int64_t> computeStrides(ArrayRef<int64_t> shape);

/// For every element (row-major) of `resultShape`, the row-major index of the
/// element of a `shape` tensor that NumPy broadcasting maps onto it.
std::vector<int64_t> broadcastIndices(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> resultShape);

/// A tensor of `type` whose element i is element `sourceIndices[i]` of
/// `source` (same element type).
Tensor gatherElements(const Tensor &source, RankedTensorType type,
                      ArrayRef<int64_t> sourceIndices);

/// The product of `shape`'s sizes.
int64_t numElements(ArrayRef<int64_t> shape);

/// The index (0-based, along `count` elements `stride` apart) of the first
/// maximum of `data`, NaN counting as the maximum (torch.argmax).
int64_t firstArgmax(const double *data, int64_t count, int64_t stride);

/// The type of `value` as a ranked tensor type.
inline RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

} // namespace mlir::mlopt::reference

#endif // MLOPT_LIB_REFERENCE_KERNELS_H
