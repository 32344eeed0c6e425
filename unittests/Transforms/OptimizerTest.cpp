//===- OptimizerTest.cpp - mlopt-optimizer against torch.optim's formulas -===//
//
// Hand-written @train_step functions with a constant gradient or grad = 2 * w
// are run through mlopt-optimizer and executed for a few steps on the
// reference evaluator; the parameters must follow the numbers worked out from
// torch.optim's published update rules (SGD, Adam, AdamW), its learning-rate
// schedulers and torch.nn.utils.clip_grad_norm_. The end-to-end test trains
// examples/toy_linear.mlir through mlopt-train-pipeline, and, with
// mlopt-data-parallel{ranks=1 zero=1}, checks that the sharded (ZeRO-1)
// update of a world of one equals the unsharded one bit for bit.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Transforms/Passes.h"
#include "mlopt/Transforms/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

namespace {

/// A module parsed in its own context, with the diagnostics it produced.
class OptimizerTest : public ::testing::Test {
protected:
  OptimizerTest() {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics += diag.str() + "\n";
          return success();
        });
  }

  /// Parses `text` and runs `build` on it; fails the test on any error.
  OwningOpRef<ModuleOp>
  compile(StringRef text, llvm::function_ref<void(OpPassManager &)> build) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << diagnostics;
    if (!module)
      return {};
    PassManager pm(&context, ModuleOp::getOperationName());
    build(pm);
    if (failed(pm.run(*module))) {
      ADD_FAILURE() << "pipeline failed: " << diagnostics;
      return {};
    }
    return module;
  }

  OwningOpRef<ModuleOp> withOptimizer(StringRef text,
                                      const MLOptOptimizerOptions &options) {
    return compile(text, [&](OpPassManager &pm) {
      pm.addPass(createMLOptOptimizer(options));
    });
  }

  /// Runs @train_step `steps` times (no arguments) and returns the values of
  /// state `name` after each step.
  std::vector<std::vector<double>> run(ModuleOp module, StateMap &state,
                                       StringRef name, int steps,
                                       ArrayRef<Tensor> args = {}) {
    std::vector<std::vector<double>> trace;
    Evaluator evaluator(module);
    for (int i = 0; i < steps; ++i) {
      FailureOr<SmallVector<Tensor>> results =
          evaluator.call("train_step", args, state);
      if (failed(results)) {
        ADD_FAILURE() << "train_step failed at step " << i << ": "
                      << diagnostics;
        break;
      }
      ArrayRef<double> values = state.at(name.str()).getDoubles();
      trace.emplace_back(values.begin(), values.end());
    }
    return trace;
  }

  /// All states at their initial values (zeros here), then `name` = `values`.
  StateMap initialState(ModuleOp module, StringRef name,
                        ArrayRef<double> values) {
    StateMap state;
    Evaluator evaluator(module);
    EXPECT_TRUE(succeeded(evaluator.initializeState(0, state))) << diagnostics;
    Tensor &tensor = state[name.str()];
    tensor = Tensor::fromDoubles(tensor.getType(), values);
    return state;
  }

  MLIRContext context;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
};

/// `w : tensor<2xf32>` with the constant gradient [0.5, 0.25].
constexpr const char *kConstantGradient = R"mlir(
mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %l = mlopt.sum %w dims = [0] : tensor<2xf32> -> tensor<f32>
  %g = mlopt.constant dense<[0.5, 0.25]> : tensor<2xf32>
  return %l, %g : tensor<f32>, tensor<2xf32>
}
)mlir";

/// `w : tensor<2xf32>` with loss sum(w^2), i.e. grad = 2 * w.
constexpr const char *kQuadratic = R"mlir(
mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.zeros
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<2xf32>
  %sq = mlopt.mul %w, %w : tensor<2xf32>
  %l = mlopt.sum %sq dims = [0] : tensor<2xf32> -> tensor<f32>
  %two = mlopt.constant dense<2.0> : tensor<f32>
  %g = mlopt.mul %w, %two : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %l, %g : tensor<f32>, tensor<2xf32>
}
)mlir";

/// f32 parameters, values computed in f64 below: a few ulps of f32.
constexpr double kTolerance = 2e-6;

void expectTrace(const std::vector<std::vector<double>> &actual,
                 const std::vector<std::vector<double>> &expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t step = 0; step < expected.size(); ++step) {
    ASSERT_EQ(actual[step].size(), expected[step].size());
    for (size_t i = 0; i < expected[step].size(); ++i)
      EXPECT_NEAR(actual[step][i], expected[step][i],
                  kTolerance * std::max(1.0, std::abs(expected[step][i])))
          << "step " << step + 1 << ", element " << i;
  }
}

TEST_F(OptimizerTest, SGDMomentumDampeningWeightDecay) {
  MLOptOptimizerOptions options;
  options.optimizer = "sgd";
  options.lr = 0.1;
  options.momentum = 0.9;
  options.dampening = 0.1;
  options.weightDecay = 0.01;
  OwningOpRef<ModuleOp> module = withOptimizer(kConstantGradient, options);
  ASSERT_TRUE(module);
  StateMap state = initialState(*module, "w", {1.0, -2.0});
  auto trace = run(*module, state, "w", 3);
  // torch.optim.SGD: d = g + wd*p; buf = d (first step), then
  // buf = 0.9*buf + (1-0.1)*d; p -= lr*buf. Element 0 (g = 0.5, p = 1):
  //   1: d = 0.5 + 0.01*1 = 0.51;  buf = 0.51;   p = 1 - 0.051 = 0.949
  //   2: d = 0.5 + 0.00949 = 0.50949; buf = 0.9*0.51 + 0.9*0.50949
  //      = 0.917541;                              p = 0.949 - 0.0917541
  //                                                 = 0.8572459
  //   3: d = 0.508572459; buf = 0.9*0.917541 + 0.9*0.508572459
  //      = 1.2835021131;                          p = 0.72889568869
  // Element 1 (g = 0.25, p = -2):
  //   1: d = 0.25 - 0.02 = 0.23; buf = 0.23;      p = -2.023
  //   2: d = 0.22977; buf = 0.9*0.23 + 0.9*0.22977 = 0.413793;
  //                                               p = -2.0643793
  //   3: d = 0.229356207; buf = 0.9*0.413793 + 0.9*0.229356207
  //      = 0.5788342863;                          p = -2.12226272863
  expectTrace(trace, {{0.949, -2.023},
                      {0.8572459, -2.0643793},
                      {0.72889568869, -2.12226272863}});
  ArrayRef<double> buf = state.at("optimizer.w.momentum_buffer").getDoubles();
  EXPECT_NEAR(buf[0], 1.2835021131, kTolerance * 2);
  EXPECT_NEAR(buf[1], 0.5788342863, kTolerance);
  EXPECT_EQ(state.at("optimizer.step").getInts()[0], 3);
}

TEST_F(OptimizerTest, SGDNesterov) {
  MLOptOptimizerOptions options;
  options.optimizer = "sgd";
  options.lr = 0.1;
  options.momentum = 0.9;
  options.nesterov = true;
  OwningOpRef<ModuleOp> module = withOptimizer(kQuadratic, options);
  ASSERT_TRUE(module);
  StateMap state = initialState(*module, "w", {1.0, -2.0});
  auto trace = run(*module, state, "w", 3);
  // g = 2p; buf = g (first), then 0.9*buf + g; d = g + 0.9*buf; p -= 0.1*d.
  // Element 0 (element 1 is -2 times it, everything being linear in p):
  //   1: g = 2;      buf = 2;                      d = 3.8;   p = 0.62
  //   2: g = 1.24;   buf = 1.8 + 1.24 = 3.04;      d = 1.24 + 2.736 = 3.976;
  //                                                p = 0.2224
  //   3: g = 0.4448; buf = 2.736 + 0.4448 = 3.1808;
  //      d = 0.4448 + 2.86272 = 3.30752;           p = -0.108352
  expectTrace(trace, {{0.62, -1.24}, {0.2224, -0.4448}, {-0.108352, 0.216704}});
}

TEST_F(OptimizerTest, AdamWithL2WeightDecay) {
  MLOptOptimizerOptions options;
  options.optimizer = "adam";
  options.lr = 0.1;
  options.weightDecay = 0.1;
  OwningOpRef<ModuleOp> module = withOptimizer(kQuadratic, options);
  ASSERT_TRUE(module);
  StateMap state = initialState(*module, "w", {1.0, -2.0});
  auto trace = run(*module, state, "w", 3);
  // torch.optim.Adam (betas 0.9, 0.999, eps 1e-8): g = 2p + 0.1p;
  // m = 0.9m + 0.1g; v = 0.999v + 0.001g^2; bc1 = 1 - 0.9^t,
  // bc2 = 1 - 0.999^t; p -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps).
  // Element 0:
  //   1: g = 2.1; m = 0.21; v = 0.00441; bc1 = 0.1; bc2 = 0.001;
  //      denom = 0.066408/0.0316228 + 1e-8 = 2.10000001;
  //      p = 1 - 1.0 * 0.21/2.10000001 = 0.90000000048
  //   2: g = 1.890000001; m = 0.3780000001; v = 0.00797769000378;
  //      bc1 = 0.19; bc2 = 0.001999; denom = 1.99770880312;
  //      p = 0.90000000048 - (0.1/0.19) * 0.3780000001/1.99770880312
  //        = 0.80041222864
  //   3: g = 1.68086568015; m = 0.50828656811; v = 0.01079502175;
  //      bc1 = 0.271; bc2 = 0.002997001; denom = 1.89787812081;
  //      p = 0.80041222864 - (0.1/0.271) * 0.50828656811/1.89787812081
  //        = 0.70158627287
  // Element 1 (p = -2): g = -4.2, -3.9900000005, -3.78034962079;
  //   p = -1.90000000024, -1.80016648609, -1.70062339201.
  expectTrace(trace, {{0.9000000004761904, -1.9000000002380952},
                      {0.8004122286431954, -1.8001664860916349},
                      {0.7015862728718214, -1.7006233920100058}});
  ArrayRef<double> m = state.at("optimizer.w.exp_avg").getDoubles();
  ArrayRef<double> v = state.at("optimizer.w.exp_avg_sq").getDoubles();
  EXPECT_NEAR(m[0], 0.5082865681050709, kTolerance);
  EXPECT_NEAR(v[0], 0.010795021748484738, kTolerance * 0.1);
  EXPECT_NEAR(m[1], -1.0773349621242432, kTolerance * 2);
  EXPECT_NEAR(v[1], 0.04779996079941154, kTolerance * 0.1);
}

TEST_F(OptimizerTest, AdamWDecoupledWeightDecay) {
  MLOptOptimizerOptions options;
  options.optimizer = "adamw";
  options.lr = 0.1;
  options.weightDecay = 0.1;
  OwningOpRef<ModuleOp> module = withOptimizer(kQuadratic, options);
  ASSERT_TRUE(module);
  StateMap state = initialState(*module, "w", {1.0, -2.0});
  auto trace = run(*module, state, "w", 3);
  // torch.optim.AdamW: g = 2p (from the forward, before the decay);
  // p *= 1 - lr*wd = 0.99; then Adam without L2. Element 0:
  //   1: g = 2; p = 0.99; m = 0.2; v = 0.004; denom = 2.00000001;
  //      p = 0.99 - 1.0 * 0.2/2.00000001 = 0.8900000005
  //   2: g = 1.780000001; p = 0.881100000495; m = 0.3580000001;
  //      v = 0.00716440000356; denom = 1.89314342712;
  //      p = 0.881100000495 - (0.1/0.19) * 0.3580000001/1.89314342712
  //        = 0.78157185594
  //   3: g = 1.56314371187; p = 0.77375613738; m = 0.47851437128;
  //      v = 0.00960065386752; denom = 1.78981014193;
  //      p = 0.77375613738 - (0.1/0.271) * 0.47851437128/1.78981014193
  //        = 0.67510122164
  // Element 1 (p = -2): p = -1.88000000025, -1.76140895058, -1.64436868356.
  expectTrace(trace, {{0.8900000004999999, -1.88000000025},
                      {0.7815718559365048, -1.7614089505845592},
                      {0.6751012216400698, -1.6443686835605893}});
}

TEST_F(OptimizerTest, AdamWDefaultWeightDecayIsOnePercent) {
  // weight-decay < 0 selects PyTorch's default, 0.01 for AdamW: the first
  // step of a zero gradient only decays, p = 1 * (1 - 0.5*0.01) = 0.995.
  constexpr const char *zeroGradient = R"mlir(
mlopt.state @w : tensor<1xf32> parameter trainable init #mlopt.zeros
func.func @train_step() -> (tensor<f32>, tensor<1xf32> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<1xf32>
  %l = mlopt.sum %w dims = [0] : tensor<1xf32> -> tensor<f32>
  %g = mlopt.constant dense<0.0> : tensor<1xf32>
  return %l, %g : tensor<f32>, tensor<1xf32>
}
)mlir";
  MLOptOptimizerOptions options;
  options.optimizer = "adamw";
  options.lr = 0.5;
  OwningOpRef<ModuleOp> module = withOptimizer(zeroGradient, options);
  ASSERT_TRUE(module);
  StateMap state = initialState(*module, "w", {1.0});
  auto trace = run(*module, state, "w", 2);
  // Step 2: 0.995 * 0.995 = 0.990025.
  expectTrace(trace, {{0.995}, {0.990025}});
}

//===----------------------------------------------------------------------===//
// Learning-rate schedules: SGD with a constant gradient of -1 on an f64
// scalar parameter, so each step adds exactly the step's learning rate.
//===----------------------------------------------------------------------===//

constexpr const char *kUnitGradient = R"mlir(
mlopt.state @w : tensor<f64> parameter trainable init #mlopt.zeros
func.func @train_step() -> (tensor<f64>, tensor<f64> {mlopt.grad_of = @w})
    attributes {mlopt.train_step} {
  %w = mlopt.state_read @w : tensor<f64>
  %g = mlopt.constant dense<-1.0> : tensor<f64>
  return %w, %g : tensor<f64>, tensor<f64>
}
)mlir";

class ScheduleTest : public OptimizerTest {
protected:
  /// The learning rates of the first `steps` steps (t = 0, 1, ...).
  std::vector<double> learningRates(const MLOptOptimizerOptions &options,
                                    int steps) {
    OwningOpRef<ModuleOp> module = withOptimizer(kUnitGradient, options);
    if (!module)
      return {};
    StateMap state = initialState(*module, "w", {0.0});
    auto trace = run(*module, state, "w", steps);
    std::vector<double> rates;
    double previous = 0.0;
    for (const std::vector<double> &values : trace) {
      rates.push_back(values[0] - previous);
      previous = values[0];
    }
    return rates;
  }

  void expectRates(const std::vector<double> &actual,
                   const std::vector<double> &expected) {
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t t = 0; t < expected.size(); ++t)
      EXPECT_NEAR(actual[t], expected[t], 1e-12) << "t = " << t;
  }
};

TEST_F(ScheduleTest, Constant) {
  MLOptOptimizerOptions options;
  options.lr = 0.25;
  expectRates(learningRates(options, 3), {0.25, 0.25, 0.25});
}

TEST_F(ScheduleTest, StepLR) {
  // StepLR(step_size=2, gamma=0.5): lr * 0.5^floor(t/2).
  MLOptOptimizerOptions options;
  options.lr = 1.0;
  options.schedule = "step";
  options.stepSize = 2;
  options.gamma = 0.5;
  expectRates(learningRates(options, 6), {1.0, 1.0, 0.5, 0.5, 0.25, 0.25});
}

TEST_F(ScheduleTest, CosineAnnealing) {
  // CosineAnnealingLR(T_max=4, eta_min=0.1), held at eta_min after T_max:
  // 0.1 + 0.9 * (1 + cos(pi*t/4)) / 2 =
  //   t=0: 1.0; t=1: 0.1 + 0.45*(1 + 0.70710678) = 0.86819805153;
  //   t=2: 0.55; t=3: 0.1 + 0.45*(1 - 0.70710678) = 0.23180194847;
  //   t=4: 0.1; t=5: 0.1.
  MLOptOptimizerOptions options;
  options.lr = 1.0;
  options.schedule = "cosine";
  options.totalSteps = 4;
  options.minLr = 0.1;
  expectRates(learningRates(options, 6),
              {1.0, 0.8681980515339464, 0.55, 0.23180194846605365, 0.1, 0.1});
}

TEST_F(ScheduleTest, WarmupThenConstant) {
  // lr * (t+1)/3 for t < 3: 0.1, 0.2, 0.3, then 0.3.
  MLOptOptimizerOptions options;
  options.lr = 0.3;
  options.warmupSteps = 3;
  expectRates(learningRates(options, 5), {0.1, 0.2, 0.3, 0.3, 0.3});
}

TEST_F(ScheduleTest, WarmupThenStep) {
  // Warm-up over 2 steps (0.5, 1.0), then StepLR(1, 0.5) on t - 2:
  // 1.0, 0.5, 0.25.
  MLOptOptimizerOptions options;
  options.lr = 1.0;
  options.warmupSteps = 2;
  options.schedule = "step";
  options.stepSize = 1;
  options.gamma = 0.5;
  expectRates(learningRates(options, 5), {0.5, 1.0, 1.0, 0.5, 0.25});
}

TEST_F(ScheduleTest, WarmupThenCosine) {
  // Warm-up over 2 steps (0.5, 1.0), then cosine over 2 steps to 0:
  // t' = 0: 1.0, t' = 1: (1 + cos(pi/2))/2 = 0.5, t' = 2: 0, held at 0.
  MLOptOptimizerOptions options;
  options.lr = 1.0;
  options.warmupSteps = 2;
  options.schedule = "cosine";
  options.totalSteps = 2;
  expectRates(learningRates(options, 6), {0.5, 1.0, 1.0, 0.5, 0.0, 0.0});
}

//===----------------------------------------------------------------------===//
// Gradient clipping
//===----------------------------------------------------------------------===//

/// Two parameters with constant gradients [3, 4] and [12]: global norm 13.
constexpr const char *kTwoGradients = R"mlir(
mlopt.state @a : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @b : tensor<1xf32> parameter trainable init #mlopt.zeros
func.func @train_step() -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @a},
                            tensor<1xf32> {mlopt.grad_of = @b})
    attributes {mlopt.train_step} {
  %a = mlopt.state_read @a : tensor<2xf32>
  %l = mlopt.sum %a dims = [0] : tensor<2xf32> -> tensor<f32>
  %ga = mlopt.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %gb = mlopt.constant dense<[12.0]> : tensor<1xf32>
  return %l, %ga, %gb : tensor<f32>, tensor<2xf32>, tensor<1xf32>
}
)mlir";

TEST_F(OptimizerTest, ClipGradNorm) {
  MLOptOptimizerOptions options;
  options.lr = 1.0;
  options.maxGradNorm = 1.3;
  OwningOpRef<ModuleOp> module = withOptimizer(kTwoGradients, options);
  ASSERT_TRUE(module);
  StateMap state = initialState(*module, "a", {0.0, 0.0});
  auto a = run(*module, state, "a", 1);
  // total = sqrt(9 + 16 + 144) = 13; coef = 1.3 / (13 + 1e-6)
  // = 0.0999999923077; p = -coef * g.
  double coef = 0.09999999230769291;
  expectTrace(a, {{-3 * coef, -4 * coef}});
  EXPECT_NEAR(state.at("b").getDoubles()[0], -12 * coef, kTolerance * 12);
}

TEST_F(OptimizerTest, ClipGradNormBelowThresholdIsIdentity) {
  // max_norm 26 > 13: coef = 26 / (13 + 1e-6) > 1 is clamped to 1.
  MLOptOptimizerOptions options;
  options.lr = 1.0;
  options.maxGradNorm = 26.0;
  OwningOpRef<ModuleOp> module = withOptimizer(kTwoGradients, options);
  ASSERT_TRUE(module);
  StateMap state = initialState(*module, "a", {0.0, 0.0});
  auto a = run(*module, state, "a", 1);
  expectTrace(a, {{-3.0, -4.0}});
  EXPECT_EQ(state.at("b").getDoubles()[0], -12.0);
}

//===----------------------------------------------------------------------===//
// End to end: examples/toy_linear.mlir through mlopt-train-pipeline
//===----------------------------------------------------------------------===//

/// A batch of the linear teacher y = x . w* + b*, x ~ N(0, 1) drawn from the
/// project's generator (seed 1234, one stream per batch).
struct Batch {
  Tensor x, y;
};

Batch teacherBatch(MLIRContext *context, uint64_t stream) {
  static const double teacherWeight[10] = {0.5, -1.0, 0.25, 2.0,  -0.75,
                                           1.5, -0.3, 0.8,  -1.2, 0.1};
  constexpr double teacherBias = 0.3;
  auto f32 = Float32Type::get(context);
  std::vector<double> x(32 * 10), y(32);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = randomNormal(1234, stream, i);
  for (int row = 0; row < 32; ++row) {
    double sum = teacherBias;
    for (int col = 0; col < 10; ++col)
      sum += x[row * 10 + col] * teacherWeight[col];
    y[row] = sum;
  }
  return {Tensor::fromDoubles(RankedTensorType::get({32, 10}, f32), x),
          Tensor::fromDoubles(RankedTensorType::get({32, 1}, f32), y)};
}

class TrainPipelineTest : public OptimizerTest {
protected:
  /// Trains toy_linear for `steps` steps with `pipelineOptions` and returns
  /// the held-out loss (eval_step) before and after.
  std::pair<double, double> train(StringRef pipelineOptions, int steps) {
    std::string path = std::string(MLOPT_EXAMPLES_DIR) + "/toy_linear.mlir";
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, &context);
    EXPECT_TRUE(module) << "cannot parse " << path << ": " << diagnostics;
    if (!module)
      return {NAN, NAN};
    PassManager pm(&context, ModuleOp::getOperationName());
    TrainPipelineOptions options;
    EXPECT_TRUE(succeeded(options.parseFromString(pipelineOptions)));
    TrainingPipelineOptions pipeline;
    pipeline.optimizer = options.getOptimizerOptions();
    buildTrainingPipeline(pm, pipeline);
    if (failed(pm.run(*module))) {
      ADD_FAILURE() << "mlopt-train-pipeline failed: " << diagnostics;
      return {NAN, NAN};
    }

    Evaluator evaluator(*module);
    StateMap state;
    // @init writes every state, the optimizer's included.
    Tensor seed = Tensor::fromInts(
        RankedTensorType::get({}, IntegerType::get(&context, 64)), {42});
    EXPECT_TRUE(succeeded(evaluator.call("init", {seed}, state)))
        << diagnostics;
    // Exactly the states of the manifest.
    auto manifest =
        (*module)->getAttrOfType<ManifestAttr>(MLOptDialect::kManifestAttrName);
    EXPECT_TRUE(manifest);
    if (manifest) {
      EXPECT_EQ(state.size(), manifest.size());
      for (StateEntryAttr entry : manifest)
        EXPECT_TRUE(state.count(entry.getName().str()))
            << "missing " << entry.getName().str();
    }

    Batch heldOut = teacherBatch(&context, 1000000);
    auto evalLoss = [&]() {
      FailureOr<SmallVector<Tensor>> loss =
          evaluator.call("eval_step", {heldOut.x, heldOut.y}, state);
      EXPECT_TRUE(succeeded(loss)) << diagnostics;
      return succeeded(loss) ? (*loss)[0].getDoubles()[0] : NAN;
    };
    double before = evalLoss();
    for (int step = 0; step < steps; ++step) {
      Batch batch = teacherBatch(&context, step);
      FailureOr<SmallVector<Tensor>> loss =
          evaluator.call("train_step", {batch.x, batch.y}, state);
      if (failed(loss)) {
        ADD_FAILURE() << "train_step failed at step " << step << ": "
                      << diagnostics;
        return {before, NAN};
      }
    }
    EXPECT_EQ(state.at("optimizer.step").getInts()[0], steps);
    double after = evalLoss();
    RecordProperty("loss_before", llvm::formatv("{0:e}", before).str());
    RecordProperty("loss_after", llvm::formatv("{0:e}", after).str());
    return {before, after};
  }
};

TEST_F(TrainPipelineTest, ToyLinearAdam) {
  auto [before, after] = train("optimizer=adam lr=0.05", 300);
  EXPECT_GT(before / after, 100.0) << "loss " << before << " -> " << after;
}

TEST_F(TrainPipelineTest, ToyLinearSGDMomentum) {
  auto [before, after] = train("optimizer=sgd lr=0.05 momentum=0.9", 300);
  EXPECT_GT(before / after, 100.0) << "loss " << before << " -> " << after;
}

//===----------------------------------------------------------------------===//
// ZeRO-1: sharded optimizer state in a world of one
//===----------------------------------------------------------------------===//

/// toy_linear trained through the training pipeline with and without
/// mlopt-data-parallel{ranks=1 zero=1} in the post-autodiff slot. Over one
/// rank the shard of a parameter is all of it, flattened: the sharded update
/// must equal the unsharded one bit for bit, and so must the optimizer
/// states (of the shard's shape).
class ZeroOneRankTest : public OptimizerTest {
protected:
  OwningOpRef<ModuleOp> compileToyLinear(StringRef optimizerOptions,
                                         bool sharded, bool lossScaling) {
    std::string path = std::string(MLOPT_EXAMPLES_DIR) + "/toy_linear.mlir";
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(path, &context);
    EXPECT_TRUE(module) << "cannot parse " << path << ": " << diagnostics;
    if (!module)
      return {};
    TrainPipelineOptions options;
    EXPECT_TRUE(succeeded(options.parseFromString(optimizerOptions)));
    TrainingPipelineOptions pipeline;
    pipeline.optimizer = options.getOptimizerOptions();
    if (sharded)
      pipeline.postAutodiffPasses.push_back([](OpPassManager &pm) {
        MLOptDataParallelOptions dataParallel;
        dataParallel.ranks = 1;
        dataParallel.zero = 1;
        pm.addPass(createMLOptDataParallel(dataParallel));
      });
    // An initial scale that overflows: the first steps are skipped and the
    // scale backs off, on both sides alike.
    if (lossScaling)
      pipeline.postAutodiffPasses.push_back([](OpPassManager &pm) {
        MLOptLossScalingOptions scaler;
        scaler.initScale = 3.4e38;
        pm.addPass(createMLOptLossScaling(scaler));
      });
    PassManager pm(&context, ModuleOp::getOperationName());
    buildTrainingPipeline(pm, pipeline);
    if (failed(pm.run(*module))) {
      ADD_FAILURE() << "mlopt-train-pipeline failed: " << diagnostics;
      return {};
    }
    return module;
  }

  /// Every state after `steps` training steps from @init with seed 42.
  StateMap train(ModuleOp module, int steps) {
    Evaluator evaluator(module);
    StateMap state;
    Tensor seed = Tensor::fromInts(
        RankedTensorType::get({}, IntegerType::get(&context, 64)), {42});
    EXPECT_TRUE(succeeded(evaluator.call("init", {seed}, state)))
        << diagnostics;
    for (int step = 0; step < steps; ++step) {
      Batch batch = teacherBatch(&context, step);
      if (failed(evaluator.call("train_step", {batch.x, batch.y}, state))) {
        ADD_FAILURE() << "train_step failed at step " << step << ": "
                      << diagnostics;
        break;
      }
    }
    return state;
  }

  void expectShardedEqualsUnsharded(StringRef optimizerOptions,
                                    bool lossScaling = false) {
    OwningOpRef<ModuleOp> whole =
        compileToyLinear(optimizerOptions, /*sharded=*/false, lossScaling);
    OwningOpRef<ModuleOp> sharded =
        compileToyLinear(optimizerOptions, /*sharded=*/true, lossScaling);
    ASSERT_TRUE(whole && sharded);
    // The sharded module holds its optimizer states as shards.
    unsigned shardStates = 0;
    for (auto state : sharded->getOps<StateOp>())
      if (state->hasAttr(MLOptDialect::kShardOfAttrName))
        ++shardStates;
    EXPECT_GT(shardStates, 0u);

    constexpr int kSteps = 6;
    StateMap expected = train(*whole, kSteps);
    StateMap actual = train(*sharded, kSteps);
    ASSERT_EQ(actual.size(), expected.size());
    EXPECT_GT(expected.at("optimizer.step").getInts()[0], 0);
    // The overflowing scale skipped steps before the updates began.
    if (lossScaling) {
      EXPECT_GT(expected.at("loss_scaler.skipped_steps").getInts()[0], 0);
    }
    for (const auto &[name, tensor] : expected) {
      auto it = actual.find(name);
      ASSERT_NE(it, actual.end()) << "no state " << name;
      EXPECT_EQ(it->second.getType().getNumElements(),
                tensor.getType().getNumElements())
          << name;
      if (isa<FloatType>(tensor.getType().getElementType()))
        EXPECT_EQ(it->second.getDoubles(), tensor.getDoubles()) << name;
      else
        EXPECT_EQ(it->second.getInts(), tensor.getInts()) << name;
    }
  }
};

TEST_F(ZeroOneRankTest, SGDMomentumWeightDecayClipping) {
  expectShardedEqualsUnsharded("optimizer=sgd lr=0.05 momentum=0.9 "
                               "weight-decay=0.01 max-grad-norm=0.5");
}

TEST_F(ZeroOneRankTest, Adam) {
  expectShardedEqualsUnsharded("optimizer=adam lr=0.05");
}

TEST_F(ZeroOneRankTest, AdamWClippingLossScaling) {
  expectShardedEqualsUnsharded("optimizer=adamw lr=0.05 max-grad-norm=1",
                               /*lossScaling=*/true);
}

} // namespace
