//===- VJPUtils.h - helpers shared by the VJP rules -------------*- C++ -*-===//
//
// Small builders the per-family VJP files share. Every helper emits mlopt
// ops only, so a VJP is lowered like any other forward computation.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_DIALECT_MLOPT_IR_VJPUTILS_H
#define MLOPT_LIB_DIALECT_MLOPT_IR_VJPUTILS_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

namespace mlir::mlopt::vjp {

inline RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Resets `cotangents` to one null (zero) value per operand of `op`, and
/// reports whether every result cotangent is null, in which case the VJP is
/// zero and nothing needs to be built.
bool initCotangents(Operation *op, ValueRange resultCotangents,
                    SmallVectorImpl<Value> &cotangents);

/// A splat `mlopt.constant` of `type`.
Value splat(OpBuilder &b, Location loc, RankedTensorType type, double value);

/// A 0-d `mlopt.constant`; it broadcasts against any operand shape.
Value scalar(OpBuilder &b, Location loc, Type elementType, double value);

/// The 0-d constant `value` in the element type of `like`.
Value scalarLike(OpBuilder &b, Location loc, Value like, double value);

Value add(OpBuilder &b, Location loc, Value lhs, Value rhs);
Value sub(OpBuilder &b, Location loc, Value lhs, Value rhs);
Value mul(OpBuilder &b, Location loc, Value lhs, Value rhs);
Value div(OpBuilder &b, Location loc, Value lhs, Value rhs);
Value neg(OpBuilder &b, Location loc, Value value);
/// `value * factor` with a 0-d constant factor.
Value scale(OpBuilder &b, Location loc, Value value, double factor);

/// `mlopt.sum` over `dims`; returns `value` itself when `dims` is empty.
Value sum(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> dims,
          bool keepDims);

/// `mlopt.reshape` to `type`; returns `value` when it already has it.
Value reshape(OpBuilder &b, Location loc, Value value, RankedTensorType type);

/// Sums a cotangent of the broadcast shape back to `type`, the shape of an
/// operand that NumPy broadcasting expanded: leading dimensions and
/// dimensions where the operand has size 1 are summed, then reshaped.
Value reduceToType(OpBuilder &b, Location loc, Value grad,
                   RankedTensorType type);

/// Broadcasts a reduction's cotangent back to the input type: `grad` has
/// the reduced shape (with or without kept dimensions).
Value expandReduced(OpBuilder &b, Location loc, Value grad,
                    RankedTensorType inputType, ArrayRef<int64_t> dims);

/// A float 0/1 mask from an `i1` tensor, in the element type of `like`.
Value maskToFloat(OpBuilder &b, Location loc, Value mask, Value like);

} // namespace mlir::mlopt::vjp

#endif // MLOPT_LIB_DIALECT_MLOPT_IR_VJPUTILS_H
