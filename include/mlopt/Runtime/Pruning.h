//===- Pruning.h - sparsity and finalization of pruned models ---*- C++ -*-===//
//
// The runtime side of `mlopt-prune` (docs/Pruning.md): the sparsity of each
// pruned tensor, which mlopt-run reports in its summary and metrics file, and
// the finalization of a trained pruned model -- `mlopt-prune-finalize` on
// the model with the session's masks, applied to the session's tensors --
// which `mlopt-run --finalize-pruning` writes.
//
//   auto finalized = finalizePrunedModel(*model, options.pipeline.modelPasses,
//                                        *session);
//   saveFinalizedModel(*finalized, "pruned.mlir", "pruned.safetensors");
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_PRUNING_H
#define MLOPT_RUNTIME_PRUNING_H

#include "mlopt/Runtime/Session.h"
#include "mlopt/Transforms/PruneFinalize.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mlir::mlopt::runtime {

//===----------------------------------------------------------------------===//
// Sparsity
//===----------------------------------------------------------------------===//

/// The zeros of one pruned tensor.
struct TensorSparsity {
  /// The pruned state (`fc1.weight`, whose mask is `fc1.weight.mask`).
  std::string name;
  int64_t zeros = 0;
  int64_t elements = 0;
  /// zeros / elements; 0 for an empty tensor.
  double fraction() const;
};

/// The sparsity of the pruned tensors of a model.
struct SparsityReport {
  /// One entry per pruned tensor, in the declaration order of the masks.
  std::vector<TensorSparsity> tensors;

  bool empty() const { return tensors.empty(); }
  /// The zeros of all pruned tensors over their elements; 0 when empty.
  double overall() const;
  /// (name, fraction) per pruned tensor, as RunSummary::sparsity holds them.
  std::vector<std::pair<std::string, double>> fractions() const;
};

/// The pruned tensors among `states`: for every state of kind `mask` named
/// `<p>.mask`, the state `<p>` when there is one, in the masks' order.
std::vector<std::string> getPrunedTensors(llvm::ArrayRef<StateInfo> states);

/// The exact zeros (+0 and -0 for floats) among the elements of `bytes`, a
/// dense little-endian tensor of `dtype`.
int64_t countZeros(DType dtype, llvm::ArrayRef<uint8_t> bytes);

/// Counts the zeros of the pruned tensors (getPrunedTensors) in `session`'s
/// state: the weights themselves, which the masks keep at exactly zero.
/// Empty for a model without masks.
llvm::Expected<SparsityReport> measureSparsity(Session &session);

//===----------------------------------------------------------------------===//
// Finalization
//===----------------------------------------------------------------------===//

/// A model with pruning finalized, and its tensors.
struct FinalizedModel {
  /// The finalized model-level module, in the source model's context: no
  /// masks, no pruning step, structurally pruned neurons removed. A model
  /// that mlopt-run and Model::fromModule take as it is, with no passes.
  OwningOpRef<ModuleOp> module;
  /// The value of every model tensor of `module` (kinds parameter, buffer,
  /// observer; isTrainingStateKind is false; not a distillation teacher's,
  /// which its initializer holds), in declaration order, with
  /// the masks folded in and the removed slices dropped.
  std::vector<TensorData> tensors;
  /// What finalization did to each state (PruneFinalize.h).
  PruneFinalization finalization;
};

/// Finalizes a trained pruned model: runs `modelPasses` (the model-level
/// slot that pruned it, TrainingPipelineOptions::modelPasses) on a clone of
/// `model`'s module, then `finalizePruning` on it with the masks of
/// `session`, and applies each state change to `session`'s value of the
/// state. `session` must be compiled from `model` with those passes, its
/// state holding the values to finalize (after training or loadCheckpoint).
/// Errors: a pass or the finalization failing (with its first diagnostic),
/// a module without mask state, a state the session does not have or holds
/// with another type.
llvm::Expected<FinalizedModel>
finalizePrunedModel(const Model &model, llvm::ArrayRef<PassBuilder> modelPasses,
                    Session &session);

/// Writes the finalized module as text to `modelPath` and its tensors to
/// `checkpointPath` (model tensors only, a state_dict: saveModelTensors),
/// each atomically; an empty path writes nothing.
llvm::Error saveFinalizedModel(const FinalizedModel &finalized,
                               llvm::StringRef modelPath,
                               llvm::StringRef checkpointPath);

/// Writes the finalized tensors into the state of `session`, compiled from
/// the finalized module.
llvm::Error loadFinalizedTensors(const FinalizedModel &finalized,
                                 Session &session);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_PRUNING_H
