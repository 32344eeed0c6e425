//===- MetricsTest.cpp - tests of the metrics file, progress bar, summary -===//

#include "mlopt/Runtime/Metrics.h"

#include "RuntimeTestUtils.h"

#include "llvm/ADT/StringExtras.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;
using ::testing::HasSubstr;

namespace {

std::vector<std::string> readLines(const std::string &path) {
  std::vector<uint8_t> bytes = readFile(path);
  std::string text(bytes.begin(), bytes.end());
  llvm::SmallVector<llvm::StringRef> lines;
  llvm::StringRef(text).split(lines, '\n');
  std::vector<std::string> result;
  for (llvm::StringRef line : lines)
    result.push_back(line.str());
  return result;
}

TEST(MetricsTest, RecordKeepsKeyOrderAndSpellsNonFinite) {
  MetricsRecord record;
  record.add("step", 12)
      .add("loss", 0.5)
      .add("phase", "train")
      .add("finite", true)
      .add("bad", std::numeric_limits<double>::quiet_NaN())
      .add("big", std::numeric_limits<double>::infinity())
      .add("small", -std::numeric_limits<double>::infinity())
      .add("loss", 0.25);
  EXPECT_EQ(record.toJson(),
            R"({"step":12,"loss":0.25,"phase":"train","finite":true,)"
            R"("bad":"nan","big":"inf","small":"-inf"})");
}

TEST(MetricsTest, WriterWritesJsonLines) {
  TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  {
    llvm::Expected<MetricsWriter> writer = MetricsWriter::open(path, false);
    ASSERT_TRUE(bool(writer)) << llvm::toString(writer.takeError());
    EXPECT_EQ(errorOf(writer->write(MetricsRecord().add("step", 1))),
              "<success>");
    EXPECT_EQ(
        errorOf(writer->write(MetricsRecord().add("step", 2).add("loss", 1.5))),
        "<success>");
    // Each record is on disk as soon as write() returns, before closing.
    EXPECT_EQ(readLines(path),
              std::vector<std::string>(
                  {R"({"step":1})", R"({"step":2,"loss":1.5})", ""}));
  }
  {
    llvm::Expected<MetricsWriter> writer = MetricsWriter::open(path, true);
    ASSERT_TRUE(bool(writer)) << llvm::toString(writer.takeError());
    ASSERT_FALSE(bool(writer->write(MetricsRecord().add("step", 3))));
  }
  std::vector<std::string> lines = readLines(path);
  ASSERT_EQ(lines.size(), 4u);
  for (size_t i = 0; i < 3; ++i) {
    llvm::Expected<llvm::json::Value> value = llvm::json::parse(lines[i]);
    ASSERT_TRUE(bool(value)) << llvm::toString(value.takeError());
    EXPECT_EQ(value->getAsObject()->getInteger("step"), int64_t(i + 1));
  }
  {
    // A new run starts a fresh file.
    llvm::Expected<MetricsWriter> writer = MetricsWriter::open(path, false);
    ASSERT_TRUE(bool(writer)) << llvm::toString(writer.takeError());
  }
  EXPECT_TRUE(readFile(path).empty());
  std::string bad = dir.file("missing/metrics.jsonl");
  EXPECT_EQ(errorOf(MetricsWriter::open(bad, false)),
            bad + ": cannot open the metrics file: No such file or directory");
}

TEST(MetricsTest, ProgressLine) {
  EXPECT_EQ(formatProgressLine("epoch 1/3", 5, 10, 10, "loss 0.5000"),
            "epoch 1/3 [=====>    ] 5/10  loss 0.5000");
  EXPECT_EQ(formatProgressLine("", 0, 4, 4, ""), "[>   ] 0/4");
  EXPECT_EQ(formatProgressLine("", 4, 4, 4, ""), "[====] 4/4");
  // Out-of-range counts do not overflow the bar.
  EXPECT_EQ(formatProgressLine("", 9, 4, 4, ""), "[====] 9/4");
}

TEST(MetricsTest, DisabledProgressBarPrintsNothing) {
  std::string text;
  llvm::raw_string_ostream os(text);
  ProgressBar bar(os, /*enabled=*/false, "eval", 3);
  bar.update(1);
  bar.update(3);
  bar.finish();
  EXPECT_TRUE(text.empty());
  EXPECT_FALSE(bar.isEnabled());
}

TEST(MetricsTest, ProgressBarRedrawsInPlaceAndThrottles) {
  std::string text;
  llvm::raw_string_ostream os(text);
  ProgressBar bar(os, /*enabled=*/true, "train", 100, 4, std::chrono::hours(1));
  bar.update(1, "a");
  // Within the interval since the last draw: skipped.
  bar.update(2, "b");
  EXPECT_EQ(text,
            "\r" + formatProgressLine("train", 1, 100, 4, "a") + "\x1b[K");
  // The final step always draws.
  bar.update(100, "c");
  bar.finish("done");
  EXPECT_EQ(text,
            "\r" + formatProgressLine("train", 1, 100, 4, "a") + "\x1b[K\r" +
                formatProgressLine("train", 100, 100, 4, "c") + "\x1b[K\r" +
                formatProgressLine("train", 100, 100, 4, "done") + "\x1b[K\n");
}

TEST(MetricsTest, ProgressBarRedrawsAfterTheInterval) {
  std::string text;
  llvm::raw_string_ostream os(text);
  ProgressBar bar(os, /*enabled=*/true, "", 10, 2,
                  std::chrono::milliseconds(0));
  bar.update(1);
  bar.update(2);
  EXPECT_EQ(text, "\r[> ] 1/10\x1b[K\r[> ] 2/10\x1b[K");
}

TEST(MetricsTest, TimerAndMemory) {
  Timer timer;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double elapsed = timer.seconds();
  EXPECT_GE(elapsed, 0.02);
  EXPECT_LT(elapsed, 5.0);
  timer.reset();
  EXPECT_LT(timer.seconds(), elapsed);

  // Touch 32 MiB so the peak is well above a bare process.
  std::vector<char> block(32 << 20);
  std::memset(block.data(), 1, block.size());
  double before = peakRssMb();
  // Linux's ru_maxrss is the VmHWM of /proc/self/status: compare the two.
  std::vector<uint8_t> status = readFile("/proc/self/status");
  llvm::StringRef text(reinterpret_cast<const char *>(status.data()),
                       status.size());
  size_t at = text.find("VmHWM:");
  ASSERT_NE(at, llvm::StringRef::npos);
  llvm::StringRef field = text.substr(at + 6).ltrim();
  uint64_t hwmKiB = 0;
  ASSERT_FALSE(field.take_while(llvm::isDigit).getAsInteger(10, hwmKiB));
  double after = peakRssMb();
  EXPECT_GE(before, 32.0);
  EXPECT_LE(before, after);
  EXPECT_GE(double(hwmKiB) / 1024, before - 1.0);
  EXPECT_LE(double(hwmKiB) / 1024, after + 1.0);
  EXPECT_EQ(block[block.size() / 2], 1);
}

TEST(MetricsTest, Median) {
  EXPECT_EQ(median({}), 0);
  EXPECT_EQ(median({3}), 3);
  EXPECT_EQ(median({5, 1, 3}), 3);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
}

TEST(MetricsTest, FormatBytes) {
  EXPECT_EQ(formatBytes(812), "812 B");
  EXPECT_EQ(formatBytes(1536), "1.50 KiB");
  EXPECT_EQ(formatBytes(814120), "795.0 KiB");
  EXPECT_EQ(formatBytes(3ull << 30), "3.00 GiB");
}

RunSummary sampleSummary() {
  RunSummary summary;
  summary.trained = true;
  summary.epochs = 2;
  summary.steps = 936;
  summary.firstStepLoss = 2.3;
  summary.trainLoss = 0.41234;
  summary.trainAccuracy = 0.8512;
  summary.testLoss = 0.45;
  summary.testAccuracy = 0.8391;
  summary.testSamples = 10000;
  summary.stepSeconds = {0.004, 0.002, 0.003};
  summary.samples = 119808;
  summary.trainSeconds = 2.0;
  summary.peakRssMb = 312.25;
  summary.sparsity = {{"fc1.weight", 0.5}, {"fc2.weight.long_name", 0.25}};
  summary.sparsityOverall = 0.45;
  summary.stateBytes = {{"F32", 814120}, {"I64", 8}};
  return summary;
}

TEST(MetricsTest, Summary) {
  EXPECT_EQ(formatSummary(sampleSummary()),
            "summary\n"
            "  epochs       2\n"
            "  steps        936\n"
            "  train        loss 0.4123  accuracy 85.12%\n"
            "  test         loss 0.4500  accuracy 83.91%\n"
            "  test samples 10000\n"
            "  step time    3.000 ms median\n"
            "  throughput   59904 samples/s\n"
            "  train time   2.00 s (steps 0.01 s, outside the steps 663.667 "
            "ms/step)\n"
            "  peak memory  312.2 MiB RSS\n"
            "  sparsity     45.00% overall\n"
            "               fc1.weight           50.00%\n"
            "               fc2.weight.long_name 25.00%\n"
            "  state        F32 795.0 KiB, I64 8 B, total 795.0 KiB\n");
  RunSummary minimal;
  minimal.trained = true;
  minimal.epochs = 1;
  minimal.steps = 10;
  minimal.testLoss = 1.0;
  std::string text = formatSummary(minimal);
  EXPECT_THAT(text, HasSubstr("  test         loss 1.0000\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("train")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("throughput")));
}

TEST(MetricsTest, SummaryRecord) {
  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse(summaryRecord(sampleSummary()).toJson());
  ASSERT_TRUE(bool(value)) << llvm::toString(value.takeError());
  const llvm::json::Object *object = value->getAsObject();
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->getString("event"), "summary");
  EXPECT_EQ(object->getInteger("steps"), 936);
  EXPECT_EQ(object->getNumber("test_accuracy"), 0.8391);
  EXPECT_EQ(object->getInteger("test_samples"), 10000);
  EXPECT_EQ(object->getNumber("first_step_loss"), 2.3);
  EXPECT_EQ(object->getNumber("step_ms_median"), 3.0);
  // One spelling of the step time, not two.
  EXPECT_EQ(object->get("step_time_median_s"), nullptr);
  EXPECT_EQ(object->getNumber("samples_per_s"), 59904.0);
  EXPECT_EQ(object->getObject("state_bytes")->getInteger("F32"), 814120);
  const llvm::json::Object *sparsity = object->getObject("sparsity");
  ASSERT_NE(sparsity, nullptr);
  EXPECT_EQ(sparsity->size(), 2u);
  EXPECT_EQ(sparsity->getNumber("fc1.weight"), 0.5);
  EXPECT_EQ(sparsity->getNumber("fc2.weight.long_name"), 0.25);
  EXPECT_EQ(object->getNumber("sparsity_overall"), 0.45);

  // A model without masks has neither field.
  RunSummary dense = sampleSummary();
  dense.sparsity.clear();
  dense.sparsityOverall.reset();
  std::string record = summaryRecord(dense).toJson();
  EXPECT_THAT(record, ::testing::Not(HasSubstr("sparsity")));
  EXPECT_THAT(formatSummary(dense), ::testing::Not(HasSubstr("sparsity")));
}

// A distilled run: the train line has the loss terms only training
// computes, and the teacher's frozen tensors are state but not the model's.
TEST(MetricsTest, DistillationSummary) {
  RunSummary summary;
  summary.trained = true;
  summary.epochs = 1;
  summary.steps = 10;
  summary.trainLoss = 0.5;
  summary.trainMetrics = {{"student_loss", 0.75}, {"distill_loss", 0.125}};
  summary.testLoss = 0.6;
  summary.stateBytes = {{"F32", 3072}};
  summary.modelBytes = {{"F32", 1024}};
  summary.teacherBytes = {{"F32", 2048}};
  std::string text = formatSummary(summary);
  EXPECT_THAT(text, HasSubstr("  train        loss 0.5000  student_loss "
                              "0.7500  distill_loss 0.1250\n"));
  EXPECT_THAT(text, HasSubstr("  test         loss 0.6000\n"));
  EXPECT_THAT(text, HasSubstr("  state        F32 3.00 KiB, total 3.00 KiB\n"
                              "  model        F32 1.00 KiB, total 1.00 KiB\n"
                              "  teacher      F32 2.00 KiB, total 2.00 KiB\n"));

  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse(summaryRecord(summary).toJson());
  ASSERT_TRUE(bool(value)) << llvm::toString(value.takeError());
  const llvm::json::Object *object = value->getAsObject();
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->getNumber("train_student_loss"), 0.75);
  EXPECT_EQ(object->getNumber("train_distill_loss"), 0.125);
  EXPECT_EQ(object->get("test_student_loss"), nullptr);
  EXPECT_EQ(object->getObject("model_bytes")->getInteger("F32"), 1024);
  EXPECT_EQ(object->getObject("teacher_bytes")->getInteger("F32"), 2048);

  // Without a teacher there is no teacher line or field.
  summary.teacherBytes.clear();
  EXPECT_THAT(formatSummary(summary), ::testing::Not(HasSubstr("teacher")));
  EXPECT_THAT(summaryRecord(summary).toJson(),
              ::testing::Not(HasSubstr("teacher")));
}

TEST(MetricsTest, AddSparsity) {
  MetricsRecord record;
  record.add("event", "epoch");
  addSparsity(record, {{"b", 0.25}, {"a", 1.0}}, 0.5);
  EXPECT_EQ(record.toJson(), R"({"event":"epoch","sparsity":{"a":1,"b":0.25},)"
                             R"("sparsity_overall":0.5})");
}

/// A run that took no training step (--eval-only) reports only what it
/// measured: no epochs, steps, step time, throughput or step FLOPs.
RunSummary evalOnlySummary() {
  RunSummary summary = sampleSummary();
  summary.trained = false;
  summary.trainLoss.reset();
  summary.trainAccuracy.reset();
  summary.firstStepLoss.reset();
  summary.stepSeconds.clear();
  summary.samples = 0;
  summary.trainSeconds = 0;
  summary.stepFlops = 1000;
  return summary;
}

TEST(MetricsTest, EvalOnlySummaryHasNoTrainingFields) {
  EXPECT_EQ(formatSummary(evalOnlySummary()),
            "summary\n"
            "  test         loss 0.4500  accuracy 83.91%\n"
            "  test samples 10000\n"
            "  peak memory  312.2 MiB RSS\n"
            "  sparsity     45.00% overall\n"
            "               fc1.weight           50.00%\n"
            "               fc2.weight.long_name 25.00%\n"
            "  state        F32 795.0 KiB, I64 8 B, total 795.0 KiB\n");
  // Even with stale training numbers around, `trained` decides.
  RunSummary stale = sampleSummary();
  stale.trained = false;
  stale.stepFlops = 1000;
  std::string text = formatSummary(stale);
  for (const char *field :
       {"epochs", "steps", "train ", "step time", "throughput", "train step"})
    EXPECT_THAT(text, ::testing::Not(HasSubstr(field))) << field;

  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse(summaryRecord(stale).toJson());
  ASSERT_TRUE(bool(value)) << llvm::toString(value.takeError());
  const llvm::json::Object *object = value->getAsObject();
  ASSERT_NE(object, nullptr);
  for (const char *key : {"epochs", "steps", "first_step_loss", "train_loss",
                          "train_accuracy", "step_ms_median", "samples_per_s",
                          "step_flops", "achieved_gflops_per_s"})
    EXPECT_EQ(object->get(key), nullptr) << key;
  EXPECT_EQ(object->getNumber("test_loss"), 0.45);
  EXPECT_EQ(object->getInteger("test_samples"), 10000);
}

// The training time less the steps' is the loop's own time per step; the
// data sets' loading time has its own line.
TEST(MetricsTest, TimeOutsideTheSteps) {
  RunSummary summary = sampleSummary();
  summary.stepSeconds = {0.25, 0.5, 0.75, 0.5};
  summary.trainSeconds = 2.004;
  summary.dataSeconds = 0.375;
  std::optional<OutsideSteps> outside = outsideSteps(summary);
  ASSERT_TRUE(outside.has_value());
  EXPECT_DOUBLE_EQ(outside->steps, 2.0);
  EXPECT_NEAR(outside->msPerStep, 1.0, 1e-9);
  std::string text = formatSummary(summary);
  EXPECT_THAT(text, HasSubstr("  train time   2.00 s (steps 2.00 s, outside "
                              "the steps 1.000 ms/step)\n"));
  EXPECT_THAT(text, HasSubstr("  data         0.38 s to load or generate\n"));
  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse(summaryRecord(summary).toJson());
  ASSERT_TRUE(bool(value)) << llvm::toString(value.takeError());
  const llvm::json::Object *object = value->getAsObject();
  EXPECT_EQ(object->getNumber("train_seconds"), 2.004);
  EXPECT_EQ(object->getNumber("step_seconds"), 2.0);
  EXPECT_NEAR(*object->getNumber("outside_step_ms"), 1.0, 1e-9);
  EXPECT_EQ(object->getNumber("data_seconds"), 0.375);
  // No step, no split; an evaluation has no training time.
  summary.stepSeconds.clear();
  EXPECT_FALSE(outsideSteps(summary).has_value());
  EXPECT_THAT(formatSummary(summary), ::testing::Not(HasSubstr("train time")));
  summary = sampleSummary();
  summary.trained = false;
  EXPECT_FALSE(outsideSteps(summary).has_value());
  EXPECT_EQ(summaryRecord(summary).toJson().find("outside_step_ms"),
            std::string::npos);
}

/// A resumed run with no step left reports its steps, but no step time or
/// throughput it did not measure.
TEST(MetricsTest, TrainingRunWithoutStepsHasNoRates) {
  RunSummary summary;
  summary.trained = true;
  summary.epochs = 0;
  summary.steps = 16;
  summary.trainSeconds = 1e-6;
  std::string text = formatSummary(summary);
  EXPECT_THAT(text, HasSubstr("  steps        16\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("throughput")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("step time")));
  std::string record = summaryRecord(summary).toJson();
  EXPECT_THAT(record, HasSubstr("\"steps\":16"));
  EXPECT_THAT(record, ::testing::Not(HasSubstr("samples_per_s")));
}

TEST(MetricsTest, SamplesPerSecond) {
  EXPECT_EQ(samplesPerSecond(640, 0.5), 1280.0);
  EXPECT_EQ(samplesPerSecond(640, 0.0), std::nullopt);
  EXPECT_EQ(samplesPerSecond(640, -1.0), std::nullopt);
}

TEST(MetricsTest, HostCpuNamesTheKernelFeatures) {
  HostCpu cpu = detectHostCpu();
  EXPECT_FALSE(cpu.name.empty());
  std::vector<std::string> names;
  for (const auto &feature : cpu.features)
    names.push_back(feature.first);
  EXPECT_EQ(names, (std::vector<std::string>{"avx2", "avx512f", "avx512bf16",
                                             "avx512vnni"}));
  llvm::json::Value json(toJson(cpu));
  const llvm::json::Object *object = json.getAsObject();
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->getString("name"), cpu.name);
  const llvm::json::Object *features = object->getObject("features");
  ASSERT_NE(features, nullptr);
  for (const auto &[name, present] : cpu.features)
    EXPECT_EQ(features->getBoolean(name), present) << name;
}

} // namespace

// The compiled step's planned buffers: a line after the peak memory and two
// fields beside peak_rss_mb; nothing when the backend plans none.
TEST(MetricsTest, SummaryShowsTheStepBuffers) {
  RunSummary summary = sampleSummary();
  summary.stepBuffers = mlir::mlopt::BufferBytes{3u << 20, 10u << 20};
  std::string text = formatSummary(summary);
  EXPECT_THAT(text, HasSubstr("  peak memory  312.2 MiB RSS\n"
                              "  step buffers 3.00 MiB (temporaries 10.0 "
                              "MiB, shared)\n"));
  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse(summaryRecord(summary).toJson());
  ASSERT_TRUE(bool(value)) << llvm::toString(value.takeError());
  const llvm::json::Object *object = value->getAsObject();
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->getNumber("peak_rss_mb"), 312.25);
  EXPECT_EQ(object->getInteger("step_buffer_bytes"), int64_t(3) << 20);
  EXPECT_EQ(object->getInteger("step_temporary_bytes"), int64_t(10) << 20);

  summary.stepBuffers.reset();
  EXPECT_THAT(formatSummary(summary),
              ::testing::Not(HasSubstr("step buffers")));
  EXPECT_THAT(summaryRecord(summary).toJson(),
              ::testing::Not(HasSubstr("step_buffer")));
}
