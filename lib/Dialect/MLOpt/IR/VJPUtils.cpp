//===- VJPUtils.cpp - helpers shared by the VJP rules ---------------------===//

#include "VJPUtils.h"

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;

bool vjp::initCotangents(Operation *op, ValueRange resultCotangents,
                         SmallVectorImpl<Value> &cotangents) {
  cotangents.assign(op->getNumOperands(), Value());
  return llvm::all_of(resultCotangents, [](Value v) { return !v; });
}

Value vjp::splat(OpBuilder &b, Location loc, RankedTensorType type,
                 double value) {
  Type elementType = type.getElementType();
  Attribute element = isa<FloatType>(elementType)
                          ? Attribute(b.getFloatAttr(elementType, value))
                          : Attribute(b.getIntegerAttr(
                                elementType, static_cast<int64_t>(value)));
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, element));
}

Value vjp::scalar(OpBuilder &b, Location loc, Type elementType, double value) {
  return splat(b, loc, RankedTensorType::get({}, elementType), value);
}

Value vjp::scalarLike(OpBuilder &b, Location loc, Value like, double value) {
  return scalar(b, loc, tensorType(like).getElementType(), value);
}

Value vjp::add(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return AddOp::create(b, loc, lhs, rhs);
}
Value vjp::sub(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return SubOp::create(b, loc, lhs, rhs);
}
Value vjp::mul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return MulOp::create(b, loc, lhs, rhs);
}
Value vjp::div(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return DivOp::create(b, loc, lhs, rhs);
}
Value vjp::neg(OpBuilder &b, Location loc, Value value) {
  return NegOp::create(b, loc, value);
}
Value vjp::scale(OpBuilder &b, Location loc, Value value, double factor) {
  return mul(b, loc, value, scalarLike(b, loc, value, factor));
}

Value vjp::sum(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> dims,
               bool keepDims) {
  if (dims.empty())
    return value;
  return SumOp::create(b, loc, value, dims, keepDims);
}

Value vjp::reshape(OpBuilder &b, Location loc, Value value,
                   RankedTensorType type) {
  if (value.getType() == type)
    return value;
  return ReshapeOp::create(b, loc, type, value);
}

Value vjp::reduceToType(OpBuilder &b, Location loc, Value grad,
                        RankedTensorType type) {
  if (grad.getType() == type)
    return grad;
  ArrayRef<int64_t> gradShape = tensorType(grad).getShape();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t leading = static_cast<int64_t>(gradShape.size()) -
                    static_cast<int64_t>(shape.size());
  SmallVector<int64_t> dims;
  for (int64_t i = 0, e = gradShape.size(); i < e; ++i)
    if (i < leading || (shape[i - leading] == 1 && gradShape[i] != 1))
      dims.push_back(i);
  return reshape(b, loc, sum(b, loc, grad, dims, /*keepDims=*/true), type);
}

Value vjp::expandReduced(OpBuilder &b, Location loc, Value grad,
                         RankedTensorType inputType, ArrayRef<int64_t> dims) {
  RankedTensorType kept = RankedTensorType::get(
      reducedShape(inputType.getShape(), dims, /*keepDims=*/true),
      inputType.getElementType());
  Value value = reshape(b, loc, grad, kept);
  if (kept == inputType)
    return value;
  return BroadcastToOp::create(b, loc, inputType, value);
}

Value vjp::maskToFloat(OpBuilder &b, Location loc, Value mask, Value like) {
  return SelectOp::create(b, loc, mask, scalarLike(b, loc, like, 1.0),
                          scalarLike(b, loc, like, 0.0));
}
