//===- DataParallel.cpp - mlopt-data-parallel -----------------------------===//
// PLACEHOLDER: the data-parallel pass helper writes this.
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Transforms/Passes.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTDATAPARALLEL
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
struct MLOptDataParallelPass
    : mlopt::impl::MLOptDataParallelBase<MLOptDataParallelPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().emitError("mlopt-data-parallel: not written yet");
    signalPassFailure();
  }
};
} // namespace
