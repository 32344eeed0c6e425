//===- Loss.cpp - losses and metrics to linalg reductions -----------------===//
//
// Each loss reduces to a 0-d tensor with one linalg.generic and divides by
// its count. Labels outside [0, C) are clamped into range (compiled code
// cannot raise; the runtime validates labels before a step).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

/// Averages `term(row, label, extra row values...)` over the rows of a [N]
/// label vector into a 0-d tensor of `elementType`.
static Value meanOverRows(
    OpBuilder &b, Location loc, Value labels, ValueRange perRow,
    Type elementType,
    function_ref<Value(OpBuilder &, Location, Value, Value, ValueRange)> term) {
  int64_t rows = tensorType(labels).getDimSize(0);
  SmallVector<Value> inputs = {labels};
  inputs.append(perRow.begin(), perRow.end());
  SmallVector<AffineMap> maps(
      inputs.size(), AffineMap::getMultiDimIdentityMap(1, b.getContext()));
  Value total = buildSum(b, loc, inputs, maps, {rows}, {0}, elementType,
                         [&](OpBuilder &nb, Location l, ValueRange args) {
                           Value row = linalg::IndexOp::create(nb, l, 0);
                           return term(nb, l, row, args[0], args.drop_front());
                         });
  return divideByConstant(b, loc, total, static_cast<double>(rows));
}

/// Sums `term(x, y)` over every element of two same-shaped tensors into a 0-d
/// tensor.
static Value sumOverElements(OpBuilder &b, Location loc, Value x, Value y,
                             TermBuilder term) {
  RankedTensorType type = tensorType(x);
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  return buildSum(b, loc, ValueRange{x, y}, {identity, identity},
                  type.getShape(), allDims(type.getRank()),
                  type.getElementType(), term);
}

namespace {

struct MseLossLowering : public OpRewritePattern<MseLossOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MseLossOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getInput());
    Value total =
        sumOverElements(rewriter, loc, op.getInput(), op.getTarget(),
                        [](OpBuilder &b, Location l, ValueRange args) -> Value {
                          Value d =
                              arith::SubFOp::create(b, l, args[0], args[1]);
                          return arith::MulFOp::create(b, l, d, d);
                        });
    rewriter.replaceOp(
        op, divideByConstant(rewriter, loc, total,
                             static_cast<double>(type.getNumElements())));
    return success();
  }
};

/// mean_n(max_n + log(sum_n exp(x - max_n)) - x[n, label_n]).
struct CrossEntropyLowering : public OpRewritePattern<CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits();
    RankedTensorType type = tensorType(logits);
    int64_t classes = type.getDimSize(1);
    auto [max, sum] = buildSoftmaxStats(rewriter, loc, logits, 1);
    Value mean =
        meanOverRows(rewriter, loc, op.getLabels(), ValueRange{max, sum},
                     type.getElementType(),
                     [&](OpBuilder &b, Location l, Value row, Value label,
                         ValueRange stats) -> Value {
                       Value column = clampToIndex(b, l, label, classes);
                       Value picked = tensor::ExtractOp::create(
                           b, l, logits, ValueRange{row, column});
                       Value lse = arith::AddFOp::create(
                           b, l, stats[0], math::LogOp::create(b, l, stats[1]));
                       return arith::SubFOp::create(b, l, lse, picked);
                     });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

struct NllLossLowering : public OpRewritePattern<NllLossOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NllLossOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    RankedTensorType type = tensorType(input);
    int64_t classes = type.getDimSize(1);
    Value mean = meanOverRows(
        rewriter, loc, op.getLabels(), {}, type.getElementType(),
        [&](OpBuilder &b, Location l, Value row, Value label,
            ValueRange) -> Value {
          Value column = clampToIndex(b, l, label, classes);
          return arith::NegFOp::create(
              b, l,
              tensor::ExtractOp::create(b, l, input, ValueRange{row, column}));
        });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

struct KLDivLowering : public OpRewritePattern<KLDivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(KLDivOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getInput());
    Type elementType = type.getElementType();
    unsigned rank = type.getRank();
    bool logTarget = op.getLogTarget();
    Value total = sumOverElements(
        rewriter, loc, op.getInput(), op.getTarget(),
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value x = args[0], t = args[1];
          if (logTarget)
            return arith::MulFOp::create(b, l, math::ExpOp::create(b, l, t),
                                         arith::SubFOp::create(b, l, t, x));
          // 0 where the target is 0 (PyTorch's xlogy convention).
          Value zero = createScalar(b, l, elementType, 0.0);
          Value raw = arith::MulFOp::create(
              b, l, t,
              arith::SubFOp::create(b, l, math::LogOp::create(b, l, t), x));
          Value isZero =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, t, zero);
          return arith::SelectOp::create(b, l, isZero, zero, raw);
        });
    double count = 1.0;
    switch (op.getReduction()) {
    case KLDivReduction::Mean:
      count = static_cast<double>(type.getNumElements());
      break;
    case KLDivReduction::BatchMean:
      count = rank == 0 ? 1.0 : static_cast<double>(type.getDimSize(0));
      break;
    case KLDivReduction::Sum:
      break;
    }
    if (op.getReduction() != KLDivReduction::Sum)
      total = divideByConstant(rewriter, loc, total, count);
    rewriter.replaceOp(op, total);
    return success();
  }
};

struct AccuracyLowering : public OpRewritePattern<AccuracyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AccuracyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type elementType = tensorType(op.getResult()).getElementType();
    Value predicted = buildArgmax(rewriter, loc, op.getLogits(), 1);
    Value mean = meanOverRows(
        rewriter, loc, op.getLabels(), ValueRange{predicted}, elementType,
        [&](OpBuilder &b, Location l, Value, Value label,
            ValueRange prediction) -> Value {
          Value hit = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::eq,
              convertScalar(b, l, label, b.getI64Type()), prediction[0]);
          return arith::SelectOp::create(b, l, hit,
                                         createScalar(b, l, elementType, 1.0),
                                         createScalar(b, l, elementType, 0.0));
        });
    rewriter.replaceOp(op, mean);
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptLossToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MseLossLowering, CrossEntropyLowering, NllLossLowering,
               KLDivLowering, AccuracyLowering>(patterns.getContext());
}
