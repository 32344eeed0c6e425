//===- ApproximateMath.cpp - inline polynomials instead of libm -----------===//
//
// Without this pass, f32 math ops that LLVM has no instruction for become
// libm calls (erff, expf, tanhf, ...), one per element: the loop vectorizer
// keeps such loops scalar and a GELU costs a function call per element.
// Upstream's polynomial approximations are plain arith / math.fma / bit
// casts, which vectorize like any elementwise code.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTAPPROXIMATEMATH
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

/// The ops of upstream's f32 approximations whose error is bounded over the
/// whole range. Not sin / cos: their range reduction (x - k pi/2 in f32)
/// loses accuracy in proportion to |x|, where libm stays exact; not rsqrt,
/// whose upstream approximation needs AVX2 vectors (RsqrtToDivSqrt below).
bool isApproximated(StringRef name) {
  return llvm::is_contained(
      {math::ErfOp::getOperationName(), math::ErfcOp::getOperationName(),
       math::ExpOp::getOperationName(), math::ExpM1Op::getOperationName(),
       math::LogOp::getOperationName(), math::Log2Op::getOperationName(),
       math::Log1pOp::getOperationName(), math::TanhOp::getOperationName()},
      name);
}

/// f16 and bf16 ops go through the f32 approximation (extf, op, truncf).
bool isComputedInF32(StringRef name) {
  return isApproximated(name) || name == math::RsqrtOp::getOperationName();
}

bool isF32(Value value) { return getElementTypeOrSelf(value).isF32(); }

Value splat(OpBuilder &b, Location loc, Type type, double value) {
  Type element = getElementTypeOrSelf(type);
  TypedAttr scalar = b.getFloatAttr(element, value);
  if (auto shaped = dyn_cast<ShapedType>(type))
    return arith::ConstantOp::create(b, loc,
                                     SplatElementsAttr::get(shaped, scalar));
  return arith::ConstantOp::create(b, loc, scalar);
}

/// rsqrt(x) = 1 / sqrt(x): a square root and a division instruction,
/// correctly rounded each, rather than convert-math-to-libm's call.
struct RsqrtToDivSqrt : public OpRewritePattern<math::RsqrtOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::RsqrtOp op,
                                PatternRewriter &rewriter) const override {
    if (!isF32(op.getOperand()))
      return rewriter.notifyMatchFailure(op, "not f32");
    Location loc = op.getLoc();
    Value sqrt = math::SqrtOp::create(rewriter, loc, op.getOperand(),
                                      op.getFastmathAttr());
    rewriter.replaceOpWithNewOp<arith::DivFOp>(
        op, splat(rewriter, loc, op.getType(), 1.0), sqrt);
    return success();
  }
};

/// The upstream log approximation raises inputs to the smallest normal
/// (log(1e-40) would be log(2^-126) = -87.3 instead of -92.1). Scale
/// positive denormals by 2^24 into the normal range and take 24 ln 2 (or
/// 24) back off: two selects, a multiply and a subtraction, vectorizable.
template <typename LogOpTy>
void rescaleDenormals(LogOpTy op, double logOfScale) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type type = op.getType();
  Value x = op.getOperand();
  // Also true for zero and negatives, whose log stays -inf / NaN scaled.
  Value isDenormal =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                            splat(b, loc, type, std::ldexp(1.0, -126)));
  Value scaled = arith::SelectOp::create(
      b, loc, isDenormal,
      arith::MulFOp::create(b, loc, x, splat(b, loc, type, 0x1p24)), x);
  Value log = LogOpTy::create(b, loc, scaled, op.getFastmathAttr());
  Value corrected = arith::SelectOp::create(
      b, loc, isDenormal,
      arith::SubFOp::create(b, loc, log, splat(b, loc, type, logOfScale)), log);
  op.getResult().replaceAllUsesWith(corrected);
  op.erase();
}

/// Rewrites only: after scf-to-cf, region simplification would merge the
/// loop blocks and folding every op of a large module is wasted time.
GreedyRewriteConfig rewriteOnly() {
  GreedyRewriteConfig config;
  config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
  config.enableFolding(false);
  return config;
}

struct ApproximateMathPass
    : public mlir::mlopt::impl::MLOptApproximateMathBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Operation *root = getOperation();

    // 1. f16 / bf16 -> f32 (f64 is left alone: the casts only apply to
    //    types narrower than f32), rsqrt -> 1 / sqrt. A benefit above
    //    upstream's own f16 erf / asin / acos patterns, which would compute
    //    in f16.
    {
      RewritePatternSet patterns(ctx);
      populateMathF32ExpansionPatterns(patterns, isComputedInF32,
                                       /*benefit=*/2);
      patterns.add<RsqrtToDivSqrt>(ctx);
      if (failed(
              applyPatternsGreedily(root, std::move(patterns), rewriteOnly())))
        return signalPassFailure();
    }

    // 2. Denormal inputs of log and log2 (zero and negatives are scaled too,
    //    harmlessly; inf and NaN are not).
    SmallVector<math::LogOp> logs;
    SmallVector<math::Log2Op> log2s;
    root->walk([&](Operation *op) {
      if (auto log = dyn_cast<math::LogOp>(op); log && isF32(log))
        logs.push_back(log);
      else if (auto log2 = dyn_cast<math::Log2Op>(op); log2 && isF32(log2))
        log2s.push_back(log2);
    });
    for (math::LogOp log : logs)
      rescaleDenormals(log, 24.0 * M_LN2);
    for (math::Log2Op log2 : log2s)
      rescaleDenormals(log2, 24.0);

    // 3. The f32 polynomials.
    RewritePatternSet patterns(ctx);
    populateMathPolynomialApproximationPatterns(patterns, isApproximated);
    if (failed(applyPatternsGreedily(root, std::move(patterns), rewriteOnly())))
      return signalPassFailure();
  }
};

} // namespace
