//===- MLOptToLinalg.cpp - the convert-mlopt-to-linalg pass ---------------===//

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Conversion/Passes.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_CONVERTMLOPTTOLINALG
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

void mlir::mlopt::populateMLOptToLinalgPatterns(RewritePatternSet &patterns) {
  populateMLOptElementwiseToLinalgPatterns(patterns);
  populateMLOptShapeToLinalgPatterns(patterns);
  populateMLOptNNToLinalgPatterns(patterns);
  populateMLOptLossToLinalgPatterns(patterns);
  populateMLOptStateToLinalgPatterns(patterns);
  populateMLOptCompressionToLinalgPatterns(patterns);
  populateMLOptQuantToLinalgPatterns(patterns);
  populateMLOptCollectiveToLinalgPatterns(patterns);
  populateMLOptLowPrecisionToLinalgPatterns(patterns);
}

void mlir::mlopt::configureMLOptToLinalgTarget(ConversionTarget &target) {
  target.addLegalDialect<
      arith::ArithDialect, bufferization::BufferizationDialect,
      func::FuncDialect, linalg::LinalgDialect, math::MathDialect,
      memref::MemRefDialect, scf::SCFDialect, tensor::TensorDialect>();
  target.addIllegalDialect<MLOptDialect>();
  // State stays until mlopt-externalize-state gives it a calling convention.
  target.addLegalOp<StateOp, StateReadOp, StateWriteOp>();
}

namespace {
struct ConvertMLOptToLinalgPass
    : public mlir::mlopt::impl::ConvertMLOptToLinalgBase<
          ConvertMLOptToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateMLOptToLinalgPatterns(patterns);
    FrozenRewritePatternSet frozen(std::move(patterns));

    // Matrix products first, while the mlopt.transpose ops feeding them are
    // still there to be folded into their indexing maps.
    ConversionTarget products(*ctx);
    products.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    products.addIllegalOp<MatmulOp, BatchMatmulOp>();
    if (failed(applyPartialConversion(getOperation(), products, frozen)))
      return signalPassFailure();
    // Transposes now read only through those maps are dead.
    getOperation().walk([](TransposeOp transpose) {
      if (transpose->use_empty())
        transpose->erase();
    });

    ConversionTarget target(*ctx);
    configureMLOptToLinalgTarget(target);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target, frozen)))
      signalPassFailure();
  }
};
} // namespace
