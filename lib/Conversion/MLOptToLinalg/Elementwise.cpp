//===- Elementwise.cpp - elementwise mlopt ops to linalg.generic ----------===//
//
// Each op becomes one linalg.generic whose indexing maps broadcast the
// operands (NumPy rules), so mlopt-fuse-elementwise can fuse chains.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

namespace {

/// Scalar formula of an elementwise op: operand elements in, result out.
template <typename OpTy>
using ScalarFn = Value (*)(OpBuilder &, Location, OpTy, ValueRange);

template <typename OpTy>
struct ElementwisePattern : public OpRewritePattern<OpTy> {
  ElementwisePattern(MLIRContext *ctx, ScalarFn<OpTy> fn)
      : OpRewritePattern<OpTy>(ctx), fn(fn) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    unsigned numOperands = op->getNumOperands();
    Value result =
        buildElementwise(rewriter, op.getLoc(), op->getOperands(), resultType,
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return SmallVector<Value>{
                               fn(b, loc, op, args.take_front(numOperands))};
                         });
    rewriter.replaceOp(op, result);
    return success();
  }

  ScalarFn<OpTy> fn;
};

template <typename OpTy>
void add(RewritePatternSet &patterns, ScalarFn<OpTy> fn) {
  patterns.add<ElementwisePattern<OpTy>>(patterns.getContext(), fn);
}

Value constantLike(OpBuilder &b, Location loc, Value like, double value) {
  return createScalar(b, loc, like.getType(), value);
}

Value buildGelu(OpBuilder &b, Location loc, GeluOp op, ValueRange args) {
  Value x = args[0];
  Value half = constantLike(b, loc, x, 0.5);
  Value one = constantLike(b, loc, x, 1.0);
  if (op.getApproximate() == GeluApproximation::Tanh) {
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
    Value x3 =
        arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
    Value inner = arith::AddFOp::create(
        b, loc, x,
        arith::MulFOp::create(b, loc, constantLike(b, loc, x, 0.044715), x3));
    inner = arith::MulFOp::create(
        b, loc, constantLike(b, loc, x, std::sqrt(2.0 / M_PI)), inner);
    Value t = math::TanhOp::create(b, loc, inner);
    return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x),
                                 arith::AddFOp::create(b, loc, one, t));
  }
  // x * 0.5 * (1 + erf(x / sqrt(2)))
  Value scaled =
      arith::MulFOp::create(b, loc, x, constantLike(b, loc, x, M_SQRT1_2));
  Value cdf = arith::MulFOp::create(
      b, loc, half,
      arith::AddFOp::create(b, loc, one, math::ErfOp::create(b, loc, scaled)));
  return arith::MulFOp::create(b, loc, x, cdf);
}

Value buildCompare(OpBuilder &b, Location loc, CompareOp op, ValueRange args) {
  Value lhs = args[0], rhs = args[1];
  ComparePredicate predicate = op.getPredicate();
  if (isa<FloatType>(lhs.getType())) {
    // Ordered comparisons: false with NaN, except `ne` (unordered).
    arith::CmpFPredicate p = arith::CmpFPredicate::OEQ;
    switch (predicate) {
    case ComparePredicate::EQ:
      p = arith::CmpFPredicate::OEQ;
      break;
    case ComparePredicate::NE:
      p = arith::CmpFPredicate::UNE;
      break;
    case ComparePredicate::LT:
      p = arith::CmpFPredicate::OLT;
      break;
    case ComparePredicate::LE:
      p = arith::CmpFPredicate::OLE;
      break;
    case ComparePredicate::GT:
      p = arith::CmpFPredicate::OGT;
      break;
    case ComparePredicate::GE:
      p = arith::CmpFPredicate::OGE;
      break;
    }
    return arith::CmpFOp::create(b, loc, p, lhs, rhs);
  }
  arith::CmpIPredicate p = arith::CmpIPredicate::eq;
  switch (predicate) {
  case ComparePredicate::EQ:
    p = arith::CmpIPredicate::eq;
    break;
  case ComparePredicate::NE:
    p = arith::CmpIPredicate::ne;
    break;
  case ComparePredicate::LT:
    p = arith::CmpIPredicate::slt;
    break;
  case ComparePredicate::LE:
    p = arith::CmpIPredicate::sle;
    break;
  case ComparePredicate::GT:
    p = arith::CmpIPredicate::sgt;
    break;
  case ComparePredicate::GE:
    p = arith::CmpIPredicate::sge;
    break;
  }
  return arith::CmpIOp::create(b, loc, p, lhs, rhs);
}

} // namespace

void mlir::mlopt::populateMLOptElementwiseToLinalgPatterns(
    RewritePatternSet &patterns) {
  // Unary.
  add<NegOp>(patterns,
             [](OpBuilder &b, Location loc, NegOp, ValueRange a) -> Value {
               return arith::NegFOp::create(b, loc, a[0]);
             });
  add<ExpOp>(patterns,
             [](OpBuilder &b, Location loc, ExpOp, ValueRange a) -> Value {
               return math::ExpOp::create(b, loc, a[0]);
             });
  add<LogOp>(patterns,
             [](OpBuilder &b, Location loc, LogOp, ValueRange a) -> Value {
               return math::LogOp::create(b, loc, a[0]);
             });
  add<SqrtOp>(patterns,
              [](OpBuilder &b, Location loc, SqrtOp, ValueRange a) -> Value {
                return math::SqrtOp::create(b, loc, a[0]);
              });
  add<RsqrtOp>(
      patterns, [](OpBuilder &b, Location loc, RsqrtOp, ValueRange a) -> Value {
        // 1 / sqrt(x) rather than an approximate reciprocal square root.
        return arith::DivFOp::create(b, loc, constantLike(b, loc, a[0], 1.0),
                                     math::SqrtOp::create(b, loc, a[0]));
      });
  add<ReluOp>(patterns,
              [](OpBuilder &b, Location loc, ReluOp, ValueRange a) -> Value {
                // maximumf propagates NaN, as torch.relu.
                return arith::MaximumFOp::create(
                    b, loc, a[0], constantLike(b, loc, a[0], 0.0));
              });
  add<SigmoidOp>(
      patterns,
      [](OpBuilder &b, Location loc, SigmoidOp, ValueRange a) -> Value {
        Value one = constantLike(b, loc, a[0], 1.0);
        Value e =
            math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, a[0]));
        return arith::DivFOp::create(b, loc, one,
                                     arith::AddFOp::create(b, loc, one, e));
      });
  add<TanhOp>(patterns,
              [](OpBuilder &b, Location loc, TanhOp, ValueRange a) -> Value {
                return math::TanhOp::create(b, loc, a[0]);
              });
  add<AbsOp>(patterns,
             [](OpBuilder &b, Location loc, AbsOp, ValueRange a) -> Value {
               return math::AbsFOp::create(b, loc, a[0]);
             });
  add<CosOp>(patterns,
             [](OpBuilder &b, Location loc, CosOp, ValueRange a) -> Value {
               return math::CosOp::create(b, loc, a[0]);
             });
  add<ErfOp>(patterns,
             [](OpBuilder &b, Location loc, ErfOp, ValueRange a) -> Value {
               return math::ErfOp::create(b, loc, a[0]);
             });
  add<GeluOp>(patterns, buildGelu);

  // Binary, broadcasting through the indexing maps.
  add<AddOp>(patterns,
             [](OpBuilder &b, Location loc, AddOp, ValueRange a) -> Value {
               return arith::AddFOp::create(b, loc, a[0], a[1]);
             });
  add<SubOp>(patterns,
             [](OpBuilder &b, Location loc, SubOp, ValueRange a) -> Value {
               return arith::SubFOp::create(b, loc, a[0], a[1]);
             });
  add<MulOp>(patterns,
             [](OpBuilder &b, Location loc, MulOp, ValueRange a) -> Value {
               return arith::MulFOp::create(b, loc, a[0], a[1]);
             });
  add<DivOp>(patterns,
             [](OpBuilder &b, Location loc, DivOp, ValueRange a) -> Value {
               return arith::DivFOp::create(b, loc, a[0], a[1]);
             });
  add<PowOp>(patterns,
             [](OpBuilder &b, Location loc, PowOp, ValueRange a) -> Value {
               return math::PowFOp::create(b, loc, a[0], a[1]);
             });
  add<MaximumOp>(
      patterns,
      [](OpBuilder &b, Location loc, MaximumOp, ValueRange a) -> Value {
        return arith::MaximumFOp::create(b, loc, a[0], a[1]);
      });
  add<MinimumOp>(
      patterns,
      [](OpBuilder &b, Location loc, MinimumOp, ValueRange a) -> Value {
        return arith::MinimumFOp::create(b, loc, a[0], a[1]);
      });
  add<CompareOp>(patterns, buildCompare);
  add<SelectOp>(
      patterns,
      [](OpBuilder &b, Location loc, SelectOp, ValueRange a) -> Value {
        return arith::SelectOp::create(b, loc, a[0], a[1], a[2]);
      });
  add<CastOp>(patterns,
              [](OpBuilder &b, Location loc, CastOp op, ValueRange a) -> Value {
                return convertScalar(b, loc, a[0],
                                     getElementTypeOrSelf(op.getType()));
              });
}
