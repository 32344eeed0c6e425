//===- MLOptBuilder.h - one small emitter of mlopt ops ----------*- C++ -*-===//
//
// The builder that every rule emitting mlopt IR shares: the VJP rules, the
// optimizer's update formulas and the passes that rewrite a training step
// (mixed-precision casts, loss scaling). It wraps an OpBuilder and a
// location, and covers the constants, arithmetic, reductions and shape
// adjustments those rules keep writing, so each exists once. Every method
// emits mlopt ops only (no other dialect), so what it builds is
// differentiated, lowered and evaluated like any user-written computation.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTBUILDER_H
#define MLOPT_DIALECT_MLOPT_IR_MLOPTBUILDER_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/IR/Builders.h"

namespace mlir::mlopt {

/// Builds mlopt ops at the insertion point of an OpBuilder, at one location.
/// Binary operations follow NumPy broadcasting, so a 0-d constant combines
/// with a tensor of any shape.
class MLOptBuilder {
public:
  MLOptBuilder(OpBuilder &builder, Location loc) : builder(builder), loc(loc) {}

  OpBuilder &getBuilder() const { return builder; }
  Location getLoc() const { return loc; }
  MLIRContext *getContext() const { return builder.getContext(); }

  //===--------------------------------------------------------------------===//
  // Constants
  //===--------------------------------------------------------------------===//

  /// A splat `mlopt.constant` of `type` (integers truncate `value`).
  Value splat(RankedTensorType type, double value);
  /// A 0-d constant of `elementType`.
  Value constant(Type elementType, double value);
  /// A 0-d constant in the element type of the tensor `like`.
  Value constantLike(Value like, double value);

  //===--------------------------------------------------------------------===//
  // Elementwise
  //===--------------------------------------------------------------------===//

  Value add(Value lhs, Value rhs);
  Value sub(Value lhs, Value rhs);
  Value mul(Value lhs, Value rhs);
  Value div(Value lhs, Value rhs);
  Value pow(Value lhs, Value rhs);
  Value minimum(Value lhs, Value rhs);
  Value maximum(Value lhs, Value rhs);
  Value neg(Value input);
  Value exp(Value input);
  Value log(Value input);
  Value sqrt(Value input);
  Value rsqrt(Value input);
  Value tanh(Value input);
  Value cos(Value input);
  Value erf(Value input);
  /// `input * factor` with a 0-d constant factor in the input's element type.
  Value scale(Value input, double factor);
  Value compare(ComparePredicate predicate, Value lhs, Value rhs);
  Value select(Value condition, Value onTrue, Value onFalse);
  /// `input` converted to `elementType` (same shape); `input` itself when it
  /// already has that element type.
  Value cast(Value input, Type elementType);
  /// A 0/1 tensor in the element type of `like` from the `i1` tensor `mask`.
  Value maskToFloat(Value mask, Value like);
  Value abs(Value input);
  /// `counter + 1` in the counter's element type (a step count, an RNG
  /// seed). The dialect has no integer add, so the sum is computed in f64,
  /// which is exact for counts below 2^53.
  Value increment(Value counter);

  //===--------------------------------------------------------------------===//
  // Reductions and shapes
  //===--------------------------------------------------------------------===//

  /// `mlopt.sum` over `dims`; `input` itself when `dims` is empty.
  Value sum(Value input, ArrayRef<int64_t> dims, bool keepDims);
  /// The sum of every element, a 0-d tensor (`input` itself when 0-d).
  Value sumAll(Value input);
  /// `mlopt.mean` over `dims`.
  Value mean(Value input, ArrayRef<int64_t> dims, bool keepDims);
  /// `mlopt.reshape` to `type`; `input` itself when it already has it.
  Value reshape(Value input, RankedTensorType type);
  /// `mlopt.broadcast_to` `type`; `input` itself when it already has it.
  Value broadcastTo(Value input, RankedTensorType type);
  Value transpose(Value input, ArrayRef<int64_t> permutation);
  /// Swaps the last two dimensions.
  Value transposeLastTwo(Value input);

  /// Sums `value`, of a shape that NumPy broadcasting produced from `type`,
  /// back to `type`: the leading dimensions and those where `type` has size
  /// 1 are summed, then the result is reshaped (the adjoint of broadcasting).
  Value sumToType(Value value, RankedTensorType type);
  /// Broadcasts `value`, the result of reducing a tensor of `type` over
  /// `dims` (with or without kept dimensions), back to `type` (the adjoint of
  /// a sum).
  Value broadcastReduced(Value value, RankedTensorType type,
                         ArrayRef<int64_t> dims);

private:
  OpBuilder &builder;
  Location loc;
};

} // namespace mlir::mlopt

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTBUILDER_H
