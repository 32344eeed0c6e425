//===- LowPrecision.cpp - f16/bf16 compute ops widened to f32 -------------===//
//
// An op computing from f16/bf16 tensors becomes the same op on f32 between
// mlopt.cast ops: its operands are extended, it computes (and accumulates)
// in f32, and each result is rounded once to the low type. That is what the
// reference evaluator does (one rounding per op, like PyTorch's CPU kernels),
// and it works on every CPU: the arithmetic needs no native f16/bf16
// instructions. After lowering, mlopt-fuse-elementwise merges the casts into
// the generics around them, so an elementwise chain keeps no f32 copies.
//
// Ops of the `low_precision` class (the matrix products) are left to their
// own lowerings, which read the low-precision operands directly and
// accumulate in f32 (NN.cpp). So are the collectives (the ops on the
// communicator): the runtime moves their tensors in their own type, which
// the communicated bytes count, and reduces f16/bf16 in f32 itself
// (Collective.cpp).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

/// `type` with an f16/bf16 element type replaced by f32; other types as
/// they are.
static Type widenType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !isLowPrecisionFloat(tensor.getElementType()))
    return type;
  return tensor.clone(Float32Type::get(type.getContext()));
}

static bool hasLowPrecisionType(TypeRange types) {
  return llvm::any_of(types, [](Type type) { return widenType(type) != type; });
}

namespace {

struct WidenLowPrecisionPattern : public RewritePattern {
  /// Above the lowerings' benefit (1), so an op is widened before it would
  /// be lowered in its own type.
  explicit WidenLowPrecisionPattern(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    auto precision = dyn_cast<PrecisionOpInterface>(op);
    if (!precision || isa<CastOp>(op) || op->getNumRegions() != 0)
      return failure();
    if (precision.getPrecisionClass() == PrecisionClass::LowPrecision ||
        usesCommunicator(op))
      return failure();
    // Only ops that compute results from f16/bf16 operands: the ones that
    // make values of their declared type from nothing else (constant,
    // state_read, initial_value, one_hot) already produce them exactly, and
    // state_write has no result.
    if (op->getNumResults() == 0 || !hasLowPrecisionType(op->getOperandTypes()))
      return failure();

    Location loc = op->getLoc();
    IRMapping mapping;
    for (Value operand : op->getOperands()) {
      Type wide = widenType(operand.getType());
      if (wide != operand.getType())
        mapping.map(operand, CastOp::create(rewriter, loc, wide, operand));
    }
    Operation *wideOp = rewriter.clone(*op, mapping);
    SmallVector<Value> results;
    for (auto [result, wideResult] :
         llvm::zip_equal(op->getResults(), wideOp->getResults())) {
      Type wide = widenType(result.getType());
      wideResult.setType(wide);
      results.push_back(
          wide == result.getType()
              ? Value(wideResult)
              : Value(CastOp::create(rewriter, loc, result.getType(),
                                     wideResult)));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptLowPrecisionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<WidenLowPrecisionPattern>(patterns.getContext());
}
