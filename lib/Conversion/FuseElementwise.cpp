//===- FuseElementwise.cpp - fuses elementwise linalg.generic chains ------===//
//
// Upstream's linalg-fuse-elementwise-ops also propagates reshapes by
// expansion, which rewrites named contractions (the matmuls behind linear
// layers and attention) into linalg.generic: they then miss the BLAS and
// vectorization paths and run as scalar loops. This pass keeps only the
// producer-consumer fusion of elementwise generics.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTFUSEELEMENTWISE
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
struct FuseElementwisePass
    : public mlir::mlopt::impl::MLOptFuseElementwiseBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    // Fusing a producer with several users would recompute it per user.
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          Operation *producer = fused->get().getDefiningOp();
          return producer && producer->hasOneUse();
        });
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
