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
/// from the model whose loss function is `loss`, following the factor of
/// `dim` through the ops' sharding rules:
/// - a pass-through factor of an op that contracts the weight (dim 0 of
///   `linear`: output neurons): the op's post-reduction operands (the bias)
///   shrink too, and its result must reach, through ops that map zero to
///   zero elementwise (`MLOpt_PreservesZero`), only ops that sum over the
///   dimension, whose other operands on it (the next layer's input columns)
///   shrink;
/// - a sum-reduction factor (dim 1 of `linear`: input columns): the operand
///   that shares it must come, through elementwise ops and values with no
///   other use, from states (the previous layer's rows and bias), which
///   shrink.
/// Every state that shrinks must be used only there (reads in the mask
/// update of `mlopt-prune` do not count) and only by the loss function. On
/// failure, emits a located error at the op that prevents the shrink.
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
/// `apply_mask(w, m)` of a mask by `w`, erases the mask update (the state
/// writes of the masks and of `pruning.step`, then the ops left dead), the
/// mask states, `pruning.step` and the `mlopt.masked_by` attributes. Then
/// every masked weight whose mask is structured along a dimension (every
/// slice of more than one element all zero or all non-zero) loses its zero
/// slices where `checkStructuredShrink` allows it (an error otherwise), with
/// the states that share them, the state types and the result types of the
/// ops in between updated. Output neurons go only where the layer's
/// post-reduction operands (its bias) are masked to zero too; with an
/// unmasked bias the weight only folds. Plans of the same neurons (fc1's
/// rows, fc2's columns) remove their union. States initialized with
/// `#mlopt.value` get their new value (applyStateChange). `maskValue`
/// supplies the value of each mask state (from its initializer or a
/// checkpoint); it emits its own error when it fails. A module without
/// pruning state is left unchanged. On failure, an error has been emitted
/// and the module may be partially rewritten.
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
