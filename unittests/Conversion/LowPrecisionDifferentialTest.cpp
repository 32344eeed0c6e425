//===- LowPrecisionDifferentialTest.cpp - bf16/f16 compiled vs reference --===//
//
// Every op class with bf16 and f16 operands, forward and gradients, is
// lowered with mlopt-lower-to-cpu, JIT-compiled and run on random inputs
// (already representable in the type); its results must match the reference
// evaluator's. Both round each op's result once to the low type: the
// evaluator from f64, compiled code from f32 (ops widened to f32, matrix
// products accumulating in f32), so a result may differ by one unit in the
// last place where the f32 value lands near a rounding boundary.
//
// Tolerances, per dtype, with u the type's unit roundoff (bf16 2^-8, f16
// 2^-11) and M the largest |reference| element of the result:
//   forward   |cpu - ref| <= 2u |ref| + 2u M / 16 + 1e-6 (one ulp of the
//             result, plus a little for results that cancel to near 0);
//   gradients |cpu - ref| <= 8u |ref| + 8u M (the backward graph is a chain
//             of ops that each round to the low type, so a one-ulp
//             difference early on is carried and scaled along the chain).
// Integer and boolean results must match exactly.
//
//===----------------------------------------------------------------------===//

#include "../Transforms/GradientCases.h"
#include "CompiledTestFixture.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/InitAll.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"
#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using reference::Tensor;
using testutil::copyToHost;
using testutil::hostElement;
using testutil::InputRange;
using testutil::toHost;

namespace {

/// A low-precision dtype and the tolerances stated above.
struct LowType {
  const char *name;
  /// Unit roundoff: half the distance from 1 to the next value.
  double unitRoundoff;
};
constexpr LowType kBF16{"bf16", 0x1p-8};
constexpr LowType kF16{"f16", 0x1p-11};

struct Tolerance {
  double rtol, atolOfMax, atol;
};

Tolerance forwardTolerance(const LowType &type) {
  double u = type.unitRoundoff;
  return {2 * u, 2 * u / 16, 1e-6};
}

Tolerance gradientTolerance(const LowType &type) {
  double u = type.unitRoundoff;
  return {8 * u, 8 * u, 1e-6};
}

/// `text` with every "ELT" replaced by `elementType`.
std::string instantiate(llvm::StringRef text, llvm::StringRef elementType) {
  std::string result;
  while (!text.empty()) {
    size_t at = text.find("ELT");
    result += text.take_front(at).str();
    if (at == llvm::StringRef::npos)
      break;
    result += elementType.str();
    text = text.drop_front(at + 3);
  }
  return result;
}

void expectClose(const HostBuffer &actual, const Tensor &expected,
                 const Tolerance &tolerance) {
  ASSERT_EQ(actual.getType(), expected.getType());
  double largest = 0.0;
  for (int64_t i = 0, e = expected.getNumElements(); i < e; ++i)
    if (std::isfinite(expected.getAsDouble(i)))
      largest = std::max(largest, std::fabs(expected.getAsDouble(i)));
  int64_t mismatches = 0;
  for (int64_t i = 0, e = expected.getNumElements(); i < e; ++i) {
    double a = hostElement(actual, i);
    double r = expected.getAsDouble(i);
    bool ok;
    if (!expected.isFloat())
      ok = a == r;
    else if (std::isnan(r) || std::isnan(a))
      ok = std::isnan(r) && std::isnan(a);
    else if (std::isinf(r) || std::isinf(a))
      ok = a == r;
    else
      ok = std::fabs(a - r) <= tolerance.rtol * std::fabs(r) +
                                   tolerance.atolOfMax * largest +
                                   tolerance.atol;
    if (!ok && ++mismatches <= 5)
      ADD_FAILURE() << "element " << i << ": cpu " << a << ", reference " << r
                    << " (difference " << a - r << ", largest " << largest
                    << ")";
  }
  EXPECT_EQ(mismatches, 0);
}

class LowPrecisionTest
    : public testutil::CompiledTest<::testing::TestWithParam<LowType>> {
protected:
  LowPrecisionTest() : CompiledTest("mlopt-low-precision") {}

  Tensor randomTensor(RankedTensorType type, const InputRange &range) {
    return testutil::randomTensor(type, range, rng);
  }

  /// Runs every public function of `source` (with ELT the dtype under test)
  /// on both backends and compares.
  void runModule(llvm::StringRef source, const InputRange &range = {},
                 llvm::StringRef matmul = "blas") {
    std::string text = instantiate(source, GetParam().name);
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
    ASSERT_TRUE(module) << messages << text;
    std::unique_ptr<CpuExecutable> exec = compile(*module, matmul);
    ASSERT_TRUE(exec);
    reference::Evaluator evaluator(*module);
    Tolerance tolerance = forwardTolerance(GetParam());
    for (auto func : module->getOps<func::FuncOp>()) {
      if (func.isPrivate())
        continue;
      SCOPED_TRACE(func.getSymName().str());
      std::vector<Tensor> args;
      for (Type type : func.getArgumentTypes())
        args.push_back(randomTensor(cast<RankedTensorType>(type), range));
      std::vector<HostBuffer> hostArgs;
      std::vector<const HostBuffer *> pointers;
      hostArgs.reserve(args.size());
      for (const Tensor &arg : args) {
        hostArgs.emplace_back(arg.getType());
        copyToHost(arg, hostArgs.back());
        pointers.push_back(&hostArgs.back());
      }
      reference::StateMap state;
      auto expected = evaluator.call(func.getSymName(), args, state);
      ASSERT_TRUE(succeeded(expected)) << messages;
      auto actual = exec->call(func.getSymName(), pointers);
      ASSERT_TRUE(static_cast<bool>(actual))
          << llvm::toString(actual.takeError());
      ASSERT_EQ(actual->size(), expected->size());
      for (size_t i = 0; i < actual->size(); ++i) {
        SCOPED_TRACE("result #" + std::to_string(i));
        expectClose((*actual)[i], (*expected)[i], tolerance);
      }
    }
  }

  std::mt19937_64 rng{20261201};
};

std::string paramName(const ::testing::TestParamInfo<LowType> &info) {
  return info.param.name;
}

//===----------------------------------------------------------------------===//
// Forward, by op family
//===----------------------------------------------------------------------===//

using LowPrecisionForwardTest = LowPrecisionTest;

TEST_P(LowPrecisionForwardTest, UnaryOps) {
  std::string source;
  const char *ops[] = {"neg", "exp", "relu", "sigmoid", "tanh",
                       "abs", "cos", "erf",  "gelu"};
  const char *shapes[] = {"4x8xELT", "17xELT"};
  int n = 0;
  for (const char *op : ops)
    for (const char *shape : shapes)
      source += llvm::formatv("func.func @f{0}(%x: tensor<{2}>) -> "
                              "tensor<{2}> {{\n  %y = mlopt.{1} %x : "
                              "tensor<{2}>\n  return %y : tensor<{2}>\n}\n",
                              n++, op, shape)
                    .str();
  source += "func.func @gelu_tanh(%x: tensor<4x8xELT>) -> tensor<4x8xELT> {\n"
            "  %y = mlopt.gelu %x approximate = tanh : tensor<4x8xELT>\n"
            "  return %y : tensor<4x8xELT>\n}\n";
  runModule(source);
}

TEST_P(LowPrecisionForwardTest, PositiveDomainOps) {
  runModule(R"mlir(
    func.func @log(%x: tensor<4x8xELT>) -> tensor<4x8xELT> {
      %y = mlopt.log %x : tensor<4x8xELT>
      return %y : tensor<4x8xELT>
    }
    func.func @sqrt(%x: tensor<33xELT>) -> tensor<33xELT> {
      %y = mlopt.sqrt %x : tensor<33xELT>
      return %y : tensor<33xELT>
    }
    func.func @rsqrt(%x: tensor<2x3x4xELT>) -> tensor<2x3x4xELT> {
      %y = mlopt.rsqrt %x : tensor<2x3x4xELT>
      return %y : tensor<2x3x4xELT>
    }
    func.func @pow(%x: tensor<4x8xELT>, %e: tensor<8xELT>) -> tensor<4x8xELT> {
      %y = mlopt.pow %x, %e : (tensor<4x8xELT>, tensor<8xELT>) -> tensor<4x8xELT>
      return %y : tensor<4x8xELT>
    }
  )mlir",
            InputRange{0.1, 3.0});
}

TEST_P(LowPrecisionForwardTest, BinaryOpsWithBroadcasting) {
  std::string source;
  const char *ops[] = {"add", "sub", "mul", "div", "maximum", "minimum"};
  const char *shapes[][3] = {
      {"4x8", "4x8", "4x8"}, {"4x8", "8", "4x8"}, {"2x1x5", "3x5", "2x3x5"}};
  int n = 0;
  for (const char *op : ops)
    for (auto &shape : shapes) {
      auto type = [](const char *s) {
        return std::string("tensor<") + s + "xELT>";
      };
      source +=
          llvm::formatv("func.func @f{0}(%a: {2}, %b: {3}) -> {4} {{\n"
                        "  %c = mlopt.{1} %a, %b : ({2}, {3}) -> {4}\n"
                        "  return %c : {4}\n}\n",
                        n++, op, type(shape[0]), type(shape[1]), type(shape[2]))
              .str();
    }
  runModule(source, InputRange{0.5, 2.0});
}

TEST_P(LowPrecisionForwardTest, CompareSelectCast) {
  runModule(R"mlir(
    func.func @compare(%a: tensor<4x8xELT>, %b: tensor<8xELT>) -> (tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>) {
      %gt = mlopt.compare gt, %a, %b : (tensor<4x8xELT>, tensor<8xELT>) -> tensor<4x8xi1>
      %le = mlopt.compare le, %a, %b : (tensor<4x8xELT>, tensor<8xELT>) -> tensor<4x8xi1>
      %ne = mlopt.compare ne, %a, %b : (tensor<4x8xELT>, tensor<8xELT>) -> tensor<4x8xi1>
      return %gt, %le, %ne : tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>
    }
    func.func @select(%m: tensor<4x8xi1>, %a: tensor<4x8xELT>, %b: tensor<ELT>) -> tensor<4x8xELT> {
      %r = mlopt.select %m, %a, %b : (tensor<4x8xi1>, tensor<4x8xELT>, tensor<ELT>) -> tensor<4x8xELT>
      return %r : tensor<4x8xELT>
    }
    func.func @cast_from(%a: tensor<4x8xELT>) -> (tensor<4x8xi32>, tensor<4x8xf32>, tensor<4x8xf64>, tensor<4x8xbf16>, tensor<4x8xf16>, tensor<4x8xi1>) {
      %x = mlopt.cast %a : tensor<4x8xELT> to tensor<4x8xi32>
      %y = mlopt.cast %a : tensor<4x8xELT> to tensor<4x8xf32>
      %z = mlopt.cast %a : tensor<4x8xELT> to tensor<4x8xf64>
      %b = mlopt.cast %a : tensor<4x8xELT> to tensor<4x8xbf16>
      %h = mlopt.cast %a : tensor<4x8xELT> to tensor<4x8xf16>
      %t = mlopt.cast %a : tensor<4x8xELT> to tensor<4x8xi1>
      return %x, %y, %z, %b, %h, %t : tensor<4x8xi32>, tensor<4x8xf32>, tensor<4x8xf64>, tensor<4x8xbf16>, tensor<4x8xf16>, tensor<4x8xi1>
    }
    func.func @cast_to(%a: tensor<4x8xf32>, %d: tensor<4x8xf64>, %i: tensor<4x8xi64>) -> (tensor<4x8xELT>, tensor<4x8xELT>, tensor<4x8xELT>) {
      %x = mlopt.cast %a : tensor<4x8xf32> to tensor<4x8xELT>
      %y = mlopt.cast %d : tensor<4x8xf64> to tensor<4x8xELT>
      %z = mlopt.cast %i : tensor<4x8xi64> to tensor<4x8xELT>
      return %x, %y, %z : tensor<4x8xELT>, tensor<4x8xELT>, tensor<4x8xELT>
    }
  )mlir",
            InputRange{-5.0, 5.0, 300});
}

TEST_P(LowPrecisionForwardTest, ShapeOps) {
  runModule(R"mlir(
    func.func @reshape(%x: tensor<6x4xELT>) -> (tensor<2x3x4xELT>, tensor<24xELT>) {
      %a = mlopt.reshape %x : tensor<6x4xELT> to tensor<2x3x4xELT>
      %c = mlopt.reshape %x : tensor<6x4xELT> to tensor<24xELT>
      return %a, %c : tensor<2x3x4xELT>, tensor<24xELT>
    }
    func.func @broadcast_to(%x: tensor<3x1xELT>) -> tensor<2x3x4xELT> {
      %b = mlopt.broadcast_to %x : tensor<3x1xELT> to tensor<2x3x4xELT>
      return %b : tensor<2x3x4xELT>
    }
    func.func @transpose(%x: tensor<2x3x4xELT>) -> tensor<4x2x3xELT> {
      %a = mlopt.transpose %x, [2, 0, 1] : tensor<2x3x4xELT> -> tensor<4x2x3xELT>
      return %a : tensor<4x2x3xELT>
    }
    func.func @slice(%x: tensor<5x9xELT>) -> tensor<3x3xELT> {
      %a = mlopt.slice %x start [1, 2] limit [4, 9] step [1, 3] : tensor<5x9xELT> -> tensor<3x3xELT>
      return %a : tensor<3x3xELT>
    }
    func.func @concat(%a: tensor<4x2xELT>, %b: tensor<4x3xELT>) -> tensor<4x5xELT> {
      %x = mlopt.concat %a, %b dim = 1 : (tensor<4x2xELT>, tensor<4x3xELT>) -> tensor<4x5xELT>
      return %x : tensor<4x5xELT>
    }
  )mlir");
}

/// The matrix products, including sizes the tiled and BLAS paths take
/// (matmul_threaded is large enough for mlopt_gemm_bf16 to split it over
/// threads, with an odd k and a partial column panel).
const char *kProducts = R"mlir(
    func.func @linear(%x: tensor<2x3x20xELT>, %w: tensor<7x20xELT>, %b: tensor<7xELT>) -> tensor<2x3x7xELT> {
      %y = mlopt.linear %x, %w, %b : (tensor<2x3x20xELT>, tensor<7x20xELT>, tensor<7xELT>) -> tensor<2x3x7xELT>
      return %y : tensor<2x3x7xELT>
    }
    func.func @linear_no_bias(%x: tensor<5x20xELT>, %w: tensor<7x20xELT>) -> tensor<5x7xELT> {
      %y = mlopt.linear %x, %w : (tensor<5x20xELT>, tensor<7x20xELT>) -> tensor<5x7xELT>
      return %y : tensor<5x7xELT>
    }
    func.func @matmul(%a: tensor<9x17xELT>, %b: tensor<17x6xELT>) -> tensor<9x6xELT> {
      %c = mlopt.matmul %a, %b : (tensor<9x17xELT>, tensor<17x6xELT>) -> tensor<9x6xELT>
      return %c : tensor<9x6xELT>
    }
    func.func @matmul_ta(%a: tensor<17x9xELT>, %b: tensor<17x6xELT>) -> tensor<9x6xELT> {
      %t = mlopt.transpose %a, [1, 0] : tensor<17x9xELT> -> tensor<9x17xELT>
      %c = mlopt.matmul %t, %b : (tensor<9x17xELT>, tensor<17x6xELT>) -> tensor<9x6xELT>
      return %c : tensor<9x6xELT>
    }
    func.func @linear_tiled(%x: tensor<128x256xELT>, %w: tensor<96x256xELT>, %b: tensor<96xELT>) -> tensor<128x96xELT> {
      %y = mlopt.linear %x, %w, %b : (tensor<128x256xELT>, tensor<96x256xELT>, tensor<96xELT>) -> tensor<128x96xELT>
      return %y : tensor<128x96xELT>
    }
    func.func @matmul_odd(%a: tensor<37x131xELT>, %b: tensor<131x45xELT>) -> tensor<37x45xELT> {
      %c = mlopt.matmul %a, %b : (tensor<37x131xELT>, tensor<131x45xELT>) -> tensor<37x45xELT>
      return %c : tensor<37x45xELT>
    }
    func.func @matmul_threaded(%a: tensor<256x129xELT>, %b: tensor<129x300xELT>) -> tensor<256x300xELT> {
      %c = mlopt.matmul %a, %b : (tensor<256x129xELT>, tensor<129x300xELT>) -> tensor<256x300xELT>
      return %c : tensor<256x300xELT>
    }
    func.func @batch_matmul(%a: tensor<2x3x5x8xELT>, %b: tensor<2x3x8x4xELT>) -> tensor<2x3x5x4xELT> {
      %c = mlopt.batch_matmul %a, %b : (tensor<2x3x5x8xELT>, tensor<2x3x8x4xELT>) -> tensor<2x3x5x4xELT>
      return %c : tensor<2x3x5x4xELT>
    }
    func.func @batch_matmul_tb(%a: tensor<3x5x8xELT>, %b: tensor<3x4x8xELT>) -> tensor<3x5x4xELT> {
      %t = mlopt.transpose %b, [0, 2, 1] : tensor<3x4x8xELT> -> tensor<3x8x4xELT>
      %c = mlopt.batch_matmul %a, %t : (tensor<3x5x8xELT>, tensor<3x8x4xELT>) -> tensor<3x5x4xELT>
      return %c : tensor<3x5x4xELT>
    }
)mlir";

/// mlopt_gemm_bf16 / mlopt_gemm_f16: on a CPU with AVX512_BF16, bf16 runs
/// the dot-product kernel.
TEST_P(LowPrecisionForwardTest, MatrixProductsBlas) {
  RecordProperty("bf16_dot_product_kernel",
                 runtime::hasBf16DotProductKernel() ? "yes" : "no");
  runModule(kProducts, {}, "blas");
}

/// The same through the f32 fallback of mlopt_gemm_bf16 (the path of CPUs
/// without AVX512_BF16), on a CPU that has the dot-product kernel.
TEST_P(LowPrecisionForwardTest, MatrixProductsBlasWithoutDotKernel) {
  bool previous = runtime::setBf16DotProductKernelAllowed(false);
  runModule(kProducts, {}, "blas");
  runtime::setBf16DotProductKernelAllowed(previous);
}

TEST_P(LowPrecisionForwardTest, MatrixProductsVector) {
  runModule(kProducts, {}, "vector");
}

TEST_P(LowPrecisionForwardTest, MatrixProductsLoops) {
  runModule(kProducts, {}, "loops");
}

TEST_P(LowPrecisionForwardTest, SoftmaxAndReductions) {
  runModule(R"mlir(
    func.func @softmax(%x: tensor<4x10xELT>) -> (tensor<4x10xELT>, tensor<4x10xELT>) {
      %a = mlopt.softmax %x dim = -1 : tensor<4x10xELT>
      %b = mlopt.softmax %x dim = 0 : tensor<4x10xELT>
      return %a, %b : tensor<4x10xELT>, tensor<4x10xELT>
    }
    func.func @log_softmax(%x: tensor<2x3x7xELT>) -> tensor<2x3x7xELT> {
      %a = mlopt.log_softmax %x dim = 1 : tensor<2x3x7xELT>
      return %a : tensor<2x3x7xELT>
    }
    func.func @sum(%x: tensor<2x3x40xELT>) -> (tensor<1x3x1xELT>, tensor<ELT>) {
      %a = mlopt.sum %x dims = [0, -1] keepdim : tensor<2x3x40xELT> -> tensor<1x3x1xELT>
      %b = mlopt.sum %x dims = [0, 1, 2] : tensor<2x3x40xELT> -> tensor<ELT>
      return %a, %b : tensor<1x3x1xELT>, tensor<ELT>
    }
    func.func @mean_max(%x: tensor<50x6xELT>) -> (tensor<6xELT>, tensor<50x1xELT>) {
      %a = mlopt.mean %x dims = [0] : tensor<50x6xELT> -> tensor<6xELT>
      %b = mlopt.max %x dims = [1] keepdim : tensor<50x6xELT> -> tensor<50x1xELT>
      return %a, %b : tensor<6xELT>, tensor<50x1xELT>
    }
    func.func @argmax(%x: tensor<5x6xELT>) -> tensor<5xi64> {
      %a = mlopt.argmax %x dim = 1 : tensor<5x6xELT> -> tensor<5xi64>
      return %a : tensor<5xi64>
    }
    func.func @layer_norm(%x: tensor<3x4x8xELT>, %w: tensor<8xELT>, %b: tensor<8xELT>) -> (tensor<3x4x8xELT>, tensor<3x4x8xELT>) {
      %a = mlopt.layer_norm %x weight %w bias %b : (tensor<3x4x8xELT>, tensor<8xELT>, tensor<8xELT>) -> tensor<3x4x8xELT>
      %c = mlopt.layer_norm %x {normalized_rank = 2 : i64, eps = 1.0e-3 : f64} : (tensor<3x4x8xELT>) -> tensor<3x4x8xELT>
      return %a, %c : tensor<3x4x8xELT>, tensor<3x4x8xELT>
    }
  )mlir");
}

TEST_P(LowPrecisionForwardTest, IndexingOps) {
  runModule(R"mlir(
    func.func @embedding(%i: tensor<2x3xi64>, %w: tensor<10x4xELT>) -> tensor<2x3x4xELT> {
      %e = mlopt.embedding %i, %w : (tensor<2x3xi64>, tensor<10x4xELT>) -> tensor<2x3x4xELT>
      return %e : tensor<2x3x4xELT>
    }
    func.func @one_hot(%y: tensor<7xi32>) -> tensor<7x10xELT> {
      %h = mlopt.one_hot %y : tensor<7xi32> -> tensor<7x10xELT>
      return %h : tensor<7x10xELT>
    }
    func.func @embedding_grad(%i: tensor<8x5xi64>, %g: tensor<8x5x3xELT>) -> tensor<10x3xELT> {
      %e = mlopt.embedding_grad %i, %g num_embeddings = 10 : (tensor<8x5xi64>, tensor<8x5x3xELT>) -> tensor<10x3xELT>
      return %e : tensor<10x3xELT>
    }
  )mlir",
            InputRange{-1.0, 1.0, 10});
}

TEST_P(LowPrecisionForwardTest, LossesAndMetrics) {
  runModule(R"mlir(
    func.func @mse(%p: tensor<8x4xELT>, %t: tensor<8x4xELT>) -> tensor<ELT> {
      %l = mlopt.mse_loss %p, %t : (tensor<8x4xELT>, tensor<8x4xELT>) -> tensor<ELT>
      return %l : tensor<ELT>
    }
    func.func @cross_entropy(%x: tensor<16x10xELT>, %y: tensor<16xi64>) -> (tensor<ELT>, tensor<ELT>) {
      %l = mlopt.cross_entropy %x, %y : (tensor<16x10xELT>, tensor<16xi64>) -> tensor<ELT>
      %a = mlopt.accuracy %x, %y : (tensor<16x10xELT>, tensor<16xi64>) -> tensor<ELT>
      return %l, %a : tensor<ELT>, tensor<ELT>
    }
    func.func @nll(%x: tensor<16x10xELT>, %y: tensor<16xi32>) -> tensor<ELT> {
      %l = mlopt.nll_loss %x, %y : (tensor<16x10xELT>, tensor<16xi32>) -> tensor<ELT>
      return %l : tensor<ELT>
    }
  )mlir",
            InputRange{-3.0, 3.0, 10});
  runModule(R"mlir(
    func.func @kl_batchmean(%x: tensor<8x10xELT>, %t: tensor<8x10xELT>) -> tensor<ELT> {
      %l = mlopt.kl_div %x, %t reduction = batchmean : (tensor<8x10xELT>, tensor<8x10xELT>) -> tensor<ELT>
      return %l : tensor<ELT>
    }
    func.func @kl_sum_log(%x: tensor<8x10xELT>, %t: tensor<8x10xELT>) -> tensor<ELT> {
      %l = mlopt.kl_div %x, %t reduction = sum log_target : (tensor<8x10xELT>, tensor<8x10xELT>) -> tensor<ELT>
      return %l : tensor<ELT>
    }
  )mlir",
            InputRange{0.01, 1.0});
}

/// Dropout keeps or drops exactly the same elements (a kept element is at
/// least 0.01 / 0.9 in magnitude, far outside the tolerance of a 0).
TEST_P(LowPrecisionForwardTest, DropoutAndMasks) {
  runModule(R"mlir(
    func.func @dropout(%x: tensor<16x33xELT>, %seed: tensor<i64>) -> tensor<16x33xELT> {
      %a = mlopt.dropout %x, %seed p = 1.000000e-01 stream = 3 : tensor<16x33xELT>
      return %a : tensor<16x33xELT>
    }
    func.func @apply_mask(%w: tensor<16x9xELT>, %m: tensor<16x9xi1>) -> tensor<16x9xELT> {
      %mf = mlopt.cast %m : tensor<16x9xi1> to tensor<16x9xELT>
      %y = mlopt.apply_mask %w, %mf : tensor<16x9xELT>
      return %y : tensor<16x9xELT>
    }
    func.func @prune_mask(%s: tensor<3x7xELT>, %u: tensor<i1>, %p: tensor<3x7xELT>) -> tensor<3x7xELT> {
      %sp = mlopt.constant dense<0.5> : tensor<f64>
      %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<3x7xELT>
      return %m : tensor<3x7xELT>
    }
  )mlir",
            InputRange{0.01, 2.0, int64_t(1) << 62});
}

/// tap and mode_select move elements only: exact in the low type.
TEST_P(LowPrecisionForwardTest, TapAndModeSelect) {
  runModule(R"mlir(
    func.func @tap(%x: tensor<16x33xELT>) -> tensor<16x33xELT> {
      %t = mlopt.tap "hidden" %x : tensor<16x33xELT>
      %y = mlopt.relu %t : tensor<16x33xELT>
      return %y : tensor<16x33xELT>
    }
    func.func @mode_select(%a: tensor<4x5xELT>, %b: tensor<4x5xELT>) -> tensor<4x5xELT> {
      %y = mlopt.mode_select %a, %b : tensor<4x5xELT>
      return %y : tensor<4x5xELT>
    }
  )mlir");
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LowPrecisionForwardTest,
                         ::testing::Values(kBF16, kF16), paramName);

//===----------------------------------------------------------------------===//
// Gradients: every gradient-check case in the low type
//===----------------------------------------------------------------------===//

using gradient_cases::GradCase;

/// A gradient case and the dtype its f64 tensors are turned into.
struct LowGradCase {
  GradCase c;
  LowType type;
};

std::vector<LowGradCase> lowGradCases() {
  std::vector<LowGradCase> cases;
  for (const LowType &type : {kBF16, kF16})
    for (auto family :
         {gradient_cases::allCases, gradient_cases::compositeCases})
      for (GradCase &c : family())
        cases.push_back({c, type});
  return cases;
}

/// The case's module with its f64 tensors in `elementType`; prune_mask's
/// sparsity stays f64, as the op requires.
std::string buildLowModule(const GradCase &c, llvm::StringRef elementType) {
  std::string text = gradient_cases::buildModule(c);
  std::string result;
  for (llvm::StringRef line : llvm::split(text, '\n')) {
    std::string converted = line.str();
    bool keepF64 = line.contains("mlopt.constant dense<0.4> : tensor<f64>");
    if (!keepF64) {
      for (const char *pattern : {"xf64>", "tensor<f64>"}) {
        std::string replacement = pattern;
        replacement.replace(replacement.find("f64"), 3, elementType.str());
        size_t at = 0;
        while ((at = converted.find(pattern, at)) != std::string::npos) {
          converted.replace(at, strlen(pattern), replacement);
          at += replacement.size();
        }
      }
    }
    result += converted + "\n";
  }
  return result;
}

class LowPrecisionGradientTest
    : public testutil::CompiledTest<::testing::TestWithParam<LowGradCase>> {
protected:
  LowPrecisionGradientTest() : CompiledTest("mlopt-low-precision-gradient") {}

  std::vector<double> sample(const gradient_cases::Input &input) {
    std::uniform_real_distribution<double> uniform(input.low, input.high);
    std::bernoulli_distribution coin(0.5);
    std::vector<double> values(gradient_cases::numElements(input.shape));
    for (double &value : values) {
      value = uniform(generator);
      if (input.randomSign && coin(generator))
        value = -value;
    }
    return values;
  }

  std::mt19937_64 generator{20261201};
};

TEST_P(LowPrecisionGradientTest, TrainStepMatchesReference) {
  const GradCase &c = GetParam().c;
  const LowType &type = GetParam().type;
  std::string source = buildLowModule(c, type.name);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << messages << source;

  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createMLOptAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module))) << messages << source;

  CpuCompileOptions options;
  options.cacheDir = cacheDir;
  auto exec = CpuExecutable::compile(*module, options);
  ASSERT_TRUE(static_cast<bool>(exec))
      << llvm::toString(exec.takeError()) << "\n"
      << messages << source;

  // Both backends start from the same state, drawn in the state's type.
  reference::StateMap state;
  std::vector<gradient_cases::Input> inputs = c.inputs;
  inputs.push_back({"weights", c.resultShape, 0.5, 1.5, /*randomSign=*/true});
  for (const gradient_cases::Input &input : inputs) {
    HostBuffer *buffer = (*exec)->getState(input.name);
    ASSERT_TRUE(buffer) << "no state buffer @" << input.name;
    Tensor tensor = Tensor::fromDoubles(buffer->getType(), sample(input));
    copyToHost(tensor, *buffer);
    state[input.name] = std::move(tensor);
  }

  reference::Evaluator evaluator(*module);
  FailureOr<SmallVector<Tensor>> expected =
      evaluator.call("train_step", {}, state);
  ASSERT_TRUE(succeeded(expected)) << messages;
  auto actual = (*exec)->call("train_step", {});
  ASSERT_TRUE(static_cast<bool>(actual)) << llvm::toString(actual.takeError());

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
    expectClose((*actual)[i], (*expected)[i], gradientTolerance(type));
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, LowPrecisionGradientTest,
                         ::testing::ValuesIn(lowGradCases()),
                         [](const ::testing::TestParamInfo<LowGradCase> &info) {
                           return std::string(info.param.type.name) + "_" +
                                  info.param.c.label;
                         });

} // namespace
