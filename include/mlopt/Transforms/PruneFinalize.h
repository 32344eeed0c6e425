//===- PruneFinalize.h - fold pruning masks, shrink pruned neurons -*- C++
//-*-===//
//
// The model rewrite behind `mlopt-prune-finalize` and `mlopt-run
// --finalize-pruning` (issue #10, "Finalize"): masks are folded into the
// weights (PyTorch's `prune.remove`) and removed from the model, and neurons
// that structured pruning zeroed are removed physically. The rewrite of the
// IR and of the state values are separate so that the runtime can apply the
// same change to checkpoint tensors.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_PRUNEFINALIZE_H
#define MLOPT_TRANSFORMS_PRUNEFINALIZE_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::mlopt {

/// Checks that the slices of `weight` along `dim` can be removed physically
/// from the model whose loss function is `loss`: the weight's consumer is
/// linear-like (its sharding rule maps `dim` to a pass-through factor that
/// reaches the result, for dim 0) and the shrunk dimension reaches only ops
/// that map zero to zero elementwise (`MLOpt_PreservesZero`) before a
/// consumer that reduces over it (the next layer's input dimension), whose
/// other operands shrink along with it. On failure, emits a located error at
/// the op that prevents the shrink.
LogicalResult checkStructuredShrink(func::FuncOp loss, StateOp weight,
                                    int64_t dim);

/// What finalization did to one state that survives it.
struct StateChange {
  /// The state's name.
  std::string state;
  /// The mask state whose value is multiplied into this state's value
  /// before the gather, or empty when the state had no mask.
  std::string foldMask;
  /// The indices kept along each shrunk dimension, ascending; dimensions
  /// that are not listed are kept whole.
  std::vector<std::pair<int64_t, std::vector<int64_t>>> keptByDim;
  /// The state's type before and after finalization.
  RankedTensorType oldType;
  RankedTensorType newType;
};

/// What `finalizePruning` did to the model.
struct PruneFinalization {
  /// One entry per state that was masked or shrunk, in declaration order
  /// (states not listed are unchanged).
  std::vector<StateChange> changes;
  /// The states that finalization removed: the masks and `pruning.step`.
  std::vector<std::string> removedStates;
};

/// Finalizes pruning of the model-level `module`: replaces every
/// `apply_mask(w, m)` by `w`, erases the mask computation (the state writes
/// of the masks and of `pruning.step`, then the ops left dead), the mask
/// states, `pruning.step` and the `mlopt.masked_by` attributes. Then, for
/// every masked weight, the rows (dim 0) whose mask slice is all zero, and
/// whose bias mask entry is zero when the bias is masked, are removed where
/// `checkStructuredShrink` allows it, with the state types and the result
/// types of the ops in between updated. `maskValue` supplies the value of a
/// mask state (from its initializer or a checkpoint). On failure, an error
/// has been emitted and the module may be partially rewritten.
FailureOr<PruneFinalization> finalizePruning(
    ModuleOp module,
    llvm::function_ref<FailureOr<DenseElementsAttr>(StateOp mask)> maskValue);

/// Applies `change` to a state's value: multiplies in `mask` (required when
/// `change.foldMask` is set, ignored otherwise) and keeps the indices of
/// `change.keptByDim`. The result has type `change.newType`. Fails, without
/// a diagnostic, when the value or mask does not have type
/// `change.oldType`.
FailureOr<DenseElementsAttr> applyStateChange(const StateChange &change,
                                              DenseElementsAttr value,
                                              DenseElementsAttr mask);

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_PRUNEFINALIZE_H
