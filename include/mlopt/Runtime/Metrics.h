//===- Metrics.h - metrics file, progress bar, run summary -----*- C++ -*-===//

#ifndef MLOPT_RUNTIME_METRICS_H
#define MLOPT_RUNTIME_METRICS_H

#include "mlopt/Conversion/BufferPlan.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::mlopt::runtime {

//===----------------------------------------------------------------------===//
// Time and memory
//===----------------------------------------------------------------------===//

/// A monotonic (steady_clock) stopwatch, immune to wall-clock adjustments.
class Timer {
public:
  Timer() : start(std::chrono::steady_clock::now()) {}
  void reset() { start = std::chrono::steady_clock::now(); }
  /// Seconds since construction or the last reset().
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  }

private:
  std::chrono::steady_clock::time_point start;
};

/// Peak resident set size of this process in MiB (getrusage's ru_maxrss,
/// which Linux reports in KiB).
double peakRssMb();

/// The median of `values` (mean of the middle two for an even count); 0 for
/// an empty list.
double median(llvm::ArrayRef<double> values);

//===----------------------------------------------------------------------===//
// JSON-lines metrics
//===----------------------------------------------------------------------===//

/// One line of the metrics file: a flat JSON object whose keys keep the order
/// they were added in. JSON has no NaN or infinity, so non-finite numbers
/// are written as the strings "nan", "inf" and "-inf" (a diverged loss stays
/// visible rather than turning into null).
class MetricsRecord {
public:
  /// Sets `key` (replacing an earlier value of the same key).
  MetricsRecord &add(llvm::StringRef key, llvm::json::Value value);
  /// The record as one line of compact JSON, without the newline.
  std::string toJson() const;
  bool empty() const { return fields.empty(); }

private:
  std::vector<std::pair<std::string, llvm::json::Value>> fields;
};

/// Writes metrics records as JSON lines.
///
/// The file is opened with O_APPEND and each record goes out as one line in
/// a single write(2) without user-space buffering, so `tail -f` and readers
/// of a crashed run only ever see complete lines. A new run truncates the
/// file; a resumed run opens it with `append` to continue it.
class MetricsWriter {
public:
  static llvm::Expected<MetricsWriter> open(llvm::StringRef path, bool append);
  MetricsWriter(MetricsWriter &&other);
  MetricsWriter &operator=(MetricsWriter &&other) = delete;
  MetricsWriter(const MetricsWriter &) = delete;
  ~MetricsWriter();

  llvm::Error write(const MetricsRecord &record);
  llvm::StringRef path() const { return filePath; }

private:
  MetricsWriter(std::string path, int fd) : filePath(std::move(path)), fd(fd) {}

  std::string filePath;
  int fd = -1;
};

//===----------------------------------------------------------------------===//
// Progress bar
//===----------------------------------------------------------------------===//

/// "label [=======>      ] done/total  status": the text of one progress
/// line, `width` characters of bar.
std::string formatProgressLine(llvm::StringRef label, int64_t done,
                               int64_t total, int width,
                               llvm::StringRef status);

/// A one-line progress bar redrawn in place with '\r'. It draws nothing when
/// disabled, so logs and pipes stay clean; forStderr() enables it only when
/// stderr is a terminal.
class ProgressBar {
public:
  /// `minInterval` bounds how often update() redraws.
  ProgressBar(
      llvm::raw_ostream &os, bool enabled, std::string label, int64_t total,
      int width = 30,
      std::chrono::milliseconds minInterval = std::chrono::milliseconds(100));
  static ProgressBar forStderr(std::string label, int64_t total);

  bool isEnabled() const { return enabled; }
  /// Shows `done` of total. Redraws at most once per minInterval (and always
  /// at the end) so a fast loop does not spend its time printing.
  void update(int64_t done, llvm::StringRef status = "");
  /// Redraws the final state and ends the line.
  void finish(llvm::StringRef status = "");

private:
  void draw(int64_t done, llvm::StringRef status);

  llvm::raw_ostream &os;
  bool enabled;
  std::string label;
  int64_t total;
  int width;
  std::chrono::milliseconds minInterval;
  int64_t lastDone = 0;
  std::optional<std::chrono::steady_clock::time_point> lastDraw;
  bool finished = false;
};

//===----------------------------------------------------------------------===//
// Final summary
//===----------------------------------------------------------------------===//

/// What a run reports at the end. Unset optionals are omitted.
struct RunSummary {
  /// Whether this is a training run. An evaluation (--eval-only) does not
  /// report the training fields (epochs, steps, train loss, first-step loss,
  /// step time, throughput, the train step's FLOPs): it did not measure them.
  /// Step time and throughput also need at least one step this run.
  bool trained = false;
  /// The epochs this run trained in, and the step count it reached
  /// (counting those of a resumed checkpoint).
  int64_t epochs = 0;
  int64_t steps = 0;
  /// The loss of this run's first training step.
  std::optional<double> firstStepLoss;
  std::optional<double> trainLoss;
  std::optional<double> trainAccuracy; // fraction in [0, 1]
  /// The last epoch's means of the loss function's train-only metrics
  /// (getTrainOnlyMetricNames: mlopt-distill's `student_loss` and
  /// `distill_loss`), in order: shown on the train line, `train_<name>` in
  /// the record.
  std::vector<std::pair<std::string, double>> trainMetrics;
  std::optional<double> testLoss;
  std::optional<double> testAccuracy; // fraction in [0, 1]
  /// The test set's other `mlopt.metric` results (all but accuracy), in the
  /// loss function's order: shown on the test line, `test_<name>` in the
  /// record.
  std::vector<std::pair<std::string, double>> testMetrics;
  /// Samples the test loss and accuracy are averaged over.
  std::optional<int64_t> testSamples;
  /// Duration of each training step; the summary shows the median.
  std::vector<double> stepSeconds;
  /// Training samples processed and the time it took, for samples/s.
  int64_t samples = 0;
  double trainSeconds = 0;
  /// Seconds spent loading (or generating) and fitting the data sets.
  std::optional<double> dataSeconds;
  double peakRssMb = 0;
  /// The compiled training step's planned buffers (StepReport::stepBuffers):
  /// the bytes they take, sharing by liveness, and their sum.
  std::optional<BufferBytes> stepBuffers;
  /// With pruning: the fraction of zeros of each pruned tensor
  /// (`fc1.weight`, the state of a `fc1.weight.mask`), in declaration order,
  /// and of all of them together (their zeros over their elements).
  std::vector<std::pair<std::string, double>> sparsity;
  std::optional<double> sparsityOverall;
  /// With loss scaling (mlopt-loss-scaling): the scale after the last step
  /// and the steps skipped since training began.
  std::optional<double> lossScale;
  std::optional<int64_t> skippedSteps;
  /// Bytes of state per dtype name ("F32"), as bytesPerDType() returns.
  std::vector<std::pair<std::string, uint64_t>> stateBytes;
  /// Bytes of the model's tensors (parameters, buffers, masks, observers:
  /// the state that is neither training state nor a teacher's) per dtype
  /// name: the size of an int8 model (I8 weights, F32 scales, I32 zero
  /// points).
  std::vector<std::pair<std::string, uint64_t>> modelBytes;
  /// Bytes of a distillation teacher's frozen tensors (kind `teacher`,
  /// mlopt-distill) per dtype name: state the step holds, counted in
  /// `stateBytes`, but not the model's and not in its checkpoints.
  std::vector<std::pair<std::string, uint64_t>> teacherBytes;
  /// FLOPs of one training step as the compiler counts them
  /// (StepReport::stepFlops()); with the median step time it gives the
  /// achieved GFLOP/s.
  std::optional<int64_t> stepFlops;
  /// With data parallelism (the trainer sets them; unset otherwise): the
  /// run's number of ranks, and the payload bytes one training step hands to
  /// the collectives on each rank, as the compiler counts them
  /// (StepReport::communicatedBytes) and as measured (the communicator's
  /// CommStats::bytes during this run's training steps divided by those
  /// steps; unset when no step ran). The two agree exactly: both count the
  /// operand bytes of every collective.
  std::optional<int64_t> worldSize;
  std::optional<int64_t> commBytesPerStep;
  std::optional<double> measuredCommBytesPerStep;
  /// Bytes of optimizer state (kind `optimizer_state`) one rank holds
  /// (StepReport::stateBytesOfKind): its chunks under ZeRO-1
  /// (`--data-parallel=zero1`), all of it otherwise.
  std::optional<uint64_t> optimizerStateBytesPerRank;
};

/// FLOPs per second of `flops` done in the median of `stepSeconds`; unset
/// when there is no positive median.
std::optional<double>
achievedFlopsPerSecond(int64_t flops, llvm::ArrayRef<double> stepSeconds);

/// The training time split into the steps and the rest of the loop.
struct OutsideSteps {
  /// The sum of RunSummary::stepSeconds.
  double steps = 0;
  /// (trainSeconds - steps) per step, in milliseconds.
  double msPerStep = 0;
};
/// The split of a training run with at least one step; unset otherwise.
std::optional<OutsideSteps> outsideSteps(const RunSummary &summary);

/// "812 B", "1.5 KiB", "3.02 MiB", "1.20 GiB".
std::string formatBytes(uint64_t bytes);

/// A multi-line, human-readable summary ending with a newline.
std::string formatSummary(const RunSummary &summary);

/// The summary as a metrics record ({"event": "summary", ...}); the fields
/// are documented in docs/mlopt-run.md.
MetricsRecord summaryRecord(const RunSummary &summary);

/// Adds `"sparsity": {name: fraction}` and `"sparsity_overall"` to `record`
/// (the epoch and summary records of a pruned model).
MetricsRecord &
addSparsity(MetricsRecord &record,
            llvm::ArrayRef<std::pair<std::string, double>> perTensor,
            double overall);

//===----------------------------------------------------------------------===//
// Run configuration
//===----------------------------------------------------------------------===//

/// The host CPU as LLVM names it (llvm::sys::getHostCPUName) and the
/// features that select mlopt's kernels, in this order: avx2, avx512f,
/// avx512bf16, avx512vnni (llvm::sys::getHostCPUFeatures).
struct HostCpu {
  std::string name;
  std::vector<std::pair<std::string, bool>> features;
};
HostCpu detectHostCpu();
/// {"name": ..., "features": {"avx2": true, ...}}.
llvm::json::Object toJson(const HostCpu &cpu);

/// The samples per second of `samples` processed in `seconds`; unset when no
/// time passed.
std::optional<double> samplesPerSecond(int64_t samples, double seconds);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_METRICS_H
