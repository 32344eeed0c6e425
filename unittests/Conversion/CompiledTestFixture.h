//===- CompiledTestFixture.h - what the differential tests share -*- C++
//-*-===//
//
// The differential tests compile modules for the CPU and compare them with
// the reference evaluator. They share a fixture: a context with every mlopt
// dialect whose diagnostics are collected (and shown when a compile fails),
// a compile cache of the test's own, and random inputs.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_UNITTESTS_CONVERSION_COMPILEDTESTFIXTURE_H
#define MLOPT_UNITTESTS_CONVERSION_COMPILEDTESTFIXTURE_H

#include "mlopt/InitAll.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "gtest/gtest.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace mlir::mlopt::testutil {

/// How the random inputs of a module's functions are drawn.
struct InputRange {
  double low = -2.0, high = 2.0;
  /// Integer inputs are drawn from [0, maxIndex).
  int64_t maxIndex = 10;
};

/// A tensor of `type` with elements drawn from `range` (floats uniform in
/// [low, high), integers in [0, maxIndex), booleans 0 or 1).
inline reference::Tensor randomTensor(RankedTensorType type,
                                      const InputRange &range,
                                      std::mt19937_64 &rng) {
  int64_t count = type.getNumElements();
  Type element = type.getElementType();
  if (isa<FloatType>(element)) {
    std::uniform_real_distribution<double> dist(range.low, range.high);
    std::vector<double> values(count);
    for (double &value : values)
      value = dist(rng);
    return reference::Tensor::fromDoubles(type, values);
  }
  int64_t high = element.isInteger(1) ? 2 : range.maxIndex;
  std::uniform_int_distribution<int64_t> dist(0, high - 1);
  std::vector<int64_t> values(count);
  for (int64_t &value : values)
    value = dist(rng);
  return reference::Tensor::fromInts(type, values);
}

/// The fixture of a test that compiles modules: `Base` is ::testing::Test
/// or a ::testing::TestWithParam.
template <typename Base = ::testing::Test> class CompiledTest : public Base {
protected:
  /// `cachePrefix` names the test's cache directory.
  explicit CompiledTest(llvm::StringRef cachePrefix)
      : cachePrefix(cachePrefix.str()),
        handler(&context, [this](Diagnostic &diag) {
          messages += diag.str() + "\n";
          return success();
        }) {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  void SetUp() override {
    llvm::SmallString<128> dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory(cachePrefix, dir));
    cacheDir = std::string(dir);
  }
  void TearDown() override {
    if (!cacheDir.empty())
      llvm::sys::fs::remove_directories(cacheDir);
  }

  /// `module` compiled for the CPU with `matmul`; null (and a test failure
  /// with the diagnostics) when it does not compile.
  std::unique_ptr<runtime::CpuExecutable>
  compile(ModuleOp module, llvm::StringRef matmul = "blas") {
    runtime::CpuCompileOptions options;
    options.cacheDir = cacheDir;
    options.matmul = matmul.str();
    auto exec = runtime::CpuExecutable::compile(module, options);
    if (!exec) {
      ADD_FAILURE() << llvm::toString(exec.takeError()) << "\n" << messages;
      return nullptr;
    }
    return std::move(*exec);
  }

  std::string cachePrefix;
  MLIRContext context;
  ScopedDiagnosticHandler handler;
  /// The diagnostics reported so far.
  std::string messages;
  std::string cacheDir;
};

} // namespace mlir::mlopt::testutil

#endif // MLOPT_UNITTESTS_CONVERSION_COMPILEDTESTFIXTURE_H
