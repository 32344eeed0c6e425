//===- Optimizer.cpp - placeholder, replaced by its issue's work ---------------===//

#include "mlopt/Transforms/Passes.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTOPTIMIZER
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
struct MLOptOptimizerPass : mlopt::impl::MLOptOptimizerBase<MLOptOptimizerPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().emitError("Optimizer is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
