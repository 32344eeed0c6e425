//===- TrainStep.h - the function mlopt-autodiff marked ---------*- C++ -*-===//
//
// Internal to lib/Transforms: the passes that rewrite the training step
// after mlopt-autodiff (mlopt-optimizer, mlopt-loss-scaling,
// mlopt-data-parallel) find it, and report a missing or repeated mark, the
// same way.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_TRANSFORMS_TRAINSTEP_H
#define MLOPT_LIB_TRANSFORMS_TRAINSTEP_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::mlopt {

/// The one function of `module` marked `mlopt.train_step`, or a located
/// error naming `passName`. `whyAutodiff` ends the hint of a missing mark,
/// "(run mlopt-autodiff first<whyAutodiff>)". With `requireOneBlock`, the
/// function must have a body of one block ending in func.return.
inline FailureOr<func::FuncOp> findTrainStep(ModuleOp module,
                                             StringRef passName,
                                             StringRef whyAutodiff,
                                             bool requireOneBlock) {
  func::FuncOp found;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(MLOptDialect::kTrainStepAttrName))
      continue;
    if (found) {
      func.emitError(passName)
          << ": a second function marked '" << MLOptDialect::kTrainStepAttrName
          << "'; the first is @" << found.getSymName();
      return failure();
    }
    found = func;
  }
  if (!found) {
    module.emitError(passName)
        << ": no function marked '" << MLOptDialect::kTrainStepAttrName
        << "' (run mlopt-autodiff first" << whyAutodiff << ")";
    return failure();
  }
  if (requireOneBlock &&
      (found.isExternal() || !found.getBody().hasOneBlock() ||
       !isa<func::ReturnOp>(found.getBody().front().getTerminator()))) {
    found.emitError(passName)
        << ": @" << found.getSymName()
        << " must have a body of one block ending in func.return";
    return failure();
  }
  return found;
}

} // namespace mlir::mlopt

#endif // MLOPT_LIB_TRANSFORMS_TRAINSTEP_H
