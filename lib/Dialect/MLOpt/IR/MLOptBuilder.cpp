//===- MLOptBuilder.cpp - one small emitter of mlopt ops ------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;

static RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

Value MLOptBuilder::splat(RankedTensorType type, double value) {
  Type elementType = type.getElementType();
  Attribute element = isa<FloatType>(elementType)
                          ? Attribute(builder.getFloatAttr(elementType, value))
                          : Attribute(builder.getIntegerAttr(
                                elementType, static_cast<int64_t>(value)));
  return ConstantOp::create(builder, loc,
                            DenseElementsAttr::get(type, element));
}

Value MLOptBuilder::constant(Type elementType, double value) {
  return splat(RankedTensorType::get({}, elementType), value);
}

Value MLOptBuilder::constantLike(Value like, double value) {
  return constant(tensorTypeOf(like).getElementType(), value);
}

Value MLOptBuilder::add(Value lhs, Value rhs) {
  return AddOp::create(builder, loc, lhs, rhs);
}
Value MLOptBuilder::sub(Value lhs, Value rhs) {
  return SubOp::create(builder, loc, lhs, rhs);
}
Value MLOptBuilder::mul(Value lhs, Value rhs) {
  return MulOp::create(builder, loc, lhs, rhs);
}
Value MLOptBuilder::div(Value lhs, Value rhs) {
  return DivOp::create(builder, loc, lhs, rhs);
}
Value MLOptBuilder::pow(Value lhs, Value rhs) {
  return PowOp::create(builder, loc, lhs, rhs);
}
Value MLOptBuilder::minimum(Value lhs, Value rhs) {
  return MinimumOp::create(builder, loc, lhs, rhs);
}
Value MLOptBuilder::maximum(Value lhs, Value rhs) {
  return MaximumOp::create(builder, loc, lhs, rhs);
}
Value MLOptBuilder::neg(Value input) {
  return NegOp::create(builder, loc, input);
}
Value MLOptBuilder::exp(Value input) {
  return ExpOp::create(builder, loc, input);
}
Value MLOptBuilder::log(Value input) {
  return LogOp::create(builder, loc, input);
}
Value MLOptBuilder::sqrt(Value input) {
  return SqrtOp::create(builder, loc, input);
}
Value MLOptBuilder::rsqrt(Value input) {
  return RsqrtOp::create(builder, loc, input);
}
Value MLOptBuilder::tanh(Value input) {
  return TanhOp::create(builder, loc, input);
}
Value MLOptBuilder::cos(Value input) {
  return CosOp::create(builder, loc, input);
}
Value MLOptBuilder::erf(Value input) {
  return ErfOp::create(builder, loc, input);
}

Value MLOptBuilder::scale(Value input, double factor) {
  return mul(input, constantLike(input, factor));
}

Value MLOptBuilder::compare(ComparePredicate predicate, Value lhs, Value rhs) {
  return CompareOp::create(builder, loc, predicate, lhs, rhs);
}

Value MLOptBuilder::select(Value condition, Value onTrue, Value onFalse) {
  return SelectOp::create(builder, loc, condition, onTrue, onFalse);
}

Value MLOptBuilder::cast(Value input, Type elementType) {
  RankedTensorType type = tensorTypeOf(input);
  if (type.getElementType() == elementType)
    return input;
  return CastOp::create(builder, loc, type.clone(elementType), input);
}

Value MLOptBuilder::maskToFloat(Value mask, Value like) {
  return select(mask, constantLike(like, 1.0), constantLike(like, 0.0));
}

Value MLOptBuilder::abs(Value input) {
  return AbsOp::create(builder, loc, input);
}

Value MLOptBuilder::increment(Value counter) {
  Type elementType = tensorTypeOf(counter).getElementType();
  Type f64 = builder.getF64Type();
  Value wide = cast(counter, f64);
  Value one = constant(f64, 1.0);
  return cast(add(wide, one), elementType);
}

Value MLOptBuilder::sum(Value input, ArrayRef<int64_t> dims, bool keepDims) {
  if (dims.empty())
    return input;
  return SumOp::create(builder, loc, input, dims, keepDims);
}

Value MLOptBuilder::sumAll(Value input) {
  int64_t rank = tensorTypeOf(input).getRank();
  return sum(input, llvm::to_vector(llvm::seq<int64_t>(0, rank)),
             /*keepDims=*/false);
}

Value MLOptBuilder::mean(Value input, ArrayRef<int64_t> dims, bool keepDims) {
  return MeanOp::create(builder, loc, input, dims, keepDims);
}

Value MLOptBuilder::reshape(Value input, RankedTensorType type) {
  if (input.getType() == type)
    return input;
  return ReshapeOp::create(builder, loc, type, input);
}

Value MLOptBuilder::broadcastTo(Value input, RankedTensorType type) {
  if (input.getType() == type)
    return input;
  return BroadcastToOp::create(builder, loc, type, input);
}

Value MLOptBuilder::transpose(Value input, ArrayRef<int64_t> permutation) {
  return TransposeOp::create(builder, loc, input, permutation);
}

Value MLOptBuilder::transposeLastTwo(Value input) {
  int64_t rank = tensorTypeOf(input).getRank();
  SmallVector<int64_t> permutation =
      llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(permutation[rank - 1], permutation[rank - 2]);
  return transpose(input, permutation);
}

Value MLOptBuilder::sumToType(Value value, RankedTensorType type) {
  if (value.getType() == type)
    return value;
  ArrayRef<int64_t> shape = tensorTypeOf(value).getShape();
  ArrayRef<int64_t> target = type.getShape();
  int64_t leading =
      static_cast<int64_t>(shape.size()) - static_cast<int64_t>(target.size());
  SmallVector<int64_t> dims;
  for (int64_t i = 0, e = shape.size(); i < e; ++i)
    if (i < leading || (target[i - leading] == 1 && shape[i] != 1))
      dims.push_back(i);
  return reshape(sum(value, dims, /*keepDims=*/true), type);
}

Value MLOptBuilder::broadcastReduced(Value value, RankedTensorType type,
                                     ArrayRef<int64_t> dims) {
  auto kept = RankedTensorType::get(
      reducedShape(type.getShape(), dims, /*keepDims=*/true),
      type.getElementType());
  return broadcastTo(reshape(value, kept), type);
}
