//===- Autodiff.cpp - placeholder, replaced by its issue's work ---------------===//

#include "mlopt/Transforms/Passes.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTAUTODIFF
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
struct MLOptAutodiffPass : mlopt::impl::MLOptAutodiffBase<MLOptAutodiffPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().emitError("Autodiff is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
