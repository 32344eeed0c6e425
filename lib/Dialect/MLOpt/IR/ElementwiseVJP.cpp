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

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

namespace {
/// dx from the input `x`, the result `y` and the result cotangent `g`.
using UnaryRule =
    function_ref<Value(MLOptBuilder &, Value x, Value y, Value g)>;
} // namespace

static LogicalResult unaryVJP(Operation *op, OpBuilder &b,
                              ValueRange resultCotangents,
                              SmallVectorImpl<Value> &operandCotangents,
                              UnaryRule rule) {
  if (initCotangents(op, resultCotangents, operandCotangents))
    return success();
  MLOptBuilder e(b, op->getLoc());
  operandCotangents[0] =
      rule(e, op->getOperand(0), op->getResult(0), resultCotangents[0]);
  return success();
}

#define MLOPT_UNARY_VJP(OP, ...)                                               \
  LogicalResult OP::buildVJP(OpBuilder &builder, ValueRange resultCotangents,  \
                             SmallVectorImpl<Value> &operandCotangents) {      \
    return unaryVJP(*this, builder, resultCotangents, operandCotangents,       \
                    [](MLOptBuilder &e, Value x, Value y, Value g) -> Value {  \
                      (void)x;                                                 \
                      (void)y;                                                 \
                      __VA_ARGS__                                              \
                    });                                                        \
  }

MLOPT_UNARY_VJP(NegOp, { return e.neg(g); })
MLOPT_UNARY_VJP(ExpOp, { return e.mul(g, y); })
MLOPT_UNARY_VJP(LogOp, { return e.div(g, x); })
// d sqrt(x) = 1 / (2 sqrt(x)).
MLOPT_UNARY_VJP(SqrtOp, { return e.div(g, e.scale(y, 2.0)); })
// d x^(-1/2) = -x^(-3/2) / 2 = -y^3 / 2.
MLOPT_UNARY_VJP(RsqrtOp, {
  Value cube = e.mul(e.mul(y, y), y);
  return e.mul(g, e.scale(cube, -0.5));
})
MLOPT_UNARY_VJP(ReluOp, {
  Value zero = e.constantLike(x, 0.0);
  return e.select(e.compare(ComparePredicate::GT, x, zero), g, zero);
})
MLOPT_UNARY_VJP(SigmoidOp, {
  Value oneMinusY = e.sub(e.constantLike(y, 1.0), y);
  return e.mul(g, e.mul(y, oneMinusY));
})
MLOPT_UNARY_VJP(TanhOp, {
  Value oneMinusY2 = e.sub(e.constantLike(y, 1.0), e.mul(y, y));
  return e.mul(g, oneMinusY2);
})
// sign(x) * g, with PyTorch's zero gradient at x = 0.
MLOPT_UNARY_VJP(AbsOp, {
  Value zero = e.constantLike(x, 0.0);
  Value negative =
      e.select(e.compare(ComparePredicate::LT, x, zero), e.neg(g), zero);
  return e.select(e.compare(ComparePredicate::GT, x, zero), g, negative);
})
// d cos(x) = -sin(x) = -cos(x - pi/2); the dialect has no sin.
MLOPT_UNARY_VJP(CosOp, {
  Value shifted = e.sub(x, e.constantLike(x, M_PI / 2));
  return e.neg(e.mul(g, e.cos(shifted)));
})
// d erf(x) = 2 / sqrt(pi) * exp(-x^2).
MLOPT_UNARY_VJP(ErfOp, {
  Value gauss = e.exp(e.neg(e.mul(x, x)));
  return e.mul(g, e.scale(gauss, 2.0 / std::sqrt(M_PI)));
})
#undef MLOPT_UNARY_VJP

LogicalResult GeluOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value x = getInput();
  Value one = e.constantLike(x, 1.0);
  Value x2 = e.mul(x, x);
  Value derivative;
  if (getApproximate() == GeluApproximation::None) {
    // Phi(x) + x * phi(x), the Gaussian CDF and density.
    Value cdf = e.scale(e.add(one, e.erf(e.scale(x, M_SQRT1_2))), 0.5);
    Value pdf = e.scale(e.exp(e.scale(x2, -0.5)), 1.0 / std::sqrt(2.0 * M_PI));
    derivative = e.add(cdf, e.mul(x, pdf));
  } else {
    // y = x/2 (1 + t), t = tanh(k (x + c x^3)):
    // dy/dx = (1 + t)/2 + x/2 (1 - t^2) k (1 + 3c x^2).
    constexpr double c = 0.044715;
    const double k = std::sqrt(2.0 / M_PI);
    Value inner = e.scale(e.add(x, e.scale(e.mul(x2, x), c)), k);
    Value t = e.tanh(inner);
    Value onePlusT = e.add(one, t);
    Value sech2 = e.sub(one, e.mul(t, t));
    Value innerDerivative = e.scale(e.add(one, e.scale(x2, 3.0 * c)), k);
    derivative =
        e.scale(e.add(onePlusT, e.mul(x, e.mul(sech2, innerDerivative))), 0.5);
  }
  operandCotangents[0] = e.mul(resultCotangents[0], derivative);
  return success();
}

//===----------------------------------------------------------------------===//
// Binary, with broadcasting
//===----------------------------------------------------------------------===//

namespace {
/// (dx, dy) in the broadcast shape from the operands, result and cotangent.
using BinaryRule = function_ref<std::pair<Value, Value>(
    MLOptBuilder &, Value x, Value y, Value z, Value g)>;
} // namespace

static LogicalResult binaryVJP(Operation *op, OpBuilder &b,
                               ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents,
                               BinaryRule rule) {
  if (initCotangents(op, resultCotangents, operandCotangents))
    return success();
  Location loc = op->getLoc();
  Value x = op->getOperand(0), y = op->getOperand(1);
  MLOptBuilder e(b, loc);
  auto [dx, dy] = rule(e, x, y, op->getResult(0), resultCotangents[0]);
  operandCotangents[0] = e.sumToType(dx, tensorType(x));
  operandCotangents[1] = e.sumToType(dy, tensorType(y));
  return success();
}

#define MLOPT_BINARY_VJP(OP, ...)                                              \
  LogicalResult OP::buildVJP(OpBuilder &builder, ValueRange resultCotangents,  \
                             SmallVectorImpl<Value> &operandCotangents) {      \
    return binaryVJP(*this, builder, resultCotangents, operandCotangents,      \
                     [](MLOptBuilder &e, Value x, Value y, Value z,            \
                        Value g) -> std::pair<Value, Value> {                  \
                       (void)x;                                                \
                       (void)y;                                                \
                       (void)z;                                                \
                       __VA_ARGS__                                             \
                     });                                                       \
  }

MLOPT_BINARY_VJP(AddOp, { return {g, g}; })
MLOPT_BINARY_VJP(SubOp, { return {g, e.neg(g)}; })
MLOPT_BINARY_VJP(MulOp, { return {e.mul(g, y), e.mul(g, x)}; })
// d(x/y)/dy = -x/y^2 = -z/y.
MLOPT_BINARY_VJP(DivOp, { return {e.div(g, y), e.neg(e.div(e.mul(g, z), y))}; })
// As PyTorch: dx is 0 where y = 0 and dy is 0 where x = 0 and y >= 0, the
// points where the closed forms give 0 * inf.
MLOPT_BINARY_VJP(PowOp, {
  Value zero = e.constantLike(x, 0.0);
  Value yMinusOne = e.sub(y, e.constantLike(y, 1.0));
  Value dx = e.mul(g, e.mul(y, e.pow(x, yMinusOne)));
  dx = e.select(e.compare(ComparePredicate::EQ, y, zero), zero, dx);
  Value dy = e.mul(g, e.mul(z, e.log(x)));
  dy = e.select(e.compare(ComparePredicate::EQ, x, zero),
                e.select(e.compare(ComparePredicate::GE, y, zero), zero, dy),
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
  return binaryVJP(op, builder, resultCotangents, operandCotangents,
                   [wins](MLOptBuilder &e, Value x, Value y, Value,
                          Value g) -> std::pair<Value, Value> {
                     Value one = e.constantLike(x, 1.0);
                     Value tie = e.select(e.compare(ComparePredicate::EQ, x, y),
                                          e.constantLike(x, 0.5),
                                          e.constantLike(x, 0.0));
                     Value weight = e.select(e.compare(wins, x, y), one, tie);
                     return {e.mul(g, weight), e.mul(g, e.sub(one, weight))};
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
  MLOptBuilder e(b, loc);
  Value g = resultCotangents[0];
  Value zero = e.constantLike(g, 0.0);
  Value condition = getCondition();
  for (auto [index, operand] :
       llvm::enumerate(ValueRange{getOnTrue(), getOnFalse()})) {
    if (!isOperandDifferentiable(index + 1))
      continue;
    Value routed = index == 0 ? e.select(condition, g, zero)
                              : e.select(condition, zero, g);
    operandCotangents[index + 1] = e.sumToType(routed, tensorType(operand));
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
      MLOptBuilder(b, getLoc())
          .cast(resultCotangents[0], getInput().getType().getElementType());
  return success();
}
