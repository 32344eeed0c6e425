//===- EntryPoints.cpp - placeholder, replaced by its issue's work ---------------===//

#include "mlopt/Transforms/Passes.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTENTRYPOINTS
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
struct MLOptEntryPointsPass : mlopt::impl::MLOptEntryPointsBase<MLOptEntryPointsPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().emitError("EntryPoints is not implemented yet");
    signalPassFailure();
  }
};
} // namespace
