//===- GradientCheckTest.cpp - mlopt-autodiff against finite differences --===//
//
// For every differentiable op, a tiny model whose trainable f64 states are the
// op's float inputs and whose loss is sum(op(...) * fixed random weights) is
// run through mlopt-autodiff; the gradients that @train_step returns (on the
// reference evaluator) must match central finite differences of @loss.
//
//===----------------------------------------------------------------------===//

#include "GradientCases.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;
using namespace mlir::mlopt::gradient_cases;

namespace {

//===----------------------------------------------------------------------===//
// The check
//===----------------------------------------------------------------------===//

class GradientCheckTest : public ::testing::TestWithParam<GradCase> {
protected:
  GradientCheckTest()
      : handler(&context, [this](Diagnostic &diag) {
          messages += diag.str() + "\n";
          return success();
        }) {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
  }

  /// Values for `count` elements; all distinct by at least 1e-3 so max,
  /// maximum and minimum have no ties within the finite-difference step.
  std::vector<double> sample(const Input &input, double quantum) {
    std::vector<double> values;
    std::uniform_real_distribution<double> uniform(input.low, input.high);
    std::bernoulli_distribution coin(0.5);
    int64_t count = numElements(input.shape);
    while (static_cast<int64_t>(values.size()) < count) {
      double value = uniform(generator);
      if (input.randomSign && coin(generator))
        value = -value;
      if (quantum > 0.0)
        value = std::round(value / quantum) * quantum;
      bool distinct = true;
      for (double other : sampled)
        distinct &= std::fabs(other - value) >= 1e-3;
      if (!distinct)
        continue;
      sampled.push_back(value);
      values.push_back(value);
    }
    return values;
  }

  MLIRContext context;
  ScopedDiagnosticHandler handler;
  std::string messages;
  std::mt19937_64 generator{20261125};
  std::vector<double> sampled;
};

TEST_P(GradientCheckTest, MatchesFiniteDifferences) {
  const GradCase &c = GetParam();
  std::string source = buildModule(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << messages << source;

  StateMap state =
      sampleCaseState(c, context, [&](const Input &input, double quantum) {
        return sample(input, quantum);
      });

  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createMLOptAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module))) << messages << source;

  Evaluator evaluator(*module);
  StateMap stepState = state;
  FailureOr<SmallVector<Tensor>> results =
      evaluator.call("train_step", {}, stepState);
  ASSERT_TRUE(succeeded(results)) << messages;

  auto trainStep = module->lookupSymbol<func::FuncOp>("train_step");
  ASSERT_TRUE(trainStep);
  std::map<std::string, Tensor> gradients;
  for (unsigned i = 1, e = trainStep.getNumResults(); i < e; ++i) {
    auto of = trainStep.getResultAttrOfType<FlatSymbolRefAttr>(
        i, MLOptDialect::kGradOfAttrName);
    ASSERT_TRUE(of) << "result #" << i << " is not a gradient";
    gradients[of.getValue().str()] = (*results)[i];
  }
  EXPECT_EQ(gradients.size(), c.inputs.size())
      << "every input of " << c.op << " is differentiable";

  auto lossAt = [&](StateMap &perturbed) -> double {
    FailureOr<SmallVector<Tensor>> loss = evaluator.call("loss", {}, perturbed);
    EXPECT_TRUE(succeeded(loss)) << messages;
    return succeeded(loss) ? (*loss)[0].getAsDouble(0) : NAN;
  };
  constexpr double kRelativeTolerance = 1e-6, kAbsoluteTolerance = 1e-8;
  for (const Input &input : c.inputs) {
    auto it = gradients.find(input.name);
    ASSERT_NE(it, gradients.end()) << "no gradient for @" << input.name;
    const Tensor &gradient = it->second;
    ASSERT_EQ(gradient.getType(), state[input.name].getType());
    for (int64_t k = 0, e = numElements(input.shape); k < e; ++k) {
      StateMap plus = state, minus = state;
      plus[input.name].getDoubles()[k] += c.step;
      minus[input.name].getDoubles()[k] -= c.step;
      double numeric = (lossAt(plus) - lossAt(minus)) / (2 * c.step);
      double analytic = gradient.getAsDouble(k);
      double tolerance = kRelativeTolerance *
                             std::max(std::fabs(numeric), std::fabs(analytic)) +
                         kAbsoluteTolerance;
      EXPECT_NEAR(analytic, numeric, tolerance)
          << "d loss / d " << input.name << "[" << k << "] of " << c.op << "\n"
          << source;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, GradientCheckTest,
                         ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.label;
                         });

INSTANTIATE_TEST_SUITE_P(Collectives, GradientCheckTest,
                         ::testing::ValuesIn(collectiveCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.label;
                         });

INSTANTIATE_TEST_SUITE_P(Models, GradientCheckTest,
                         ::testing::ValuesIn(compositeCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.label;
                         });

/// @train_step advances the rng state by one and keeps the dropout masks of
/// the forward and the backward in step.
TEST(AutodiffRngTest, TrainStepAdvancesTheSeed) {
  MLIRContext context;
  context.loadDialect<MLOptDialect, func::FuncDialect>();
  std::string messages;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    messages += diag.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      R"mlir(
    mlopt.state @w : tensor<64xf64> parameter trainable init #mlopt.zeros
    mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
    func.func @loss() -> tensor<f64> attributes {mlopt.loss} {
      %w = mlopt.state_read @w : tensor<64xf64>
      %seed = mlopt.state_read @rng : tensor<i64>
      %d = mlopt.dropout %w, %seed p = 0.5 stream = 9 : tensor<64xf64>
      %l = mlopt.sum %d dims = [0] : tensor<64xf64> -> tensor<f64>
      return %l : tensor<f64>
    })mlir",
      &context);
  ASSERT_TRUE(module) << messages;
  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createMLOptAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module))) << messages;

  Evaluator evaluator(*module);
  StateMap state;
  ASSERT_TRUE(succeeded(evaluator.initializeState(0, state))) << messages;
  // @init's seed 0 drawn through the state's stream (#mlopt.from_seed).
  int64_t start = static_cast<int64_t>(randomSeedKey(0, fnv1a64("rng"), 0));
  EXPECT_EQ(state["rng"].getInts()[0], start);
  auto type = cast<RankedTensorType>(parseType("tensor<64xf64>", &context));
  state["w"] = Tensor::fromDoubles(type, std::vector<double>(64, 1.0));
  for (int64_t step = 0; step < 2; ++step) {
    FailureOr<SmallVector<Tensor>> results =
        evaluator.call("train_step", {}, state);
    ASSERT_TRUE(succeeded(results)) << messages;
    ASSERT_EQ(results->size(), 2u);
    EXPECT_EQ(state["rng"].getInts()[0], start + 1 + step);
    // With w = 1 the loss is 2 * (number kept) and the gradient is the mask
    // scaled by 2: the backward used the forward's seed and stream.
    double kept = 0;
    for (int64_t i = 0; i < 64; ++i) {
      double g = (*results)[1].getAsDouble(i);
      EXPECT_TRUE(g == 0.0 || g == 2.0) << g;
      kept += g / 2.0;
    }
    EXPECT_DOUBLE_EQ((*results)[0].getAsDouble(0), 2.0 * kept);
    EXPECT_GT(kept, 0.0);
    EXPECT_LT(kept, 64.0);
  }
}

/// Every registered op with a VJP rule must have a gradient-check case, so a
/// new op cannot skip the checker.
TEST(GradientCheckCoverage, EveryDifferentiableOpHasACase) {
  MLIRContext context;
  context.loadDialect<MLOptDialect, func::FuncDialect>();
  llvm::StringSet<> covered;
  for (const GradCase &c : allCases())
    covered.insert(c.op);
  for (const GradCase &c : collectiveCases())
    covered.insert(c.op);
  int differentiable = 0;
  for (RegisteredOperationName name : context.getRegisteredOperations()) {
    if (name.getDialectNamespace() != MLOptDialect::getDialectNamespace() ||
        !name.hasInterface<DifferentiableOpInterface>())
      continue;
    // A point-to-point op needs a peer rank, which the reference evaluator
    // does not have: test/Transforms/autodiff-collectives.mlir checks its
    // mirrored VJP.
    if (name.hasTrait<PointToPoint>())
      continue;
    ++differentiable;
    EXPECT_TRUE(covered.contains(name.getStringRef()))
        << name.getStringRef().str()
        << " implements DifferentiableOpInterface but has no gradient-check "
           "case";
  }
  // Guards against the enumeration silently finding nothing.
  EXPECT_GE(differentiable, 40);
  for (const auto &entry : covered)
    EXPECT_TRUE(RegisteredOperationName::lookup(entry.getKey(), &context)
                    ->hasInterface<DifferentiableOpInterface>())
        << entry.getKey().str() << " has a case but no VJP rule";
}

} // namespace
