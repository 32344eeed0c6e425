//===- Metrics.cpp - metrics file, progress bar, run summary --------------===//

#include "mlopt/Runtime/Metrics.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace mlir::mlopt::runtime;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

//===----------------------------------------------------------------------===//
// Time and memory
//===----------------------------------------------------------------------===//

double mlir::mlopt::runtime::peakRssMb() {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return double(usage.ru_maxrss) / 1024.0;
}

double mlir::mlopt::runtime::median(ArrayRef<double> values) {
  if (values.empty())
    return 0;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  size_t middle = sorted.size() / 2;
  if (sorted.size() % 2)
    return sorted[middle];
  return (sorted[middle - 1] + sorted[middle]) / 2;
}

//===----------------------------------------------------------------------===//
// JSON-lines metrics
//===----------------------------------------------------------------------===//

MetricsRecord &MetricsRecord::add(StringRef key, llvm::json::Value value) {
  // Only genuine doubles can be non-finite; integers stay integers.
  if (value.kind() == llvm::json::Value::Number && !value.getAsInteger() &&
      !value.getAsUINT64()) {
    double number = *value.getAsNumber();
    if (std::isnan(number))
      value = "nan";
    else if (std::isinf(number))
      value = number > 0 ? "inf" : "-inf";
  }
  for (auto &field : fields) {
    if (field.first == key) {
      field.second = std::move(value);
      return *this;
    }
  }
  fields.emplace_back(key.str(), std::move(value));
  return *this;
}

std::string MetricsRecord::toJson() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os);
  json.object([&] {
    for (const auto &[key, value] : fields)
      json.attribute(key, value);
  });
  return text;
}

Expected<MetricsWriter> MetricsWriter::open(StringRef path, bool append) {
  std::string pathString = path.str();
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  if (!append)
    flags |= O_TRUNC;
  int fd = ::open(pathString.c_str(), flags, 0666);
  if (fd < 0)
    return llvm::createStringError(Twine(path) +
                                   ": cannot open the metrics "
                                   "file: " +
                                   std::strerror(errno));
  return MetricsWriter(std::move(pathString), fd);
}

MetricsWriter::MetricsWriter(MetricsWriter &&other)
    : filePath(std::move(other.filePath)), fd(other.fd) {
  other.fd = -1;
}

MetricsWriter::~MetricsWriter() {
  if (fd >= 0)
    ::close(fd);
}

Error MetricsWriter::write(const MetricsRecord &record) {
  std::string line = record.toJson() + "\n";
  StringRef rest = line;
  while (!rest.empty()) {
    ssize_t written = ::write(fd, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return llvm::createStringError(
          Twine(filePath) + ": cannot write metrics: " + std::strerror(errno));
    }
    rest = rest.drop_front(written);
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Progress bar
//===----------------------------------------------------------------------===//

std::string mlir::mlopt::runtime::formatProgressLine(StringRef label,
                                                     int64_t done,
                                                     int64_t total, int width,
                                                     StringRef status) {
  std::string line;
  llvm::raw_string_ostream os(line);
  if (!label.empty())
    os << label << " ";
  int64_t clamped = std::clamp<int64_t>(done, 0, std::max<int64_t>(total, 0));
  int filled = total > 0 ? int(clamped * width / total) : width;
  os << "[";
  for (int i = 0; i < width; ++i)
    os << (i < filled ? '=' : (i == filled ? '>' : ' '));
  os << "] " << done << "/" << total;
  if (!status.empty())
    os << "  " << status;
  return line;
}

ProgressBar::ProgressBar(llvm::raw_ostream &os, bool enabled, std::string label,
                         int64_t total, int width,
                         std::chrono::milliseconds minInterval)
    : os(os), enabled(enabled), label(std::move(label)), total(total),
      width(width), minInterval(minInterval) {}

ProgressBar ProgressBar::forStderr(std::string label, int64_t total) {
  return ProgressBar(llvm::errs(), ::isatty(STDERR_FILENO) == 1,
                     std::move(label), total);
}

void ProgressBar::draw(int64_t done, StringRef status) {
  // "\x1b[K" clears what a longer previous line left behind.
  os << "\r" << formatProgressLine(label, done, total, width, status)
     << "\x1b[K";
  os.flush();
  lastDraw = std::chrono::steady_clock::now();
}

void ProgressBar::update(int64_t done, StringRef status) {
  lastDone = done;
  if (!enabled || finished)
    return;
  auto now = std::chrono::steady_clock::now();
  if (done < total && lastDraw && now - *lastDraw < minInterval)
    return;
  draw(done, status);
}

void ProgressBar::finish(StringRef status) {
  if (!enabled || finished)
    return;
  finished = true;
  draw(lastDone, status);
  os << "\n";
  os.flush();
}

//===----------------------------------------------------------------------===//
// Final summary
//===----------------------------------------------------------------------===//

std::string mlir::mlopt::runtime::formatBytes(uint64_t bytes) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (bytes < 1024) {
    os << bytes << " B";
    return text;
  }
  static const char *const kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = double(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  os << llvm::format(value < 10 ? "%.2f %s" : "%.1f %s", value, kUnits[unit]);
  return text;
}

std::optional<double>
mlir::mlopt::runtime::achievedFlopsPerSecond(int64_t flops,
                                             ArrayRef<double> stepSeconds) {
  double seconds = median(stepSeconds);
  if (!(seconds > 0))
    return std::nullopt;
  return double(flops) / seconds;
}

std::optional<OutsideSteps>
mlir::mlopt::runtime::outsideSteps(const RunSummary &summary) {
  if (!summary.trained || summary.stepSeconds.empty())
    return std::nullopt;
  OutsideSteps outside;
  for (double seconds : summary.stepSeconds)
    outside.steps += seconds;
  outside.msPerStep = (summary.trainSeconds - outside.steps) * 1e3 /
                      static_cast<double>(summary.stepSeconds.size());
  return outside;
}

std::string mlir::mlopt::runtime::formatSummary(const RunSummary &summary) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto row = [&](StringRef name) -> llvm::raw_ostream & {
    return os << "  " << llvm::left_justify(name, 12) << " ";
  };
  auto lossLine = [&](StringRef name, std::optional<double> loss,
                      std::optional<double> accuracy,
                      ArrayRef<std::pair<std::string, double>> metrics = {}) {
    if (!loss && !accuracy && metrics.empty())
      return;
    row(name);
    StringRef separator = "";
    if (loss) {
      os << llvm::format("loss %.4f", *loss);
      separator = "  ";
    }
    if (accuracy) {
      os << separator << llvm::format("accuracy %.2f%%", *accuracy * 100);
      separator = "  ";
    }
    for (const auto &[metric, value] : metrics) {
      os << separator << metric << llvm::format(" %.4f", value);
      separator = "  ";
    }
    os << "\n";
  };

  os << "summary\n";
  if (summary.trained) {
    row("epochs") << summary.epochs << "\n";
    row("steps") << summary.steps << "\n";
    lossLine("train", summary.trainLoss, summary.trainAccuracy,
             summary.trainMetrics);
  }
  lossLine("test", summary.testLoss, summary.testAccuracy, summary.testMetrics);
  if (summary.testSamples)
    row("test samples") << *summary.testSamples << "\n";
  if (summary.trained && !summary.stepSeconds.empty())
    row("step time") << llvm::format("%.3f ms median",
                                     median(summary.stepSeconds) * 1e3)
                     << "\n";
  if (std::optional<double> rate =
          samplesPerSecond(summary.samples, summary.trainSeconds);
      summary.trained && summary.samples > 0 && rate)
    row("throughput") << llvm::format("%.0f samples/s", *rate) << "\n";
  // The training loop's time outside the steps (batch gathering, metrics,
  // callbacks): what makes the training time exceed the sum of the steps.
  if (std::optional<OutsideSteps> outside = outsideSteps(summary))
    row("train time") << llvm::format("%.2f s (steps %.2f s, outside the "
                                      "steps %.3f ms/step)",
                                      summary.trainSeconds, outside->steps,
                                      outside->msPerStep)
                      << "\n";
  if (summary.dataSeconds)
    row("data") << llvm::format("%.2f s to load or generate",
                                *summary.dataSeconds)
                << "\n";
  if (summary.trained && summary.stepFlops) {
    row("train step") << llvm::format("%.3f GFLOP (compiler count)",
                                      double(*summary.stepFlops) / 1e9);
    if (std::optional<double> rate =
            achievedFlopsPerSecond(*summary.stepFlops, summary.stepSeconds))
      os << llvm::format(", %.2f GFLOP/s achieved", *rate / 1e9);
    os << "\n";
  }
  if (summary.worldSize)
    row("ranks") << *summary.worldSize << "\n";
  if (summary.trained && summary.commBytesPerStep) {
    row("communicated") << formatBytes(*summary.commBytesPerStep)
                        << " per step (compiler count)";
    if (summary.measuredCommBytesPerStep)
      os << ", "
         << formatBytes(static_cast<uint64_t>(
                std::llround(*summary.measuredCommBytesPerStep)))
         << " measured";
    os << "\n";
  }
  row("peak memory") << llvm::format("%.1f MiB RSS", summary.peakRssMb) << "\n";
  if (summary.stepBuffers)
    row("step buffers") << formatBytes(summary.stepBuffers->planned)
                        << " (temporaries "
                        << formatBytes(summary.stepBuffers->temporaries)
                        << ", shared)\n";
  if (summary.sparsityOverall) {
    row("sparsity") << llvm::format("%.2f%% overall",
                                    *summary.sparsityOverall * 100)
                    << "\n";
    size_t width = 0;
    for (const auto &[name, fraction] : summary.sparsity)
      width = std::max(width, name.size());
    for (const auto &[name, fraction] : summary.sparsity)
      os << std::string(15, ' ') << llvm::left_justify(name, width)
         << llvm::format(" %.2f%%", fraction * 100) << "\n";
  }
  if (summary.lossScale)
    row("loss scale") << llvm::format("%g", *summary.lossScale) << ", "
                      << summary.skippedSteps.value_or(0) << " steps skipped\n";
  auto byteRow = [&](StringRef name,
                     ArrayRef<std::pair<std::string, uint64_t>> perDType) {
    if (perDType.empty())
      return;
    row(name);
    uint64_t total = 0;
    for (const auto &[dtype, bytes] : perDType) {
      os << dtype << " " << formatBytes(bytes) << ", ";
      total += bytes;
    }
    os << "total " << formatBytes(total) << "\n";
  };
  byteRow("state", summary.stateBytes);
  byteRow("model", summary.modelBytes);
  byteRow("teacher", summary.teacherBytes);
  if (summary.optimizerStateBytesPerRank)
    row("optimizer") << formatBytes(*summary.optimizerStateBytesPerRank)
                     << " of state per rank\n";
  return text;
}

MetricsRecord mlir::mlopt::runtime::summaryRecord(const RunSummary &summary) {
  MetricsRecord record;
  record.add("event", "summary");
  if (summary.trained) {
    record.add("epochs", summary.epochs);
    record.add("steps", summary.steps);
    if (summary.firstStepLoss)
      record.add("first_step_loss", *summary.firstStepLoss);
    if (summary.trainLoss)
      record.add("train_loss", *summary.trainLoss);
    if (summary.trainAccuracy)
      record.add("train_accuracy", *summary.trainAccuracy);
    for (const auto &[name, value] : summary.trainMetrics)
      record.add("train_" + name, value);
  }
  if (summary.testLoss)
    record.add("test_loss", *summary.testLoss);
  if (summary.testAccuracy)
    record.add("test_accuracy", *summary.testAccuracy);
  for (const auto &[name, value] : summary.testMetrics)
    record.add("test_" + name, value);
  if (summary.testSamples)
    record.add("test_samples", *summary.testSamples);
  if (summary.trained && !summary.stepSeconds.empty())
    record.add("step_ms_median", median(summary.stepSeconds) * 1e3);
  if (std::optional<double> rate =
          samplesPerSecond(summary.samples, summary.trainSeconds);
      summary.trained && summary.samples > 0 && rate)
    record.add("samples_per_s", *rate);
  if (std::optional<OutsideSteps> outside = outsideSteps(summary))
    record.add("train_seconds", summary.trainSeconds)
        .add("step_seconds", outside->steps)
        .add("outside_step_ms", outside->msPerStep);
  if (summary.dataSeconds)
    record.add("data_seconds", *summary.dataSeconds);
  if (summary.trained && summary.stepFlops) {
    record.add("step_flops", *summary.stepFlops);
    if (std::optional<double> rate =
            achievedFlopsPerSecond(*summary.stepFlops, summary.stepSeconds))
      record.add("achieved_gflops_per_s", *rate / 1e9);
  }
  record.add("peak_rss_mb", summary.peakRssMb);
  if (summary.stepBuffers) {
    record.add("step_buffer_bytes", summary.stepBuffers->planned);
    record.add("step_temporary_bytes", summary.stepBuffers->temporaries);
  }
  if (summary.sparsityOverall)
    addSparsity(record, summary.sparsity, *summary.sparsityOverall);
  if (summary.lossScale) {
    record.add("loss_scale", *summary.lossScale);
    record.add("skipped_steps", summary.skippedSteps.value_or(0));
  }
  llvm::json::Object bytes;
  for (const auto &[dtype, count] : summary.stateBytes)
    bytes[dtype] = count;
  record.add("state_bytes", std::move(bytes));
  if (!summary.modelBytes.empty()) {
    llvm::json::Object model;
    for (const auto &[dtype, count] : summary.modelBytes)
      model[dtype] = count;
    record.add("model_bytes", std::move(model));
  }
  if (!summary.teacherBytes.empty()) {
    llvm::json::Object teacher;
    for (const auto &[dtype, count] : summary.teacherBytes)
      teacher[dtype] = count;
    record.add("teacher_bytes", std::move(teacher));
  }
  if (summary.worldSize)
    record.add("world_size", *summary.worldSize);
  if (summary.trained && summary.commBytesPerStep) {
    record.add("comm_bytes_per_step", *summary.commBytesPerStep);
    if (summary.measuredCommBytesPerStep)
      record.add("comm_bytes_per_step_measured",
                 *summary.measuredCommBytesPerStep);
  }
  if (summary.optimizerStateBytesPerRank)
    record.add("optimizer_state_bytes_per_rank",
               *summary.optimizerStateBytesPerRank);
  return record;
}

MetricsRecord &mlir::mlopt::runtime::addSparsity(
    MetricsRecord &record, ArrayRef<std::pair<std::string, double>> perTensor,
    double overall) {
  llvm::json::Object fractions;
  for (const auto &[name, fraction] : perTensor)
    fractions[name] = fraction;
  record.add("sparsity", std::move(fractions));
  return record.add("sparsity_overall", overall);
}

//===----------------------------------------------------------------------===//
// Run configuration
//===----------------------------------------------------------------------===//

std::optional<double> mlir::mlopt::runtime::samplesPerSecond(int64_t samples,
                                                             double seconds) {
  if (!(seconds > 0))
    return std::nullopt;
  return double(samples) / seconds;
}

HostCpu mlir::mlopt::runtime::detectHostCpu() {
  HostCpu cpu;
  cpu.name = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  for (StringRef feature : {"avx2", "avx512f", "avx512bf16", "avx512vnni"})
    cpu.features.emplace_back(feature.str(), features.lookup(feature));
  return cpu;
}

llvm::json::Object mlir::mlopt::runtime::toJson(const HostCpu &cpu) {
  llvm::json::Object features;
  for (const auto &[name, present] : cpu.features)
    features[name] = present;
  return llvm::json::Object{{"name", cpu.name},
                            {"features", std::move(features)}};
}
