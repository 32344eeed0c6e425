//===- GradientDifferentialTest.cpp - compiled VJPs vs the reference ------===//
//
// Every gradient-check case (unittests/Transforms/GradientCases.h: one tiny
// model per differentiable op, plus a few composite models) is run through
// mlopt-autodiff; @train_step is then evaluated by the reference evaluator
// and JIT-compiled for the CPU from the same state, and the loss and every
// gradient must agree elementwise within |cpu - ref| <= atol + rtol |ref|.
// The cases are f64 (rtol 1e-9, atol 1e-12): both backends compute in f64,
// so only the order of accumulation and libm differ.
//
//===----------------------------------------------------------------------===//

#include "../Transforms/GradientCases.h"
#include "CompiledTestFixture.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/InitAll.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::gradient_cases;
using namespace mlir::mlopt::runtime;
using reference::Tensor;
using testutil::copyToHost;
using testutil::hostElement;
using testutil::toHost;

namespace {

/// Tolerances by element type: f64 results differ only by summation order
/// and libm; f32 ones (the f32 state of cast_f32_f64 has an f32 gradient,
/// a single rounding of an f64 value) as in DifferentialTest.
struct Tolerance {
  double rtol, atol;
};
constexpr Tolerance kF64Tolerance{1e-9, 1e-12};
constexpr Tolerance kF32Tolerance{1e-5, 1e-5};

class GradientDifferentialTest
    : public testutil::CompiledTest<::testing::TestWithParam<GradCase>> {
protected:
  GradientDifferentialTest() : CompiledTest("mlopt-gradient-differential") {}

  /// `count` values in [low, high] (sign flipped at random where asked),
  /// rounded to multiples of `quantum` when it is set.
  std::vector<double> sample(const Input &input, double quantum) {
    std::uniform_real_distribution<double> uniform(input.low, input.high);
    std::bernoulli_distribution coin(0.5);
    std::vector<double> values(numElements(input.shape));
    for (double &value : values) {
      value = uniform(generator);
      if (input.randomSign && coin(generator))
        value = -value;
      if (quantum > 0.0)
        value = std::round(value / quantum) * quantum;
    }
    return values;
  }

  static void expectClose(const HostBuffer &actual, const Tensor &expected) {
    ASSERT_EQ(actual.getType(), expected.getType());
    ASSERT_TRUE(expected.getElementType().isF32() ||
                expected.getElementType().isF64());
    Tolerance tolerance =
        expected.getElementType().isF64() ? kF64Tolerance : kF32Tolerance;
    int64_t mismatches = 0;
    for (int64_t i = 0, e = expected.getNumElements(); i < e; ++i) {
      double a = hostElement(actual, i);
      double r = expected.getAsDouble(i);
      bool ok =
          std::fabs(a - r) <= tolerance.atol + tolerance.rtol * std::fabs(r);
      if (!ok && ++mismatches <= 5)
        ADD_FAILURE() << "element " << i << ": cpu " << a << ", reference " << r
                      << " (difference " << a - r << ")";
    }
    EXPECT_EQ(mismatches, 0);
  }

  std::mt19937_64 generator{20261125};
};

TEST_P(GradientDifferentialTest, TrainStepMatchesReference) {
  const GradCase &c = GetParam();
  std::string source = buildModule(c);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << messages << source;

  reference::StateMap state =
      sampleCaseState(c, context, [&](const Input &input, double quantum) {
        return sample(input, quantum);
      });

  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createMLOptAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module))) << messages << source;

  CpuCompileOptions options;
  options.cacheDir = cacheDir;
  auto exec = CpuExecutable::compile(*module, options);
  ASSERT_TRUE(static_cast<bool>(exec))
      << llvm::toString(exec.takeError()) << "\n"
      << messages << source;
  // Both backends start from the same state.
  for (const auto &[name, tensor] : state) {
    HostBuffer *buffer = (*exec)->getState(name);
    ASSERT_TRUE(buffer) << "no state buffer @" << name;
    ASSERT_EQ(buffer->getType(), tensor.getType());
    copyToHost(tensor, *buffer);
  }

  reference::Evaluator evaluator(*module);
  reference::StateMap stepState = state;
  FailureOr<SmallVector<Tensor>> expected =
      evaluator.call("train_step", {}, stepState);
  ASSERT_TRUE(succeeded(expected)) << messages;
  auto actual = (*exec)->call("train_step", {});
  ASSERT_TRUE(static_cast<bool>(actual)) << llvm::toString(actual.takeError());

  // Result 0 is the loss, the others are gradients: one per input, so a
  // train step that lost one would not pass as a match.
  auto trainStep = module->lookupSymbol<func::FuncOp>("train_step");
  ASSERT_TRUE(trainStep);
  ASSERT_EQ(actual->size(), expected->size());
  ASSERT_EQ(expected->size(), c.inputs.size() + 1);
  for (unsigned i = 0, e = expected->size(); i < e; ++i) {
    std::string what = "loss";
    if (i > 0) {
      auto of = trainStep.getResultAttrOfType<FlatSymbolRefAttr>(
          i, MLOptDialect::kGradOfAttrName);
      ASSERT_TRUE(of) << "result #" << i << " is not a gradient";
      what = "d loss / d " + of.getValue().str();
    }
    SCOPED_TRACE(what + " of " + c.op + "\n" + source);
    expectClose((*actual)[i], (*expected)[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, GradientDifferentialTest,
                         ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.label;
                         });

INSTANTIATE_TEST_SUITE_P(Models, GradientDifferentialTest,
                         ::testing::ValuesIn(compositeCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.label;
                         });

} // namespace
