//===- ApproximateMathDifferentialTest.cpp - polynomial math vs f64 ------===//
//
// mlopt-approximate-math replaces libm calls by polynomials in f32 (and in
// f32 for f16 / bf16). Each op that lowers to such math is compiled with the
// option on and compared with the reference evaluator (f64, rounded once to
// the result type) over inputs that span the whole f32 range: zeros,
// denormals, tiny and huge magnitudes, the overflow thresholds, +-inf and
// NaN. An element passes when |cpu - ref| <= atol + rtol |ref|; NaN must
// match NaN and an infinite reference the same infinity. The tolerances
// below are the ones docs/CpuPerformance.md ("Vectorized math") states.
//
//===----------------------------------------------------------------------===//

#include "CompiledTestFixture.h"

#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using reference::Tensor;
using testutil::CompiledTest;
using testutil::hostElement;
using testutil::toHost;

namespace {

struct Tolerance {
  double atol, rtol;
};

/// Inputs exactly representable in f32: the special values, +-2^k for k in
/// [-149, 127] with a few mantissas each (denormals included), and a dense
/// uniform sweep of [-20, 20].
std::vector<double> wideInputs() {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> values = {0.0,
                                -0.0,
                                inf,
                                -inf,
                                std::nan(""),
                                std::numeric_limits<float>::max(),
                                -std::numeric_limits<float>::max(),
                                std::numeric_limits<float>::min(),
                                std::numeric_limits<float>::denorm_min(),
                                -std::numeric_limits<float>::denorm_min(),
                                88.72283935546875,
                                88.7228317260742,
                                -87.33654022216797,
                                -103.27892303466797,
                                -104.0,
                                7.99881172180175781,
                                3.75,
                                0.0004};
  for (int k = -149; k <= 127; ++k)
    for (double mantissa : {1.0, 1.3, 1.7})
      for (double sign : {1.0, -1.0})
        values.push_back(static_cast<float>(sign * std::ldexp(mantissa, k)));
  std::mt19937_64 rng(20261202);
  std::uniform_real_distribution<double> dist(-20.0, 20.0);
  for (int i = 0; i < 2048; ++i)
    values.push_back(static_cast<float>(dist(rng)));
  return values;
}

class ApproximateMathDifferentialTest : public CompiledTest<> {
protected:
  ApproximateMathDifferentialTest()
      : CompiledTest("mlopt-approximate-math-differential") {}

  std::unique_ptr<CpuExecutable> compileWith(ModuleOp module,
                                             bool approximateMath) {
    CpuCompileOptions options;
    options.approximateMath = approximateMath;
    return compile(module, options);
  }

  /// Compiles `source` (public functions of one argument each, whose names
  /// are keys of `tolerances`) and compares every result on `inputs`.
  void check(const std::string &source,
             const std::map<std::string, Tolerance> &tolerances,
             llvm::ArrayRef<double> inputs, bool approximateMath = true) {
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    ASSERT_TRUE(module) << messages;
    std::unique_ptr<CpuExecutable> exec = compileWith(*module, approximateMath);
    ASSERT_TRUE(exec);
    reference::Evaluator evaluator(*module);
    for (auto func : module->getOps<func::FuncOp>()) {
      std::string name = func.getSymName().str();
      SCOPED_TRACE(name);
      llvm::StringRef key = name;
      key.consume_front("f_");
      ASSERT_TRUE(tolerances.count(key.str()));
      auto type = cast<RankedTensorType>(func.getArgumentTypes()[0]);
      ASSERT_EQ(type.getNumElements(), static_cast<int64_t>(inputs.size()));
      Tensor arg = Tensor::fromDoubles(type, inputs);
      std::vector<Tensor> args = {arg};
      // Further arguments are class labels: 0, 7, 14, ... modulo 64.
      for (Type extra : llvm::drop_begin(func.getArgumentTypes())) {
        auto labelType = cast<RankedTensorType>(extra);
        std::vector<int64_t> labels(labelType.getNumElements());
        for (size_t i = 0; i < labels.size(); ++i)
          labels[i] = static_cast<int64_t>(i * 7 % 64);
        args.push_back(Tensor::fromInts(labelType, labels));
      }
      std::vector<HostBuffer> hostArgs;
      for (const Tensor &a : args)
        hostArgs.push_back(toHost(a));
      std::vector<const HostBuffer *> pointers;
      for (HostBuffer &a : hostArgs)
        pointers.push_back(&a);
      reference::StateMap state;
      auto expected = evaluator.call(name, args, state);
      ASSERT_TRUE(succeeded(expected));
      auto actual = exec->call(name, pointers);
      ASSERT_TRUE(static_cast<bool>(actual))
          << llvm::toString(actual.takeError());
      for (size_t r = 0; r < actual->size(); ++r)
        expectClose((*actual)[r], (*expected)[r], tolerances.at(key.str()), arg,
                    key);
    }
  }

  static void expectClose(const HostBuffer &actual, const Tensor &expected,
                          Tolerance tolerance, const Tensor &input,
                          llvm::StringRef name) {
    int64_t mismatches = 0;
    double maxAbs = 0, maxRel = 0;
    for (int64_t i = 0; i < expected.getNumElements(); ++i) {
      double a = hostElement(actual, i);
      double e = expected.getAsDouble(i);
      bool ok;
      if (std::isnan(e) || std::isnan(a)) {
        ok = std::isnan(e) && std::isnan(a);
      } else if (std::isinf(e) || std::isinf(a)) {
        ok = a == e;
      } else {
        double error = std::fabs(a - e);
        ok = error <= tolerance.atol + tolerance.rtol * std::fabs(e);
        maxAbs = std::max(maxAbs, error);
        if (std::fabs(e) >= 1e-30)
          maxRel = std::max(maxRel, error / std::fabs(e));
      }
      if (!ok && ++mismatches <= 5) {
        int64_t at = input.getNumElements() == expected.getNumElements()
                         ? i
                         : i % input.getNumElements();
        ADD_FAILURE() << "element " << i << " (input " << input.getAsDouble(at)
                      << "): cpu " << a << ", reference " << e;
      }
    }
    EXPECT_EQ(mismatches, 0);
    // The measured errors, for docs/CpuPerformance.md.
    std::printf("    %-14s max |error| %.3g, max relative error %.3g (|ref| >= "
                "1e-30)\n",
                name.str().c_str(), maxAbs, maxRel);
  }
};

std::string unaryFunction(llvm::StringRef name, llvm::StringRef op,
                          llvm::StringRef type,
                          llvm::StringRef attributes = "") {
  // "f_": a function named like a libm function (@erf) would clash with
  // convert-math-to-libm's declaration.
  return llvm::formatv("func.func @f_{0}(%x: tensor<{2}>) -> tensor<{2}> {{\n"
                       "  %y = mlopt.{1} %x {3}: tensor<{2}>\n"
                       "  return %y : tensor<{2}>\n}\n",
                       name, op, type, attributes)
      .str();
}

/// f32: the ops that lower to exp, log, erf and tanh, with their stated
/// tolerances. exp flushes results below 2^-126 to zero (atol 2^-126);
/// erf is accurate to 2.5e-7 absolute; gelu inherits erf's absolute error
/// times |x| / 2.
const std::map<std::string, Tolerance> kF32Tolerances = {
    {"exp", {1.2e-38, 3e-7}},    {"log", {1e-7, 3e-7}},
    {"tanh", {2e-7, 3e-7}},      {"erf", {3e-7, 3e-7}},
    {"sigmoid", {1e-7, 5e-7}},   {"gelu", {2e-6, 5e-7}},
    {"gelu_tanh", {2e-6, 5e-7}}, {"rsqrt", {0.0, 2.4e-7}},
    {"sqrt", {0.0, 0.0}},
};

std::string f32Module(llvm::StringRef type) {
  std::string source;
  for (const char *op :
       {"exp", "log", "tanh", "erf", "sigmoid", "gelu", "rsqrt", "sqrt"})
    source += unaryFunction(op, op, type);
  source += unaryFunction("gelu_tanh", "gelu", type, "approximate = tanh ");
  return source;
}

TEST_F(ApproximateMathDifferentialTest, F32UnaryOpsOverTheWholeRange) {
  std::vector<double> inputs = wideInputs();
  check(f32Module(llvm::formatv("{0}xf32", inputs.size()).str()),
        kF32Tolerances, inputs);
}

/// The same module and inputs without the pass (libm): a baseline that must
/// pass the same tolerances, so they are no looser than needed for
/// polynomials alone.
TEST_F(ApproximateMathDifferentialTest, F32UnaryOpsWithLibm) {
  std::vector<double> inputs = wideInputs();
  check(f32Module(llvm::formatv("{0}xf32", inputs.size()).str()),
        kF32Tolerances, inputs, /*approximateMath=*/false);
}

/// f16 and bf16 compute in f32 and round once: within one unit in the last
/// place of the narrow type (2^-10 for f16, 2^-7 for bf16, relative) where
/// f32 is within a few of its own, and inputs are limited to what the type
/// holds (f16 overflows above 65504).
TEST_F(ApproximateMathDifferentialTest, HalfPrecisionComputesInF32) {
  std::vector<double> inputs;
  for (int i = -400; i <= 400; ++i)
    inputs.push_back(i / 40.0);
  for (double special : {std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(), std::nan(""),
                         0.0, -0.0, 1e-6, 60.0, -60.0})
    inputs.push_back(special);
  for (auto [type, ulp] : {std::pair<const char *, double>{"f16", 0x1p-10},
                           std::pair<const char *, double>{"bf16", 0x1p-7}}) {
    SCOPED_TRACE(type);
    std::string shape = llvm::formatv("{0}x{1}", inputs.size(), type).str();
    std::string source;
    for (const char *op : {"exp", "log", "tanh", "erf", "sigmoid", "gelu"})
      source += unaryFunction(op, op, shape);
    Tolerance t{ulp * 1e-3, ulp};
    check(source,
          {{"exp", t},
           {"log", t},
           {"tanh", t},
           {"erf", t},
           {"sigmoid", t},
           {"gelu", {ulp * 1e-2, ulp}}},
          inputs);
  }
}

/// f64 keeps libm: as close as the evaluator's own libm calls.
TEST_F(ApproximateMathDifferentialTest, F64StaysExact) {
  std::vector<double> inputs = wideInputs();
  std::string shape = llvm::formatv("{0}xf64", inputs.size()).str();
  std::string source;
  for (const char *op : {"exp", "log", "tanh", "erf"})
    source += unaryFunction(op, op, shape);
  Tolerance exact{0.0, 4e-16};
  check(source,
        {{"exp", exact}, {"log", exact}, {"tanh", exact}, {"erf", exact}},
        inputs);
}

/// The reductions built on exp and log, on wide logits (uniform in
/// [-60, 60]) whose exponentials after the max subtraction reach the
/// flush-to-zero range.
TEST_F(ApproximateMathDifferentialTest, SoftmaxLayerNormCrossEntropy) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-60.0, 60.0);
  std::vector<double> inputs(16 * 64);
  for (double &value : inputs)
    value = static_cast<float>(dist(rng));
  const char *source = R"mlir(
    func.func @softmax(%x: tensor<16x64xf32>) -> tensor<16x64xf32> {
      %y = mlopt.softmax %x dim = -1 : tensor<16x64xf32>
      return %y : tensor<16x64xf32>
    }
    func.func @log_softmax(%x: tensor<16x64xf32>) -> tensor<16x64xf32> {
      %y = mlopt.log_softmax %x dim = -1 : tensor<16x64xf32>
      return %y : tensor<16x64xf32>
    }
    func.func @layer_norm(%x: tensor<16x64xf32>) -> tensor<16x64xf32> {
      %y = mlopt.layer_norm %x : (tensor<16x64xf32>) -> tensor<16x64xf32>
      return %y : tensor<16x64xf32>
    }
    func.func @cross_entropy(%x: tensor<16x64xf32>, %labels: tensor<16xi64>) -> tensor<f32> {
      %l = mlopt.cross_entropy %x, %labels : (tensor<16x64xf32>, tensor<16xi64>) -> tensor<f32>
      return %l : tensor<f32>
    }
  )mlir";
  check(source,
        {{"softmax", {1e-7, 1e-5}},
         {"log_softmax", {1e-5, 1e-6}},
         {"layer_norm", {1e-5, 1e-5}},
         {"cross_entropy", {1e-5, 1e-6}}},
        inputs);
}

} // namespace
