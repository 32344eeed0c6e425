//===- Distill.cpp - knowledge distillation from a frozen teacher ---------===//
//
// mlopt-distill: see Passes.td. (Skeleton: the implementation follows.)
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTDISTILL
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
struct MLOptDistillPass : mlopt::impl::MLOptDistillBase<MLOptDistillPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation().emitError("mlopt-distill: not implemented yet");
    signalPassFailure();
  }
};
} // namespace
