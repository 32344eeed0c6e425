//===- Trainer.h - what mlopt-run does, as one call -------------*- C++ -*-===//
//
// The command-line driver on the embedding API (Session.h): load a model and
// its data, compile it, train with checkpoints and metrics, evaluate, and
// print the summary. mlopt-run turns its flags into TrainerOptions.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_TRAINER_H
#define MLOPT_RUNTIME_TRAINER_H

#include "mlopt/Runtime/Session.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace mlir::mlopt::runtime {

struct TrainerOptions {
  std::string modelPath;
  /// The backend, the optimizer and the backend options. Its pipeline slots
  /// are filled from `passes` and `postAutodiffPasses`.
  SessionOptions session;
  /// Textual pipelines (mlopt-opt syntax, registered passes) for the
  /// model-level slot (before autodiff) and the post-autodiff slot.
  std::string passes;
  std::string postAutodiffPasses;
  /// Mixed precision (docs/MixedPrecision.md): `bf16` or `f16` adds
  /// mlopt-amp with that dtype to the model-level slot, after `passes`, and
  /// for `f16` mlopt-loss-scaling with its defaults to the post-autodiff
  /// slot, after `postAutodiffPasses`; empty trains in the model's precision.
  std::string amp;
  /// `fashion-mnist`, `IMAGES:LABELS` (IDX), `X.npy:Y.npy` or
  /// `synthetic[:N]`; empty for none.
  std::string train;
  std::string test;
  /// Epochs in total, counting those of a resumed checkpoint.
  int64_t epochs = 1;
  /// Stop after this many training steps in total (0: no limit).
  int64_t steps = 0;
  /// The global batch: with data parallelism each of the world's W ranks
  /// compiles batchSize / W (which must divide); 0 takes the model's batch
  /// as the global one. Other than the model's, it is compiled in by
  /// mlopt-set-batch-size.
  int64_t batchSize = 0;
  uint64_t seed = 0;
  /// A checkpoint of the state after the run; with finalizePruning or an
  /// int8 conversion, the finalized or int8 model's tensors only.
  std::string savePath;
  std::string loadPath;
  std::string metricsPath;
  /// Write a metrics record every this many steps (0: epochs only).
  int64_t logEvery = 0;
  bool evalOnly = false;
  /// Write the model's predictions (@predict_step: the logits of a
  /// classifier) for every `test` sample to this .npy file, float32
  /// [N, ...], after training (or with evalOnly).
  std::string predictPath;
  /// Start fresh training from the model's tensors of `loadPath` (ignoring
  /// any training state it holds): fine-tuning, e.g. a PyTorch state_dict.
  bool loadWeightsOnly = false;
  /// Print the exact pass pipeline and stop.
  bool printPipeline = false;
  /// Print the compile-time step report before training.
  bool report = false;
  /// After training (or after loading alone), finalize pruning
  /// (finalizePrunedModel in Pruning.h): write the model with the masks
  /// folded in and pruned neurons removed to saveModelPath and its tensors
  /// to savePath, and evaluate it on `test`. Needs loadPath, a checkpoint
  /// of the model pruned with `passes` (which training may continue from
  /// before the finalization).
  bool finalizePruning = false;
  /// With finalizePruning or an int8 conversion: the finalized or int8
  /// model's IR, a model file (mlopt-run takes it with no passes).
  std::string saveModelPath;
  /// Static quantization (docs/Quantization.md): the batches of `train` run
  /// through the observers of `mlopt-quantize{mode=static}` in `passes`
  /// (@calibrate_step) before the int8 conversion; needs evalOnly. When
  /// `passes` ends with mlopt-quantize mode=static, convert or dynamic, the
  /// run converts the trained (or loaded) float session to int8 at its end
  /// (quantizeModel in Quantization.h), evaluates the int8 model on `test`
  /// and writes it with saveModelPath and savePath.
  int64_t calibrate = 0;
  /// Write the module after the full pipeline printed by printPipeline
  /// (training pipeline and the backend's lowering) to this file.
  std::string emitMlirPath;
  /// Data parallelism (docs/DataParallel.md) over `session.communicator`
  /// (null: a world of one): `ddp` averages the gradients across ranks,
  /// `zero1` also shards the optimizer state (ZeRO stage 1); empty for
  /// none, which a world of several ranks refuses. Adds
  /// mlopt-data-parallel{ranks=<world> bucket-mb zero} to the post-autodiff
  /// slot, first. Each rank reads its own data and takes its part of every
  /// global batch; only rank 0 prints and writes files.
  std::string dataParallel;
  /// The gradient bucket size in MiB (DDP's bucket_cap_mb).
  double bucketMb = 25;
  /// Seconds a collective waits for the other ranks before it fails.
  double commTimeout = 60;
};

/// An error of runTrainer that every rank of the run reports itself: an
/// invalid option (the same on every rank), a loss that became NaN (the
/// same averaged loss on every rank), or a failure the ranks agreed on at a
/// synchronization point (agreeOnError: "rank 1 of 2 failed: ...", which
/// names the failing ranks), so every rank can exit on its own. Any other
/// error of a run in a world of several ranks happened on this rank alone:
/// the caller ends the run (Communicator::abort) so that no other rank
/// waits for it.
class EveryRankError : public llvm::ErrorInfo<EveryRankError> {
public:
  static char ID;
  explicit EveryRankError(std::string message, bool namesRanks = false)
      : text(std::move(message)), agreed(namesRanks) {}
  void log(llvm::raw_ostream &os) const override { os << text; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }
  /// Whether the message already names the failing ranks (an agreement).
  bool namesRanks() const { return agreed; }

private:
  std::string text;
  bool agreed;
};

/// Runs training as `options` say, printing progress and the summary to
/// `out`. Every failure comes back as one error with a clear message.
llvm::Error runTrainer(const TrainerOptions &options, llvm::raw_ostream &out);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_TRAINER_H
