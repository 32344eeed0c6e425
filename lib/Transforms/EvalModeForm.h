//===- EvalModeForm.h - ops in their evaluation form ------------*- C++ -*-===//
//
// Internal to lib/Transforms: @eval_step and @calibrate_step
// (mlopt-entry-points) and a distillation teacher (mlopt-distill) turn the
// ops of a function into their evaluation form (EvalModeOpInterface).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_TRANSFORMS_EVALMODEFORM_H
#define MLOPT_LIB_TRANSFORMS_EVALMODEFORM_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::mlopt {

/// Replaces every op under `root` with EvalModeOpInterface that
/// `keepTrainingForm` does not keep by its evaluation form. Fails after the
/// first op that cannot (it has emitted a located error).
inline LogicalResult
convertToEvalMode(Operation *root,
                  function_ref<bool(Operation *)> keepTrainingForm) {
  SmallVector<EvalModeOpInterface> ops;
  root->walk([&](EvalModeOpInterface op) {
    if (!keepTrainingForm(op))
      ops.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (EvalModeOpInterface op : ops) {
    rewriter.setInsertionPoint(op);
    if (failed(op.convertToEvalMode(rewriter)))
      return failure();
  }
  return success();
}

} // namespace mlir::mlopt

#endif // MLOPT_LIB_TRANSFORMS_EVALMODEFORM_H
