//===- LoweringUtils.h - builders shared by the mlopt lowerings -*- C++ -*-===//

#ifndef MLOPT_LIB_CONVERSION_MLOPTTOLINALG_LOWERINGUTILS_H
#define MLOPT_LIB_CONVERSION_MLOPTTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

namespace mlir::mlopt::lowering {

/// Body of a linalg.generic: receives the block arguments (inputs, then
/// outputs) and returns the values to yield.
using BodyBuilder =
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;

/// The type of `value` as a ranked tensor type.
inline RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The dimensions [0, rank).
SmallVector<int64_t> allDims(int64_t rank);

/// `tensor.empty` of `type`.
Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type);

/// A scalar constant of `type` (float or integer) holding `value`.
Value createScalar(OpBuilder &b, Location loc, Type type, double value);

/// `linalg.fill` of `scalar` into a new tensor of `type`.
Value createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                   Value scalar);

/// Indexing map reading an operand of shape `operandShape` inside a loop nest
/// over `resultShape`, with NumPy broadcasting (dims aligned from the right,
/// size-1 dims read at 0).
AffineMap getBroadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                          ArrayRef<int64_t> resultShape);

/// Map over `rank` loops that drops the (sorted) `droppedDims`.
AffineMap getDroppingMap(MLIRContext *ctx, unsigned rank,
                         ArrayRef<int64_t> droppedDims);

/// One `linalg.generic` with all-parallel loops over `resultType`, reading
/// `operands` with broadcasting maps; `body` sees the operand elements then
/// the (unused) output element.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange operands,
                       RankedTensorType resultType, BodyBuilder body);

/// One `linalg.generic` with all-parallel loops over `resultType`, reading
/// `inputs` through `inputMaps` and writing through the identity; `body` sees
/// the input elements then the (unused) output element.
Value buildParallelGeneric(OpBuilder &b, Location loc,
                           RankedTensorType resultType, ValueRange inputs,
                           ArrayRef<AffineMap> inputMaps, BodyBuilder body);

/// A generic over `iterShape`, reading `inputs` with `inputMaps`, reducing
/// `reducedDims` (sorted) into tensors of `iterShape` without those dims,
/// initialized with `inits` (scalars, one per result). `body` receives the
/// input elements then the accumulators.
SmallVector<Value> buildReduction(OpBuilder &b, Location loc, ValueRange inputs,
                                  ArrayRef<AffineMap> inputMaps,
                                  ArrayRef<int64_t> iterShape,
                                  ArrayRef<int64_t> reducedDims,
                                  ValueRange inits, BodyBuilder body);

/// The value to accumulate, from the input elements of one iteration.
using TermBuilder = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// The float sum of `term` over `reducedDims` of `iterShape` (a reduction as
/// buildReduction, starting from 0 in `elementType`).
Value buildSum(OpBuilder &b, Location loc, ValueRange inputs,
               ArrayRef<AffineMap> inputMaps, ArrayRef<int64_t> iterShape,
               ArrayRef<int64_t> reducedDims, Type elementType,
               TermBuilder term);

/// `value / divisor` elementwise, the divisor a constant of the element type.
Value divideByConstant(OpBuilder &b, Location loc, Value value, double divisor);

/// The row-major linear index (i64) of the current iteration of a generic
/// over `shape`; call inside a generic body.
Value buildLinearIndex(OpBuilder &b, Location loc, ArrayRef<int64_t> shape);

/// Reshapes `value` to `type` (same element count) with collapse/expand
/// shape ops.
Value reshapeTensor(OpBuilder &b, Location loc, Value value,
                    RankedTensorType type);

/// Converts the integer `value` to an index clamped into [0, size).
Value clampToIndex(OpBuilder &b, Location loc, Value value, int64_t size);

/// Converts a scalar between float and integer types as mlopt.cast does.
Value convertScalar(OpBuilder &b, Location loc, Value value, Type to);

/// Whether `type` is f16 or bf16: a float type that the lowerings widen to
/// f32 for arithmetic (docs/CpuLowering.md, "Low precision").
bool isLowPrecisionFloat(Type type);

/// The element type a matrix product of `elementType` operands accumulates
/// in: f32 for f16/bf16, else `elementType` itself.
Type getAccumulatorType(Type elementType);

/// `value` with its elements converted to `elementType` (one elementwise
/// generic, as mlopt.cast), or `value` itself when the type is already
/// `elementType`.
Value convertElements(OpBuilder &b, Location loc, Value value,
                      Type elementType);

/// The generator of docs/TrainingIR.md on i64 values (wrapping arithmetic):
/// bits(seed, stream, index), and uniform in [0, 1) as f64.
Value buildRandomBits(OpBuilder &b, Location loc, Value seed, Value stream,
                      Value index);
Value buildRandomUniform(OpBuilder &b, Location loc, Value seed, Value stream,
                         Value index);
/// seedKey(seed, stream, index) (`#mlopt.from_seed`) and dropoutKey(state)
/// (the seed of a dropout's mask), as i64.
Value buildSeedKey(OpBuilder &b, Location loc, Value seed, Value stream,
                   Value index);
Value buildDropoutKey(OpBuilder &b, Location loc, Value state);

/// max and sum(exp(x - max)) along `dim` (both with `dim` dropped): the
/// shared part of softmax, log_softmax and cross_entropy.
std::pair<Value, Value> buildSoftmaxStats(OpBuilder &b, Location loc, Value x,
                                          int64_t dim);

/// The index (i64) of the first maximum along `dim`, NaN counting as the
/// maximum (torch.argmax); `dim` is dropped from the result.
Value buildArgmax(OpBuilder &b, Location loc, Value x, int64_t dim);

} // namespace mlir::mlopt::lowering

#endif // MLOPT_LIB_CONVERSION_MLOPTTOLINALG_LOWERINGUTILS_H
