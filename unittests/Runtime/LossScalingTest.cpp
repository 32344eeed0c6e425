//===- LossScalingTest.cpp - mlopt-loss-scaling by execution --------------===//
//
// Steps whose scaled gradients overflow are skipped inside the compiled step:
// all state but the scaler's stays bit for bit, the learning-rate schedule
// does not advance, the scale backs off and grows as GradScaler's does (with
// DeepSpeed's hysteresis), and a skip at the scale's floor stops training.
// Each test runs on the CPU backend and on the reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtils.h"

#include "mlopt/Runtime/CheckpointPolicy.h"
#include "mlopt/Runtime/LossScaling.h"
#include "mlopt/Runtime/Metrics.h"
#include "mlopt/Runtime/Session.h"
#include "mlopt/Runtime/TrainingLoop.h"
#include "mlopt/Transforms/LossScaling.h"
#include "mlopt/Transforms/Passes.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;

namespace {

// Linear regression, batch 4: mse(x w^T + b, y). The loss function also
// counts its calls in a buffer, as mlopt-prune's mask updates write state in
// the forward: a skipped step must restore it.
constexpr const char *kModel = R"mlir(
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.value<dense<[[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]> : tensor<2x3xf32>>
mlopt.state @fc.bias : tensor<2xf32> parameter trainable
    init #mlopt.value<dense<[0.05, -0.05]> : tensor<2xf32>>
mlopt.state @calls : tensor<f32> buffer init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x2xf32> {mlopt.label})
    -> tensor<f32> attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<2xf32>
  %c = mlopt.state_read @calls : tensor<f32>
  %one = mlopt.constant dense<1.0> : tensor<f32>
  %c1 = mlopt.add %c, %one : tensor<f32>
  mlopt.state_write %c1, @calls : tensor<f32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

/// An input of ordinary values, or one whose gradient overflows once scaled:
/// with x = 1e19 the loss (~1e36) and the true gradient (~1e36) are finite,
/// but scale * gradient of the weight is not (the scaled backward of f16
/// training overflowing, in f32).
std::vector<float> batchInput(bool overflow) {
  std::vector<float> x = {0.5f, -1.0f, 0.25f, 1.0f,  2.0f, -0.5f,
                          0.0f, 0.75f, 1.5f,  -2.0f, 0.5f, 1.0f};
  if (overflow)
    x[0] = 1e19f;
  return x;
}

const std::vector<float> kTargets = {1.0f, 0.0f,  -1.0f, 0.5f,
                                     0.0f, 0.25f, 2.0f,  -1.0f};

class LossScalingTest : public ::testing::TestWithParam<std::string> {
protected:
  /// Compiles kModel with Adam, a step schedule (the lr halves every step)
  /// and mlopt-loss-scaling with `scaling`.
  std::unique_ptr<Session> compile(const MLOptLossScalingOptions &scaling,
                                   std::vector<PassBuilder> modelPasses = {}) {
    auto parsed = Model::parse(kModel, "loss-scaling-test");
    EXPECT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    if (!parsed)
      return nullptr;
    models.push_back(std::move(*parsed));
    const Model &model = *models.back();
    SessionOptions options;
    options.backend = GetParam();
    options.pipeline.optimizer.optimizer = "adam";
    options.pipeline.optimizer.lr = 0.01;
    options.pipeline.optimizer.schedule = "step";
    options.pipeline.optimizer.stepSize = 1;
    options.pipeline.optimizer.gamma = 0.5;
    options.pipeline.modelPasses = std::move(modelPasses);
    options.pipeline.postAutodiffPasses.push_back([scaling](OpPassManager &pm) {
      pm.addPass(createMLOptLossScaling(scaling));
    });
    auto session = Session::compile(model, options);
    EXPECT_TRUE(bool(session)) << llvm::toString(session.takeError());
    if (!session)
      return nullptr;
    EXPECT_FALSE(bool((*session)->init(0)));
    return std::move(*session);
  }

  /// One training step on the fixed batch.
  StepResult step(Session &session, bool overflow) {
    std::vector<float> x = batchInput(overflow);
    std::vector<TensorRef> arguments = {
        viewTensor("x", DType::F32, {4, 3}, x.data()),
        viewTensor("y", DType::F32, {4, 2}, kTargets.data())};
    auto result = session.trainStep(arguments);
    EXPECT_TRUE(bool(result)) << llvm::toString(result.takeError());
    return result ? *result : StepResult();
  }

  static double metric(const StepResult &result, llvm::StringRef name) {
    for (const auto &[metricName, value] : result.metrics)
      if (metricName == name)
        return value;
    ADD_FAILURE() << "no metric " << name.str();
    return NAN;
  }

  /// Every state's bytes, by name.
  static std::map<std::string, std::vector<uint8_t>> snapshot(Session &s) {
    std::map<std::string, std::vector<uint8_t>> states;
    for (const StateInfo &info : s.getStates()) {
      auto bytes = s.readState(info.spec.name);
      EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
      if (bytes)
        states[info.spec.name] = std::move(*bytes);
    }
    return states;
  }

  static double scalar(Session &s, llvm::StringRef name) {
    auto info = llvm::find_if(s.getStates(), [&](const StateInfo &info) {
      return info.spec.name == name;
    });
    EXPECT_NE(info, s.getStates().end()) << "no state " << name.str();
    auto bytes = s.readState(name);
    EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    if (info == s.getStates().end() || !bytes)
      return NAN;
    return loadElementAsDouble(info->spec.dtype, bytes->data(), 0);
  }

  /// The models of the sessions, which must outlive them.
  std::vector<std::unique_ptr<Model>> models;
};

// An overflowing step is skipped: every state but the scaler's keeps its
// bytes, the scale halves, the schedule does not advance; after
// growth-interval finite steps in a row the scale doubles.
TEST_P(LossScalingTest, SkipsTheOverflowingStepAndGrowsBack) {
  MLOptLossScalingOptions scaling;
  scaling.growthInterval = 3;
  std::unique_ptr<Session> session = compile(scaling);
  ASSERT_TRUE(session);
  EXPECT_TRUE(hasLossScaling(*session));
  EXPECT_EQ(getCheckedGradients(*session),
            (std::vector<std::string>{"fc.weight", "fc.bias"}));

  StepResult first = step(*session, /*overflow=*/false);
  EXPECT_EQ(metric(first, kLossScaleMetricName), 65536.0);
  EXPECT_EQ(metric(first, kSkippedMetricName), 0.0);
  EXPECT_EQ(metric(first, kNonFiniteGradMetricName), -1.0);
  EXPECT_EQ(scalar(*session, "optimizer.step"), 1.0);
  EXPECT_EQ(scalar(*session, kGrowthTrackerStateName), 1.0);
  EXPECT_EQ(scalar(*session, "calls"), 1.0);

  auto before = snapshot(*session);
  StepResult skipped = step(*session, /*overflow=*/true);
  EXPECT_TRUE(std::isfinite(skipped.loss));
  EXPECT_EQ(metric(skipped, kLossScaleMetricName), 65536.0);
  EXPECT_EQ(metric(skipped, kSkippedMetricName), 1.0);
  // The weight's gradient overflowed, the bias's did not.
  EXPECT_EQ(metric(skipped, kNonFiniteGradMetricName), 0.0);
  EXPECT_EQ(metric(skipped, kScaleAtFloorMetricName), 0.0);
  auto after = snapshot(*session);
  for (const auto &[name, bytes] : before) {
    if (llvm::StringRef(name).starts_with("loss_scaler."))
      continue;
    EXPECT_EQ(bytes, after[name]) << name << " changed on a skipped step";
  }
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 32768.0);
  EXPECT_EQ(scalar(*session, kGrowthTrackerStateName), 0.0);
  EXPECT_EQ(scalar(*session, kSkippedStepsStateName), 1.0);

  // The schedule did not advance: the next step applies the lr the skipped
  // one would have (0.01 * 0.5^1), and counts as the optimizer's second.
  StepResult third = step(*session, /*overflow=*/false);
  EXPECT_EQ(metric(third, "lr"), metric(skipped, "lr"));
  EXPECT_EQ(metric(third, "lr"), 0.005);
  EXPECT_EQ(metric(third, kLossScaleMetricName), 32768.0);
  EXPECT_EQ(scalar(*session, "optimizer.step"), 2.0);
  EXPECT_EQ(scalar(*session, "calls"), 2.0);
  EXPECT_NE(after["fc.weight"], snapshot(*session)["fc.weight"]);

  step(*session, /*overflow=*/false);
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 32768.0);
  EXPECT_EQ(scalar(*session, kGrowthTrackerStateName), 2.0);
  StepResult grown = step(*session, /*overflow=*/false);
  EXPECT_EQ(metric(grown, kLossScaleMetricName), 32768.0);
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 65536.0);
  EXPECT_EQ(scalar(*session, kGrowthTrackerStateName), 0.0);
  EXPECT_EQ(scalar(*session, "optimizer.step"), 4.0);

  auto status = readLossScaling(*session);
  ASSERT_TRUE(bool(status)) << llvm::toString(status.takeError());
  ASSERT_TRUE(status->has_value());
  EXPECT_EQ((*status)->scale, 65536.0);
  EXPECT_EQ((*status)->skippedSteps, 1);
}

// DeepSpeed's hysteresis: the first of two overflows in a row keeps the
// scale (the step is still skipped), the second backs off; growth refills
// the hysteresis.
TEST_P(LossScalingTest, HysteresisDelaysTheBackoff) {
  MLOptLossScalingOptions scaling;
  scaling.growthInterval = 2;
  scaling.hysteresis = 2;
  std::unique_ptr<Session> session = compile(scaling);
  ASSERT_TRUE(session);
  EXPECT_EQ(scalar(*session, kHysteresisStateName), 2.0);

  auto before = snapshot(*session);
  StepResult first = step(*session, /*overflow=*/true);
  EXPECT_EQ(metric(first, kSkippedMetricName), 1.0);
  EXPECT_EQ(before["fc.weight"], snapshot(*session)["fc.weight"]);
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 65536.0);
  EXPECT_EQ(scalar(*session, kHysteresisStateName), 1.0);

  step(*session, /*overflow=*/true);
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 32768.0);
  EXPECT_EQ(scalar(*session, kHysteresisStateName), 1.0);
  EXPECT_EQ(scalar(*session, kSkippedStepsStateName), 2.0);
  EXPECT_EQ(scalar(*session, "optimizer.step"), 0.0);

  step(*session, /*overflow=*/false);
  EXPECT_EQ(scalar(*session, kHysteresisStateName), 1.0);
  step(*session, /*overflow=*/false);
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 65536.0);
  EXPECT_EQ(scalar(*session, kHysteresisStateName), 2.0);
  EXPECT_EQ(scalar(*session, "optimizer.step"), 2.0);
}

// Every batch overflows: the scale backs off to min-scale, and the next
// skip there stops training with the step and the gradient's state.
TEST_P(LossScalingTest, TrainingStopsAtTheFloor) {
  MLOptLossScalingOptions scaling;
  scaling.minScale = 16384;
  std::unique_ptr<Session> session = compile(scaling);
  ASSERT_TRUE(session);
  std::vector<float> inputs, labels;
  for (int sample = 0; sample < 8; ++sample) {
    std::vector<float> x = batchInput(/*overflow=*/true);
    inputs.insert(inputs.end(), x.begin(), x.begin() + 3);
    labels.insert(labels.end(), kTargets.begin(), kTargets.begin() + 2);
  }
  auto dataset =
      Dataset::createRegression("overflowing", {3}, inputs, {2}, labels);
  ASSERT_TRUE(bool(dataset)) << llvm::toString(dataset.takeError());
  TrainLoopOptions loop;
  loop.epochs = 10;
  loop.progress = false;
  auto trained = train(*session, *dataset, loop);
  EXPECT_EQ(errorOf(std::move(trained)),
            "step 3: the gradient of 'fc.weight' is not finite even at the "
            "loss scale's floor (16384): the step was skipped and the scale "
            "cannot back off further");
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 16384.0);
  EXPECT_EQ(scalar(*session, kSkippedStepsStateName), 3.0);
  EXPECT_EQ(scalar(*session, "optimizer.step"), 0.0);
}

// A static scale never changes; a skipped step is already at the floor.
TEST_P(LossScalingTest, StaticScaleStopsAtTheFirstSkip) {
  MLOptLossScalingOptions scaling;
  scaling.mode = "static";
  scaling.initScale = 1024;
  std::unique_ptr<Session> session = compile(scaling);
  ASSERT_TRUE(session);
  StepResult finite = step(*session, /*overflow=*/false);
  EXPECT_EQ(metric(finite, kScaleAtFloorMetricName), 0.0);
  EXPECT_FALSE(bool(checkLossScaleFloor(*session, finite, 1)));
  StepResult skipped = step(*session, /*overflow=*/true);
  EXPECT_EQ(metric(skipped, kSkippedMetricName), 1.0);
  EXPECT_EQ(metric(skipped, kScaleAtFloorMetricName), 1.0);
  EXPECT_EQ(scalar(*session, kLossScaleStateName), 1024.0);
  EXPECT_EQ(scalar(*session, kSkippedStepsStateName), 1.0);
  EXPECT_EQ(errorOf(checkLossScaleFloor(*session, skipped, 2)),
            "step 2: the gradient of 'fc.weight' is not finite even at the "
            "loss scale's floor (1024): the step was skipped and the scale "
            "cannot back off further");
}

// A checkpoint after skipped steps resumes: its step counters lag the run's
// step (the 'mlopt.step' metadata) by the skipped steps it records.
TEST_P(LossScalingTest, ResumesAfterSkippedSteps) {
  std::unique_ptr<Session> session = compile(MLOptLossScalingOptions());
  ASSERT_TRUE(session);
  step(*session, /*overflow=*/false);
  step(*session, /*overflow=*/true);
  step(*session, /*overflow=*/false);
  TempDir dir;
  std::string path = dir.file("scaled.safetensors");
  ASSERT_FALSE(bool(saveCheckpoint(*session, path, /*step=*/3)));

  std::unique_ptr<Session> resumed = compile(MLOptLossScalingOptions());
  ASSERT_TRUE(resumed);
  auto loaded = loadCheckpoint(*resumed, path, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->step, 3);
  EXPECT_EQ(snapshot(*session), snapshot(*resumed));
  EXPECT_EQ(scalar(*resumed, "optimizer.step"), 2.0);
  EXPECT_EQ(scalar(*resumed, kLossScaleStateName), 32768.0);
}

// The run summary shows the scale and the skipped steps; the record has
// `loss_scale` and `skipped_steps`. Without loss scaling neither appears.
TEST(LossScalingSummaryTest, ReportsTheScaleAndTheSkippedSteps) {
  RunSummary summary;
  summary.trained = true;
  summary.lossScale = 32768;
  summary.skippedSteps = 3;
  EXPECT_NE(
      formatSummary(summary).find("  loss scale   32768, 3 steps skipped\n"),
      std::string::npos)
      << formatSummary(summary);
  std::string record = summaryRecord(summary).toJson();
  EXPECT_NE(record.find("\"loss_scale\":32768"), std::string::npos) << record;
  EXPECT_NE(record.find("\"skipped_steps\":3"), std::string::npos) << record;

  RunSummary plain;
  plain.trained = true;
  EXPECT_EQ(formatSummary(plain).find("loss scale"), std::string::npos);
  EXPECT_EQ(summaryRecord(plain).toJson().find("loss_scale"),
            std::string::npos);
}

// With mlopt-prune the step writes the masks and pruning.step before the
// update: a skipped step restores them, so the one-shot pruning happens at
// the next applied step.
TEST_P(LossScalingTest, SkippedStepRestoresThePruningMasks) {
  MLOptPruneOptions prune;
  prune.method = "l1";
  prune.amount = "0.5";
  prune.targets = "fc\\.weight";
  std::unique_ptr<Session> session = compile(
      MLOptLossScalingOptions(),
      {[prune](OpPassManager &pm) { pm.addPass(createMLOptPrune(prune)); }});
  ASSERT_TRUE(session);
  auto before = snapshot(*session);
  StepResult skipped = step(*session, /*overflow=*/true);
  EXPECT_EQ(metric(skipped, kSkippedMetricName), 1.0);
  auto after = snapshot(*session);
  for (const auto &[name, bytes] : before) {
    if (!llvm::StringRef(name).starts_with("loss_scaler.")) {
      EXPECT_EQ(bytes, after[name]) << name << " changed on a skipped step";
    }
  }
  EXPECT_EQ(scalar(*session, "pruning.step"), 0.0);

  step(*session, /*overflow=*/false);
  EXPECT_EQ(scalar(*session, "pruning.step"), 1.0);
  auto mask = session->readState("fc.weight.mask");
  ASSERT_TRUE(bool(mask)) << llvm::toString(mask.takeError());
  std::vector<float> values(mask->size() / sizeof(float));
  std::memcpy(values.data(), mask->data(), mask->size());
  EXPECT_EQ(std::count(values.begin(), values.end(), 0.0f), 3);
  auto weight = session->readState("fc.weight");
  ASSERT_TRUE(bool(weight));
  std::vector<float> w(weight->size() / sizeof(float));
  std::memcpy(w.data(), weight->data(), weight->size());
  for (size_t i = 0; i < w.size(); ++i) {
    if (values[i] == 0.0f) {
      EXPECT_EQ(w[i], 0.0f) << "pruned weight " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, LossScalingTest,
                         ::testing::Values("cpu", "reference"),
                         [](const auto &info) { return info.param; });

} // namespace
