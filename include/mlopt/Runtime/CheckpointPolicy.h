//===- CheckpointPolicy.h - what a checkpoint holds and restores -*- C++
//-*-===//
//
// Checkpoint policy goes by state kind (docs/TrainingIR.md): the model's
// tensors (parameters, buffers, masks, observers) versus training state
// (optimizer moments, the step counter, the loss scale, random streams).
// A checkpoint that holds only the model's tensors -- a PyTorch state_dict
// saved as safetensors -- starts training with fresh training state;
// evaluation needs only the tensors @eval_step reads. Masks and observers
// are derived state: a checkpoint saved before a model-level pass added
// them (pruning a trained model) starts a new phase of training. A
// distillation teacher's frozen tensors (kind `teacher`, mlopt-distill) are
// part of the model itself (their initializers embed the teacher's
// checkpoint): checkpoints never hold them and loading never takes them.
//
// Checkpoints always hold full tensors. A state that is one rank's chunk
// (StateInfo::shard: ZeRO-1's optimizer states) is saved under its own name
// with the full tensor's shape -- the chunks of every rank all-gathered,
// the padding dropped -- and loading takes this rank's chunk of the file's
// full tensor, so a file written by any world size, with or without
// sharding, loads into any other.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_CHECKPOINTPOLICY_H
#define MLOPT_RUNTIME_CHECKPOINTPOLICY_H

#include "mlopt/Runtime/Communicator.h"
#include "mlopt/Runtime/Session.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

/// Whether a state kind is training state rather than one of the model's
/// tensors.
bool isTrainingState(const StateInfo &info);

/// Whether a state is one of the model's tensors that a model-level pass
/// derives from the others (kind `mask` or `observer`: pruning masks,
/// quantization ranges), so that a checkpoint saved without the pass lacks
/// it.
bool isDerivedState(const StateInfo &info);

/// Whether a state is a distillation teacher's frozen tensor (kind
/// `teacher`): neither the model's tensors nor training state. Its value is
/// always its embedded initializer: saveCheckpoint leaves it out, and
/// loadCheckpoint neither requires nor loads it (a file that holds a tensor
/// of its name is accepted, and that tensor is ignored, for every use).
bool isTeacherState(const StateInfo &info);

/// What a checkpoint is loaded for.
enum class CheckpointUse {
  /// Continue training: every model tensor must be in the file; training
  /// state the file lacks keeps its initial value. When the file lacks
  /// derived state (isDerivedState: the masks of a model pruned since the
  /// save), that state keeps its initial value too, and the load is one of
  /// CheckpointUse::Weights: the model entered a new phase of training.
  Train,
  /// Evaluate: only the tensors @eval_step reads are needed.
  Evaluate,
  /// Fine-tune: the model's tensors only; training state starts fresh even
  /// when the file holds some, and training starts at step 0. Derived state
  /// the file lacks keeps its initial value.
  Weights,
  /// Take the model's tensors to transform or export them (finalizing
  /// pruning): every model tensor must be in the file, derived state
  /// included; training state and tensors the model does not have (another
  /// optimizer's moments) are ignored, as for evaluation.
  ModelTensors,
};

/// Why a checkpoint loaded for training did not restore the training state.
enum class FreshTrainingState {
  /// It did restore it (or the checkpoint was loaded for evaluation).
  None,
  /// The file lacks some training state (a PyTorch state_dict has none).
  NotInFile,
  /// CheckpointUse::Weights asked for the model's tensors only.
  WeightsOnly,
  /// The file lacks derived state of the model (CheckpointLoad::derived):
  /// a pass such as mlopt-prune was added since the save, so training
  /// starts over from the file's model tensors.
  NewDerivedState,
};

/// What loading a checkpoint did.
struct CheckpointLoad {
  /// The training step to continue from: the file's `mlopt.step` when it
  /// restored all training state, else 0.
  int64_t step = 0;
  /// Tensors of the module the file does not hold, left at their initial
  /// value: training state and derived state, in declaration order (never
  /// teacher state, which always has its initial value).
  std::vector<std::string> initialized;
  /// The derived state (isDerivedState) among `initialized`: the masks
  /// that the first training step computes from the loaded weights.
  std::vector<std::string> derived;
  /// Whether every training-state tensor came from the file.
  bool restoredTrainingState = false;
  /// Why training state starts fresh, when it does.
  FreshTrainingState fresh = FreshTrainingState::None;
};

/// Loads `path` into the session's state. Every mismatch is reported at
/// once: missing tensors, tensors of another dtype or shape (a shard's
/// expected shape is the full tensor's), and tensors the module does not
/// have (for evaluation only next to another mismatch). Call after
/// Session::init so that what the file lacks has its defined initial value.
///
/// `communicator` is the run's (null: a world of one); it gives this rank's
/// number, whose chunk a sharded state takes from the file's full tensor.
/// No collective is called: every rank reads the file itself. A sharded
/// state compiled for another number of ranks than the communicator's is an
/// error.
llvm::Expected<CheckpointLoad>
loadCheckpoint(Session &session, llvm::StringRef path, CheckpointUse use,
               Communicator *communicator = nullptr);

/// Writes every state tensor but the teacher's (isTeacherState) to `path`
/// (safetensors, atomically), full tensors only, with `{"format": "pt",
/// "mlopt.step": step}` as metadata.
///
/// With a communicator of several ranks, every rank calls it: each sharded
/// state's chunks are all-gathered (Communicator::allGather, in declaration
/// order; these calls count in the communicator's CommStats), then rank 0
/// alone checks the values and writes the file; the other ranks write
/// nothing and return success. Null is a world of one.
llvm::Error saveCheckpoint(Session &session, llvm::StringRef path, int64_t step,
                           Communicator *communicator = nullptr);

/// The value of state `info` as checkpoints hold it (StateInfo::fullSpec):
/// for a shard, the chunks of every rank all-gathered over `communicator`
/// (null: a world of one) and truncated to the full tensor's elements;
/// otherwise the state's bytes. Collective for a shard: every rank calls it
/// for the same states in the same order.
llvm::Expected<std::vector<uint8_t>>
readFullState(Session &session, const StateInfo &info,
              Communicator *communicator = nullptr);

/// Writes `full`, a value of StateInfo::fullSpec, into state `info`: for a
/// shard, this rank's chunk of it (the communicator's rank; null: a world of
/// one). No collective is called.
llvm::Error writeFullState(Session &session, const StateInfo &info,
                           llvm::ArrayRef<uint8_t> full,
                           Communicator *communicator = nullptr);

/// Writes `tensors`, a model's tensors only, to `path` (safetensors,
/// atomically) with `{"format": "pt"}` as metadata: a PyTorch state_dict,
/// which loadCheckpoint starts fresh training from. Refuses non-finite
/// values.
llvm::Error saveModelTensors(llvm::ArrayRef<TensorRef> tensors,
                             llvm::StringRef path);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CHECKPOINTPOLICY_H
