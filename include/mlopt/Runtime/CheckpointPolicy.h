//===- CheckpointPolicy.h - what a checkpoint holds and restores -*- C++
//-*-===//
//
// Checkpoint policy goes by state kind (docs/TrainingIR.md): the model's
// tensors (parameters, buffers, masks, observers) versus training state
// (optimizer moments, the step counter, the loss scale, random streams).
// A checkpoint that holds only the model's tensors -- a PyTorch state_dict
// saved as safetensors -- starts training with fresh training state;
// evaluation needs only the tensors @eval_step reads.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_CHECKPOINTPOLICY_H
#define MLOPT_RUNTIME_CHECKPOINTPOLICY_H

#include "mlopt/Runtime/Session.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

/// Whether a state kind is training state rather than one of the model's
/// tensors.
bool isTrainingState(const StateInfo &info);

/// What a checkpoint is loaded for.
enum class CheckpointUse {
  /// Continue training: every model tensor must be in the file; training
  /// state the file lacks keeps its initial value.
  Train,
  /// Evaluate: only the tensors @eval_step reads are needed.
  Evaluate,
  /// Fine-tune: the model's tensors only; training state starts fresh even
  /// when the file holds some, and training starts at step 0.
  Weights,
};

/// What loading a checkpoint did.
struct CheckpointLoad {
  /// The training step to continue from: the file's `mlopt.step` when it
  /// restored all training state, else 0.
  int64_t step = 0;
  /// Tensors of the module the file does not hold, left at their initial
  /// value (training state only, for CheckpointUse::Train).
  std::vector<std::string> initialized;
  /// Whether every training-state tensor came from the file.
  bool restoredTrainingState = false;
};

/// Loads `path` into the session's state. Every mismatch is reported at
/// once: missing tensors, tensors of another dtype or shape, and tensors the
/// module does not have (for evaluation only next to another mismatch). Call after Session::init so
/// that what the file lacks has its defined initial value.
llvm::Expected<CheckpointLoad>
loadCheckpoint(Session &session, llvm::StringRef path, CheckpointUse use);

/// Writes every state tensor to `path` (safetensors, atomically), with
/// `{"format": "pt", "mlopt.step": step}` as metadata.
llvm::Error saveCheckpoint(Session &session, llvm::StringRef path,
                           int64_t step);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CHECKPOINTPOLICY_H
