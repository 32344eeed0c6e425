//===- Trainer.h - compile and train a model --------------------*- C++ -*-===//
//
// What `mlopt-run` does, as a library: parse a model, run the user's passes
// and the training pipeline, hand the result to a backend, and train and
// evaluate it on a data set with checkpoints and metrics.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_TRAINER_H
#define MLOPT_RUNTIME_TRAINER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace mlir::mlopt::runtime {

struct TrainerOptions {
  std::string modelPath;
  /// The user's passes, in mlopt-opt pipeline syntax, run before autodiff.
  std::string passes;
  /// `cpu` or `reference`.
  std::string backend = "cpu";
  /// Options of mlopt-optimizer, e.g. "optimizer=adam lr=0.001".
  std::string optimizerOptions;
  /// `fashion-mnist`, `IMAGES:LABELS` (IDX), `X.npy:Y.npy` or
  /// `synthetic[:N]`; empty for none.
  std::string train;
  std::string test;
  int64_t epochs = 1;
  /// Stop after this many training steps in total (0: no limit).
  int64_t steps = 0;
  /// Must match the model's batch dimension; 0 takes the model's.
  int64_t batchSize = 0;
  uint64_t seed = 0;
  std::string savePath;
  std::string loadPath;
  std::string metricsPath;
  bool evalOnly = false;
  /// Print the full pass pipeline and stop.
  bool printPipeline = false;
};

/// Runs training as `options` say, printing progress and the summary to
/// `out`. Every failure comes back as one error with a clear message.
llvm::Error runTrainer(const TrainerOptions &options, llvm::raw_ostream &out);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_TRAINER_H
