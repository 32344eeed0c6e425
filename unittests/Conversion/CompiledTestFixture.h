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
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "gtest/gtest.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace mlir::mlopt::testutil {

/// The APFloat semantics of bf16 and f16 (held as 16-bit patterns in host
/// buffers), or null for other types.
inline const llvm::fltSemantics *halfSemantics(Type element) {
  if (element.isBF16())
    return &llvm::APFloat::BFloat();
  if (element.isF16())
    return &llvm::APFloat::IEEEhalf();
  return nullptr;
}

/// Writes the evaluator's `tensor` into `buffer` of the same type (floats
/// rounded to nearest even where narrower; every element type of the
/// dialect).
inline void copyToHost(const reference::Tensor &tensor,
                       runtime::HostBuffer &buffer) {
  Type element = tensor.getElementType();
  for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i) {
    if (const llvm::fltSemantics *semantics = halfSemantics(element)) {
      llvm::APFloat value(tensor.getDoubles()[i]);
      bool losesInfo = false;
      value.convert(*semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
      buffer.as<uint16_t>()[i] =
          static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
    } else if (element.isF32()) {
      buffer.as<float>()[i] = static_cast<float>(tensor.getDoubles()[i]);
    } else if (element.isF64()) {
      buffer.as<double>()[i] = tensor.getDoubles()[i];
    } else if (element.isInteger(64)) {
      buffer.as<int64_t>()[i] = tensor.getInts()[i];
    } else if (element.isInteger(32)) {
      buffer.as<int32_t>()[i] = static_cast<int32_t>(tensor.getInts()[i]);
    } else if (element.isInteger(16)) {
      buffer.as<int16_t>()[i] = static_cast<int16_t>(tensor.getInts()[i]);
    } else if (element.isInteger(8) || element.isInteger(1)) {
      buffer.as<int8_t>()[i] = static_cast<int8_t>(tensor.getInts()[i]);
    } else {
      ADD_FAILURE() << "unsupported element type in the test";
    }
  }
}

/// The evaluator's `tensor` as a host buffer of its type.
inline runtime::HostBuffer toHost(const reference::Tensor &tensor) {
  runtime::HostBuffer buffer(tensor.getType());
  copyToHost(tensor, buffer);
  return buffer;
}

/// Element `i` of a host buffer as a double (exact for every type but
/// i64 beyond 2^53).
inline double hostElement(const runtime::HostBuffer &buffer, int64_t i) {
  Type element = buffer.getType().getElementType();
  if (const llvm::fltSemantics *semantics = halfSemantics(element))
    return llvm::APFloat(*semantics, llvm::APInt(16, buffer.as<uint16_t>()[i]))
        .convertToDouble();
  if (element.isF32())
    return buffer.as<float>()[i];
  if (element.isF64())
    return buffer.as<double>()[i];
  if (element.isInteger(64))
    return static_cast<double>(buffer.as<int64_t>()[i]);
  if (element.isInteger(32))
    return buffer.as<int32_t>()[i];
  if (element.isInteger(16))
    return buffer.as<int16_t>()[i];
  return buffer.as<int8_t>()[i];
}

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
    options.matmul = matmul.str();
    return compile(module, options);
  }

  /// `module` compiled with `options` (in this test's cache); null (and a
  /// test failure with the diagnostics) when it does not compile.
  std::unique_ptr<runtime::CpuExecutable>
  compile(ModuleOp module, runtime::CpuCompileOptions options) {
    options.cacheDir = cacheDir;
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
