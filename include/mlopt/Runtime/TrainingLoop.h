//===- TrainingLoop.h - train and evaluate a session on a data set -*- C++
//-*-===//

#ifndef MLOPT_RUNTIME_TRAININGLOOP_H
#define MLOPT_RUNTIME_TRAININGLOOP_H

#include "mlopt/Runtime/Data.h"
#include "mlopt/Runtime/Session.h"

#include "llvm/Support/Error.h"

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::mlopt::runtime {

/// Mean loss and metrics over a data set.
struct Evaluation {
  double loss = 0;
  std::vector<std::pair<std::string, double>> metrics;
  /// Samples evaluated: every sample of the data set.
  int64_t samples = 0;
};

/// The loss function's metrics (ModelSignature::metricNames) that
/// @eval_step does not return, in order: the results marked
/// `mlopt.train_only`, such as mlopt-distill's `student_loss` and
/// `distill_loss`, which only training reports. @train_step returns them
/// (with the optimizer's "lr", which is not one).
std::vector<std::string> getTrainOnlyMetricNames(const Session &session);

/// Evaluates a session on every sample of a fitted data set, in file order:
/// the full batches with the session's @eval_step, the last partial batch
/// (if any) with a step compiled for its size (Session::compileForBatchSize,
/// made on first use and kept), after copying the state @eval_step reads.
/// The loss and metrics are per-sample means: each batch's value weighted by
/// its number of samples (exact for the mean-reduced losses and accuracy).
/// The metrics are @eval_step's (Session::getEvalMetricNames).
///
/// With a communicator of W > 1 ranks (data parallelism), each rank
/// evaluates its own contiguous part of the data set, samples
/// [r * N / W, (r + 1) * N / W), and the weighted sums are all-reduced, so
/// every rank returns the figures of the whole set (one rank's, up to the
/// order of summation). Every rank must call run: it is a collective.
class DatasetEvaluator {
public:
  DatasetEvaluator(Session &session, const Dataset &dataset,
                   Communicator *communicator = nullptr)
      : session(session), dataset(dataset), communicator(communicator) {}
  /// Draws a progress bar on a terminal when `progress` is set.
  llvm::Expected<Evaluation> run(bool progress = true);

private:
  Session &session;
  const Dataset &dataset;
  Communicator *communicator;
  std::unique_ptr<Session> remainder;
};

/// One DatasetEvaluator run.
llvm::Expected<Evaluation> evaluate(Session &session, const Dataset &dataset,
                                    bool progress = true);

/// Runs @predict_step (Session::predict) over every sample of a fitted data
/// set, in file order, and returns the predictions as one float32 array
/// [N, prediction shape without its batch dimension...] (the logits of a
/// classifier: [N, C]). The last partial batch is padded by repeating
/// samples from the start, and only its real rows are kept. An error when
/// the model has no @predict_step or its prediction has no leading batch
/// dimension. Draws a progress bar on a terminal when `progress` is set.
llvm::Expected<NpyArray> predict(Session &session, const Dataset &dataset,
                                 bool progress = true);

struct TrainLoopOptions {
  /// Train until this many epochs in total have run (counting those before
  /// `startStep`).
  int64_t epochs = 1;
  /// Stop after this many steps in total (0: no limit).
  int64_t maxSteps = 0;
  /// Seed of the per-epoch shuffle.
  uint64_t seed = 0;
  /// The step to start from (a resumed checkpoint's): epochs and batches
  /// before it are skipped.
  int64_t startStep = 0;
  /// Draw a progress bar on a terminal.
  bool progress = true;
  /// Data parallelism: this process is `rank` of `numRanks`, and takes its
  /// part of every global batch of numRanks times the session's batch
  /// (EpochPlan); the steps and epochs count global batches.
  int64_t rank = 0;
  int64_t numRanks = 1;
};

/// One training step, as the loop reports it.
struct StepRecord {
  /// 1-based step number, counting from the start of training.
  int64_t step = 0;
  /// 1-based epoch and batch within it.
  int64_t epoch = 0;
  int64_t batch = 0;
  StepResult result;
  double seconds = 0;
};

/// One finished epoch.
struct EpochRecord {
  int64_t epoch = 0;
  /// Steps in total after the epoch.
  int64_t steps = 0;
  /// Mean training loss of this epoch's steps.
  double trainLoss = 0;
  /// Mean of each train-only metric (getTrainOnlyMetricNames) over this
  /// epoch's steps, in that order: the loss terms of distillation.
  std::vector<std::pair<std::string, double>> trainMetrics;
  /// Wall time of the epoch, and the part of it inside Session::trainStep
  /// (the rest is the loop's own work: batches, metrics, onStep).
  double seconds = 0;
  double stepSeconds = 0;
};

struct TrainLoopCallbacks {
  /// After every step; an error stops training.
  std::function<llvm::Error(const StepRecord &)> onStep;
  /// After every epoch that ran a step.
  std::function<llvm::Error(const EpochRecord &)> onEpoch;
};

struct TrainLoopResult {
  /// Steps in total (startStep included) and epochs this call ran.
  int64_t steps = 0;
  int64_t epochsRun = 0;
  std::vector<double> stepSeconds;
  /// Samples of the global batches trained (every rank's).
  int64_t samples = 0;
  double seconds = 0;
  /// The loss of the first step this call ran (NaN when it ran none).
  double firstStepLoss = NAN;
  std::optional<double> lastEpochLoss;
  /// The last epoch's EpochRecord::trainMetrics.
  std::vector<std::pair<std::string, double>> lastEpochMetrics;
};

/// Trains on shuffled full batches of a fitted data set. A loss that becomes
/// NaN or infinite stops with an error naming the step, and so does a step
/// that mlopt-loss-scaling skipped with the scale at its floor
/// (checkLossScaleFloor in LossScaling.h). With numRanks > 1 the loss and the
/// loss scaler's verdict are the same on every rank (mlopt-data-parallel
/// averages the loss): those errors are then EveryRankError (Trainer.h),
/// which every rank reports at the same step.
llvm::Expected<TrainLoopResult> train(Session &session, const Dataset &dataset,
                                      const TrainLoopOptions &options,
                                      const TrainLoopCallbacks &callbacks = {});

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_TRAININGLOOP_H
