//===- ElementwiseVJP.cpp - VJP rules of the elementwise ops --------------===//
//
// Unary rules reuse the forward result where it is cheaper than recomputing
// (exp, sqrt, sigmoid, tanh); binary rules sum the cotangent back over the
// dimensions that broadcasting added to each operand.
//
//===----------------------------------------------------------------------===//

#include "VJPUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

static Value compare(OpBuilder &b, Location loc, ComparePredicate predicate,
                     Value lhs, Value rhs) {
  return CompareOp::create(b, loc, predicate, lhs, rhs);
}

static Value select(OpBuilder &b, Location loc, Value condition, Value onTrue,
                    Value onFalse) {
  return SelectOp::create(b, loc, condition, onTrue, onFalse);
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

namespace {
/// dx from the input `x`, the result `y` and the result cotangent `g`.
using UnaryRule =
    function_ref<Value(OpBuilder &, Location, Value x, Value y, Value g)>;
} // namespace

static LogicalResult unaryVJP(Operation *op, OpBuilder &b,
                              ValueRange resultCotangents,
                              SmallVectorImpl<Value> &operandCotangents,
                              UnaryRule rule) {
  if (initCotangents(op, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] = rule(b, op->getLoc(), op->getOperand(0),
                              op->getResult(0), resultCotangents[0]);
  return success();
}

#define MLOPT_UNARY_VJP(OP, ...)                                               \
  LogicalResult OP::buildVJP(OpBuilder &builder, ValueRange resultCotangents,  \
                             SmallVectorImpl<Value> &operandCotangents) {      \
    return unaryVJP(                                                           \
        *this, builder, resultCotangents, operandCotangents,                   \
        [](OpBuilder &b, Location loc, Value x, Value y, Value g) -> Value {   \
          (void)x;                                                             \
          (void)y;                                                             \
          __VA_ARGS__                                                          \
        });                                                                    \
  }

MLOPT_UNARY_VJP(NegOp, { return neg(b, loc, g); })
MLOPT_UNARY_VJP(ExpOp, { return mul(b, loc, g, y); })
MLOPT_UNARY_VJP(LogOp, { return div(b, loc, g, x); })
// d sqrt(x) = 1 / (2 sqrt(x)).
MLOPT_UNARY_VJP(SqrtOp, { return div(b, loc, g, scale(b, loc, y, 2.0)); })
// d x^(-1/2) = -x^(-3/2) / 2 = -y^3 / 2.
MLOPT_UNARY_VJP(RsqrtOp, {
  Value cube = mul(b, loc, mul(b, loc, y, y), y);
  return mul(b, loc, g, scale(b, loc, cube, -0.5));
})
MLOPT_UNARY_VJP(ReluOp, {
  Value zero = scalarLike(b, loc, x, 0.0);
  return select(b, loc, compare(b, loc, ComparePredicate::GT, x, zero), g,
                zero);
})
MLOPT_UNARY_VJP(SigmoidOp, {
  Value oneMinusY = sub(b, loc, scalarLike(b, loc, y, 1.0), y);
  return mul(b, loc, g, mul(b, loc, y, oneMinusY));
})
MLOPT_UNARY_VJP(TanhOp, {
  Value oneMinusY2 = sub(b, loc, scalarLike(b, loc, y, 1.0), mul(b, loc, y, y));
  return mul(b, loc, g, oneMinusY2);
})
// sign(x) * g, with PyTorch's zero gradient at x = 0.
MLOPT_UNARY_VJP(AbsOp, {
  Value zero = scalarLike(b, loc, x, 0.0);
  Value negative =
      select(b, loc, compare(b, loc, ComparePredicate::LT, x, zero),
             neg(b, loc, g), zero);
  return select(b, loc, compare(b, loc, ComparePredicate::GT, x, zero), g,
                negative);
})
// d cos(x) = -sin(x) = -cos(x - pi/2); the dialect has no sin.
MLOPT_UNARY_VJP(CosOp, {
  Value shifted = sub(b, loc, x, scalarLike(b, loc, x, M_PI / 2));
  return neg(b, loc, mul(b, loc, g, CosOp::create(b, loc, shifted)));
})
// d erf(x) = 2 / sqrt(pi) * exp(-x^2).
MLOPT_UNARY_VJP(ErfOp, {
  Value gauss = ExpOp::create(b, loc, neg(b, loc, mul(b, loc, x, x)));
  return mul(b, loc, g, scale(b, loc, gauss, 2.0 / std::sqrt(M_PI)));
})
#undef MLOPT_UNARY_VJP

LogicalResult GeluOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value x = getInput();
  Value one = scalarLike(b, loc, x, 1.0);
  Value x2 = mul(b, loc, x, x);
  Value derivative;
  if (getApproximate() == GeluApproximation::None) {
    // Phi(x) + x * phi(x), the Gaussian CDF and density.
    Value cdf = scale(
        b, loc,
        add(b, loc, one, ErfOp::create(b, loc, scale(b, loc, x, M_SQRT1_2))),
        0.5);
    Value pdf = scale(b, loc, ExpOp::create(b, loc, scale(b, loc, x2, -0.5)),
                      1.0 / std::sqrt(2.0 * M_PI));
    derivative = add(b, loc, cdf, mul(b, loc, x, pdf));
  } else {
    // y = x/2 (1 + t), t = tanh(k (x + c x^3)):
    // dy/dx = (1 + t)/2 + x/2 (1 - t^2) k (1 + 3c x^2).
    constexpr double c = 0.044715;
    const double k = std::sqrt(2.0 / M_PI);
    Value inner =
        scale(b, loc, add(b, loc, x, scale(b, loc, mul(b, loc, x2, x), c)), k);
    Value t = TanhOp::create(b, loc, inner);
    Value onePlusT = add(b, loc, one, t);
    Value sech2 = sub(b, loc, one, mul(b, loc, t, t));
    Value innerDerivative =
        scale(b, loc, add(b, loc, one, scale(b, loc, x2, 3.0 * c)), k);
    derivative = scale(b, loc,
                       add(b, loc, onePlusT,
                           mul(b, loc, x, mul(b, loc, sech2, innerDerivative))),
                       0.5);
  }
  operandCotangents[0] = mul(b, loc, resultCotangents[0], derivative);
  return success();
}

//===----------------------------------------------------------------------===//
// Binary, with broadcasting
//===----------------------------------------------------------------------===//

namespace {
/// (dx, dy) in the broadcast shape from the operands, result and cotangent.
using BinaryRule = function_ref<std::pair<Value, Value>(
    OpBuilder &, Location, Value x, Value y, Value z, Value g)>;
} // namespace

static LogicalResult binaryVJP(Operation *op, OpBuilder &b,
                               ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents,
                               BinaryRule rule) {
  if (initCotangents(op, resultCotangents, operandCotangents))
    return success();
  Location loc = op->getLoc();
  Value x = op->getOperand(0), y = op->getOperand(1);
  auto [dx, dy] = rule(b, loc, x, y, op->getResult(0), resultCotangents[0]);
  operandCotangents[0] = reduceToType(b, loc, dx, tensorType(x));
  operandCotangents[1] = reduceToType(b, loc, dy, tensorType(y));
  return success();
}

#define MLOPT_BINARY_VJP(OP, ...)                                              \
  LogicalResult OP::buildVJP(OpBuilder &builder, ValueRange resultCotangents,  \
                             SmallVectorImpl<Value> &operandCotangents) {      \
    return binaryVJP(*this, builder, resultCotangents, operandCotangents,      \
                     [](OpBuilder &b, Location loc, Value x, Value y, Value z, \
                        Value g) -> std::pair<Value, Value> {                  \
                       (void)x;                                                \
                       (void)y;                                                \
                       (void)z;                                                \
                       __VA_ARGS__                                             \
                     });                                                       \
  }

MLOPT_BINARY_VJP(AddOp, { return {g, g}; })
MLOPT_BINARY_VJP(SubOp, { return {g, neg(b, loc, g)}; })
MLOPT_BINARY_VJP(MulOp, { return {mul(b, loc, g, y), mul(b, loc, g, x)}; })
// d(x/y)/dy = -x/y^2 = -z/y.
MLOPT_BINARY_VJP(DivOp, {
  return {div(b, loc, g, y), neg(b, loc, div(b, loc, mul(b, loc, g, z), y))};
})
// As PyTorch: dx is 0 where y = 0 and dy is 0 where x = 0 and y >= 0, the
// points where the closed forms give 0 * inf.
MLOPT_BINARY_VJP(PowOp, {
  Value zero = scalarLike(b, loc, x, 0.0);
  Value yMinusOne = sub(b, loc, y, scalarLike(b, loc, y, 1.0));
  Value dx =
      mul(b, loc, g, mul(b, loc, y, PowOp::create(b, loc, x, yMinusOne)));
  dx = select(b, loc, compare(b, loc, ComparePredicate::EQ, y, zero), zero, dx);
  Value dy = mul(b, loc, g, mul(b, loc, z, LogOp::create(b, loc, x)));
  dy = select(
      b, loc, compare(b, loc, ComparePredicate::EQ, x, zero),
      select(b, loc, compare(b, loc, ComparePredicate::GE, y, zero), zero, dy),
      dy);
  return {dx, dy};
})
#undef MLOPT_BINARY_VJP

/// maximum/minimum: the winner takes the cotangent, ties split it evenly
/// (PyTorch's rule). `wins` is GT for maximum and LT for minimum.
static LogicalResult extremumVJP(Operation *op, OpBuilder &builder,
                                 ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents,
                                 ComparePredicate wins) {
  return binaryVJP(
      op, builder, resultCotangents, operandCotangents,
      [wins](OpBuilder &b, Location loc, Value x, Value y, Value,
             Value g) -> std::pair<Value, Value> {
        Value one = scalarLike(b, loc, x, 1.0);
        Value tie =
            select(b, loc, compare(b, loc, ComparePredicate::EQ, x, y),
                   scalarLike(b, loc, x, 0.5), scalarLike(b, loc, x, 0.0));
        Value weight = select(b, loc, compare(b, loc, wins, x, y), one, tie);
        return {mul(b, loc, g, weight),
                mul(b, loc, g, sub(b, loc, one, weight))};
      });
}

LogicalResult MaximumOp::buildVJP(OpBuilder &builder,
                                  ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  return extremumVJP(*this, builder, resultCotangents, operandCotangents,
                     ComparePredicate::GT);
}

LogicalResult MinimumOp::buildVJP(OpBuilder &builder,
                                  ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  return extremumVJP(*this, builder, resultCotangents, operandCotangents,
                     ComparePredicate::LT);
}

LogicalResult SelectOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value g = resultCotangents[0];
  Value zero = scalarLike(b, loc, g, 0.0);
  Value condition = getCondition();
  for (auto [index, operand] :
       llvm::enumerate(ValueRange{getOnTrue(), getOnFalse()})) {
    if (!isOperandDifferentiable(index + 1))
      continue;
    Value routed = index == 0 ? select(b, loc, condition, g, zero)
                              : select(b, loc, condition, zero, g);
    operandCotangents[index + 1] =
        reduceToType(b, loc, routed, tensorType(operand));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Casts
//===----------------------------------------------------------------------===//

bool CastOp::isOperandDifferentiable(unsigned) {
  return isa<FloatType>(getInput().getType().getElementType()) &&
         isa<FloatType>(getType().getElementType());
}

LogicalResult CastOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents) ||
      !isOperandDifferentiable(0))
    return success();
  operandCotangents[0] =
      CastOp::create(b, getLoc(), getInput().getType(), resultCotangents[0]);
  return success();
}
