//===- DifferentialTest.cpp - compiled CPU code vs the reference evaluator ===//
//
// Every mlopt op, over several shapes, is lowered with mlopt-lower-to-cpu,
// JIT-compiled and run on random inputs; its results must match the
// reference evaluator's. Tolerance for f32 results: |cpu - ref| <= 1e-5 +
// 1e-5 |ref| elementwise (the evaluator computes in f64 and rounds once per
// op; compiled code accumulates in f32, so reductions get rtol 1e-4 and
// matrix products atol 1e-3 for sums of up to 256 terms). Integer
// results, initializers and dropout masks must match bit for bit.
//
//===----------------------------------------------------------------------===//

#include "CompiledTestFixture.h"

#include "mlopt/Conversion/Passes.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/InitAll.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using reference::Tensor;
using testutil::CompiledTest;
using testutil::copyToHost;
using testutil::hostElement;
using testutil::InputRange;
using testutil::toHost;

namespace {

struct Tolerance {
  double rtol = 1e-5, atol = 1e-5;
};

class DifferentialTest : public CompiledTest<> {
protected:
  DifferentialTest() : CompiledTest("mlopt-differential") {}

  OwningOpRef<ModuleOp> parse(llvm::StringRef source) {
    return parseSourceString<ModuleOp>(source, &context);
  }

  Tensor randomTensor(RankedTensorType type, const InputRange &range) {
    return testutil::randomTensor(type, range, rng);
  }

  /// Runs every public function of `source` on both backends and compares.
  void runModule(llvm::StringRef source, const InputRange &range = {},
                 const Tolerance &tolerance = {},
                 llvm::StringRef matmul = "blas") {
    OwningOpRef<ModuleOp> module = parse(source);
    ASSERT_TRUE(module);
    std::unique_ptr<CpuExecutable> exec = compile(*module, matmul);
    ASSERT_TRUE(exec);
    reference::Evaluator evaluator(*module);
    for (auto func : module->getOps<func::FuncOp>()) {
      if (func.isPrivate())
        continue;
      SCOPED_TRACE(func.getSymName().str());
      std::vector<Tensor> args;
      for (Type type : func.getArgumentTypes())
        args.push_back(randomTensor(cast<RankedTensorType>(type), range));
      reference::StateMap state;
      expectSameResults(*exec, evaluator, func.getSymName(), args, state,
                        tolerance);
    }
  }

  /// Calls `name` with `args` on both backends (the evaluator with `state`,
  /// the executable with its own state buffers) and compares the results.
  void expectSameResults(CpuExecutable &exec, reference::Evaluator &evaluator,
                         llvm::StringRef name, ArrayRef<Tensor> args,
                         reference::StateMap &state,
                         const Tolerance &tolerance = {}) {
    std::vector<HostBuffer> hostArgs;
    for (const Tensor &arg : args)
      hostArgs.push_back(toHost(arg));
    auto expected = evaluator.call(name, args, state);
    ASSERT_TRUE(succeeded(expected));
    std::vector<const HostBuffer *> pointers;
    for (HostBuffer &arg : hostArgs)
      pointers.push_back(&arg);
    auto actual = exec.call(name, pointers);
    ASSERT_TRUE(static_cast<bool>(actual))
        << llvm::toString(actual.takeError());
    ASSERT_EQ(actual->size(), expected->size());
    for (size_t i = 0; i < actual->size(); ++i)
      expectClose((*actual)[i], (*expected)[i], tolerance);
  }

  static void expectClose(const HostBuffer &actual, const Tensor &expected,
                          const Tolerance &tolerance) {
    ASSERT_EQ(actual.getType(), expected.getType());
    bool isFloat = expected.isFloat();
    int64_t mismatches = 0;
    for (int64_t i = 0; i < expected.getNumElements(); ++i) {
      double a = hostElement(actual, i);
      double e = expected.getAsDouble(i);
      bool ok;
      if (!isFloat)
        ok = a == e;
      else if (std::isnan(e) || std::isnan(a))
        ok = std::isnan(e) && std::isnan(a);
      else
        ok = std::fabs(a - e) <= tolerance.atol + tolerance.rtol * std::fabs(e);
      if (!ok && ++mismatches <= 5)
        ADD_FAILURE() << "element " << i << ": cpu " << a << ", reference "
                      << e;
    }
    EXPECT_EQ(mismatches, 0);
  }

  std::mt19937_64 rng{20261125};
};

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Unary ops defined on all reals, over three shapes.
TEST_F(DifferentialTest, UnaryOps) {
  std::string source;
  const char *ops[] = {"neg", "exp", "relu", "sigmoid", "tanh",
                       "abs", "cos", "erf",  "gelu"};
  const char *shapes[] = {"4x8xf32", "3x1x5xf32", "17xf32"};
  int n = 0;
  for (const char *op : ops)
    for (const char *shape : shapes)
      source += llvm::formatv("func.func @f{0}(%x: tensor<{2}>) -> "
                              "tensor<{2}> {{\n  %y = mlopt.{1} %x : "
                              "tensor<{2}>\n  return %y : tensor<{2}>\n}\n",
                              n++, op, shape)
                    .str();
  source += "func.func @gelu_tanh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {\n"
            "  %y = mlopt.gelu %x approximate = tanh : tensor<4x8xf32>\n"
            "  return %y : tensor<4x8xf32>\n}\n";
  runModule(source);
}

/// log, sqrt, rsqrt and pow on positive inputs.
TEST_F(DifferentialTest, PositiveDomainOps) {
  runModule(R"mlir(
    func.func @log(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
      %y = mlopt.log %x : tensor<4x8xf32>
      return %y : tensor<4x8xf32>
    }
    func.func @sqrt(%x: tensor<33xf32>) -> tensor<33xf32> {
      %y = mlopt.sqrt %x : tensor<33xf32>
      return %y : tensor<33xf32>
    }
    func.func @rsqrt(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
      %y = mlopt.rsqrt %x : tensor<2x3x4xf32>
      return %y : tensor<2x3x4xf32>
    }
    func.func @pow(%x: tensor<4x8xf32>, %e: tensor<8xf32>) -> tensor<4x8xf32> {
      %y = mlopt.pow %x, %e : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
      return %y : tensor<4x8xf32>
    }
  )mlir",
            InputRange{0.1, 3.0});
}

TEST_F(DifferentialTest, BinaryOpsWithBroadcasting) {
  std::string source;
  const char *ops[] = {"add", "sub", "mul", "div", "maximum", "minimum"};
  // (lhs, rhs, result) shapes.
  const char *shapes[][3] = {{"4x8", "4x8", "4x8"},
                             {"4x8", "8", "4x8"},
                             {"2x1x5", "3x5", "2x3x5"},
                             {"6", "", "6"}};
  int n = 0;
  for (const char *op : ops)
    for (auto &shape : shapes) {
      auto type = [](const char *s) {
        return std::string("tensor<") + s + (*s ? "x" : "") + "f32>";
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

TEST_F(DifferentialTest, CompareSelectCast) {
  runModule(R"mlir(
    func.func @compare(%a: tensor<4x8xf32>, %b: tensor<8xf32>) -> (tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>) {
      %gt = mlopt.compare gt, %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
      %le = mlopt.compare le, %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
      %ne = mlopt.compare ne, %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
      return %gt, %le, %ne : tensor<4x8xi1>, tensor<4x8xi1>, tensor<4x8xi1>
    }
    func.func @compare_int(%a: tensor<16xi64>, %b: tensor<i64>) -> tensor<16xi1> {
      %eq = mlopt.compare eq, %a, %b : (tensor<16xi64>, tensor<i64>) -> tensor<16xi1>
      return %eq : tensor<16xi1>
    }
    func.func @select(%m: tensor<4x8xi1>, %a: tensor<4x8xf32>, %b: tensor<f32>) -> tensor<4x8xf32> {
      %r = mlopt.select %m, %a, %b : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
      return %r : tensor<4x8xf32>
    }
    func.func @cast(%a: tensor<4x8xf32>, %i: tensor<4x8xi64>) -> (tensor<4x8xi32>, tensor<4x8xf64>, tensor<4x8xf32>, tensor<4x8xi8>) {
      %x = mlopt.cast %a : tensor<4x8xf32> to tensor<4x8xi32>
      %y = mlopt.cast %a : tensor<4x8xf32> to tensor<4x8xf64>
      %z = mlopt.cast %i : tensor<4x8xi64> to tensor<4x8xf32>
      %w = mlopt.cast %i : tensor<4x8xi64> to tensor<4x8xi8>
      return %x, %y, %z, %w : tensor<4x8xi32>, tensor<4x8xf64>, tensor<4x8xf32>, tensor<4x8xi8>
    }
  )mlir",
            InputRange{-5.0, 5.0, 300});
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

/// tap is the identity; a function holding mode_select is in training form:
/// its training operand (as in the evaluator). Bit-exact, any element type.
TEST_F(DifferentialTest, TapAndModeSelectAreExact) {
  runModule(R"mlir(
    func.func @tap(%x: tensor<16x33xf32>, %i: tensor<7xi64>) -> (tensor<16x33xf32>, tensor<7xi64>) {
      %t = mlopt.tap "hidden" %x : tensor<16x33xf32>
      %y = mlopt.neg %t : tensor<16x33xf32>
      %j = mlopt.tap "labels" %i : tensor<7xi64>
      return %y, %j : tensor<16x33xf32>, tensor<7xi64>
    }
    func.func @mode_select(%a: tensor<4x5xf32>, %b: tensor<4x5xf32>, %c: tensor<f64>) -> (tensor<4x5xf32>, tensor<f64>) {
      %e = mlopt.abs %b : tensor<4x5xf32>
      %y = mlopt.mode_select %a, %e : tensor<4x5xf32>
      %l = mlopt.neg %c : tensor<f64>
      %m = mlopt.mode_select %l, %c : tensor<f64>
      return %y, %m : tensor<4x5xf32>, tensor<f64>
    }
  )mlir",
            InputRange{}, Tolerance{0.0, 0.0});
}

TEST_F(DifferentialTest, ShapeOps) {
  runModule(R"mlir(
    func.func @reshape(%x: tensor<6x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x6xf32>, tensor<24xf32>) {
      %a = mlopt.reshape %x : tensor<6x4xf32> to tensor<2x3x4xf32>
      %b = mlopt.reshape %x : tensor<6x4xf32> to tensor<4x6xf32>
      %c = mlopt.reshape %x : tensor<6x4xf32> to tensor<24xf32>
      return %a, %b, %c : tensor<2x3x4xf32>, tensor<4x6xf32>, tensor<24xf32>
    }
    func.func @broadcast_to(%x: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
      %b = mlopt.broadcast_to %x : tensor<3x1xf32> to tensor<2x3x4xf32>
      return %b : tensor<2x3x4xf32>
    }
    func.func @transpose(%x: tensor<2x3x4xf32>) -> (tensor<4x2x3xf32>, tensor<3x2x4xf32>) {
      %a = mlopt.transpose %x, [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
      %b = mlopt.transpose %x, [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
      return %a, %b : tensor<4x2x3xf32>, tensor<3x2x4xf32>
    }
    func.func @slice(%x: tensor<5x9xf32>) -> (tensor<3x3xf32>, tensor<5x1xf32>) {
      %a = mlopt.slice %x start [1, 2] limit [4, 9] step [1, 3] : tensor<5x9xf32> -> tensor<3x3xf32>
      %b = mlopt.slice %x start [0, 8] limit [5, 9] step [1, 1] : tensor<5x9xf32> -> tensor<5x1xf32>
      return %a, %b : tensor<3x3xf32>, tensor<5x1xf32>
    }
    func.func @concat(%a: tensor<4x2xf32>, %b: tensor<4x3xf32>, %c: tensor<1x3xf32>) -> (tensor<4x5xf32>, tensor<5x3xf32>) {
      %x = mlopt.concat %a, %b dim = 1 : (tensor<4x2xf32>, tensor<4x3xf32>) -> tensor<4x5xf32>
      %y = mlopt.concat %b, %c dim = 0 : (tensor<4x3xf32>, tensor<1x3xf32>) -> tensor<5x3xf32>
      return %x, %y : tensor<4x5xf32>, tensor<5x3xf32>
    }
  )mlir");
}

//===----------------------------------------------------------------------===//
// Layers, reductions, normalization
//===----------------------------------------------------------------------===//

static const char *kProducts = R"mlir(
    func.func @linear(%x: tensor<2x3x20xf32>, %w: tensor<7x20xf32>, %b: tensor<7xf32>) -> tensor<2x3x7xf32> {
      %y = mlopt.linear %x, %w, %b : (tensor<2x3x20xf32>, tensor<7x20xf32>, tensor<7xf32>) -> tensor<2x3x7xf32>
      return %y : tensor<2x3x7xf32>
    }
    func.func @linear_no_bias(%x: tensor<5x20xf32>, %w: tensor<7x20xf32>) -> tensor<5x7xf32> {
      %y = mlopt.linear %x, %w : (tensor<5x20xf32>, tensor<7x20xf32>) -> tensor<5x7xf32>
      return %y : tensor<5x7xf32>
    }
    func.func @matmul(%a: tensor<9x17xf32>, %b: tensor<17x6xf32>) -> tensor<9x6xf32> {
      %c = mlopt.matmul %a, %b : (tensor<9x17xf32>, tensor<17x6xf32>) -> tensor<9x6xf32>
      return %c : tensor<9x6xf32>
    }
    func.func @matmul_ta(%a: tensor<17x9xf32>, %b: tensor<17x6xf32>) -> tensor<9x6xf32> {
      %t = mlopt.transpose %a, [1, 0] : tensor<17x9xf32> -> tensor<9x17xf32>
      %c = mlopt.matmul %t, %b : (tensor<9x17xf32>, tensor<17x6xf32>) -> tensor<9x6xf32>
      return %c : tensor<9x6xf32>
    }
    func.func @matmul_tiled(%a: tensor<128x256xf32>, %b: tensor<256x128xf32>) -> tensor<128x128xf32> {
      %c = mlopt.matmul %a, %b : (tensor<128x256xf32>, tensor<256x128xf32>) -> tensor<128x128xf32>
      return %c : tensor<128x128xf32>
    }
    func.func @linear_tiled(%x: tensor<128x256xf32>, %w: tensor<128x256xf32>, %b: tensor<128xf32>) -> tensor<128x128xf32> {
      %y = mlopt.linear %x, %w, %b : (tensor<128x256xf32>, tensor<128x256xf32>, tensor<128xf32>) -> tensor<128x128xf32>
      return %y : tensor<128x128xf32>
    }
    func.func @matmul_tiled_ta(%a: tensor<256x128xf32>, %b: tensor<256x128xf32>) -> tensor<128x128xf32> {
      %t = mlopt.transpose %a, [1, 0] : tensor<256x128xf32> -> tensor<128x256xf32>
      %c = mlopt.matmul %t, %b : (tensor<128x256xf32>, tensor<256x128xf32>) -> tensor<128x128xf32>
      %r = mlopt.relu %c : tensor<128x128xf32>
      return %r : tensor<128x128xf32>
    }
    func.func @batch_matmul(%a: tensor<2x3x5x8xf32>, %b: tensor<2x3x8x4xf32>) -> tensor<2x3x5x4xf32> {
      %c = mlopt.batch_matmul %a, %b : (tensor<2x3x5x8xf32>, tensor<2x3x8x4xf32>) -> tensor<2x3x5x4xf32>
      return %c : tensor<2x3x5x4xf32>
    }
    func.func @batch_matmul_tb(%a: tensor<3x5x8xf32>, %b: tensor<3x4x8xf32>) -> tensor<3x5x4xf32> {
      %t = mlopt.transpose %b, [0, 2, 1] : tensor<3x4x8xf32> -> tensor<3x8x4xf32>
      %c = mlopt.batch_matmul %a, %t : (tensor<3x5x8xf32>, tensor<3x8x4xf32>) -> tensor<3x5x4xf32>
      return %c : tensor<3x5x4xf32>
    }
)mlir";

/// Products sum up to 256 terms of magnitude up to 4 in f32: an absolute
/// tolerance of 1e-3 covers the rounding of the sums.
static const Tolerance kProductTolerance{1e-4, 1e-3};

TEST_F(DifferentialTest, MatrixProductsBlas) {
  runModule(kProducts, {}, kProductTolerance, "blas");
}

TEST_F(DifferentialTest, MatrixProductsVector) {
  runModule(kProducts, {}, kProductTolerance, "vector");
}

TEST_F(DifferentialTest, MatrixProductsLoops) {
  runModule(kProducts, {}, kProductTolerance, "loops");
}

TEST_F(DifferentialTest, SoftmaxAndReductions) {
  runModule(R"mlir(
    func.func @softmax(%x: tensor<4x10xf32>) -> (tensor<4x10xf32>, tensor<4x10xf32>) {
      %a = mlopt.softmax %x dim = -1 : tensor<4x10xf32>
      %b = mlopt.softmax %x dim = 0 : tensor<4x10xf32>
      return %a, %b : tensor<4x10xf32>, tensor<4x10xf32>
    }
    func.func @log_softmax(%x: tensor<2x3x7xf32>) -> tensor<2x3x7xf32> {
      %a = mlopt.log_softmax %x dim = 1 : tensor<2x3x7xf32>
      return %a : tensor<2x3x7xf32>
    }
    func.func @sum(%x: tensor<2x3x4xf32>) -> (tensor<1x3x1xf32>, tensor<f32>) {
      %a = mlopt.sum %x dims = [0, -1] keepdim : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
      %b = mlopt.sum %x dims = [0, 1, 2] : tensor<2x3x4xf32> -> tensor<f32>
      return %a, %b : tensor<1x3x1xf32>, tensor<f32>
    }
    func.func @mean_max(%x: tensor<5x6xf32>) -> (tensor<6xf32>, tensor<5x1xf32>) {
      %a = mlopt.mean %x dims = [0] : tensor<5x6xf32> -> tensor<6xf32>
      %b = mlopt.max %x dims = [1] keepdim : tensor<5x6xf32> -> tensor<5x1xf32>
      return %a, %b : tensor<6xf32>, tensor<5x1xf32>
    }
    func.func @argmax(%x: tensor<5x6xf32>) -> (tensor<5xi64>, tensor<1x6xi64>) {
      %a = mlopt.argmax %x dim = 1 : tensor<5x6xf32> -> tensor<5xi64>
      %b = mlopt.argmax %x dim = 0 keepdim : tensor<5x6xf32> -> tensor<1x6xi64>
      return %a, %b : tensor<5xi64>, tensor<1x6xi64>
    }
    func.func @layer_norm(%x: tensor<3x4x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<3x4x8xf32>, tensor<3x4x8xf32>) {
      %a = mlopt.layer_norm %x weight %w bias %b : (tensor<3x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<3x4x8xf32>
      %c = mlopt.layer_norm %x {normalized_rank = 2 : i64, eps = 1.0e-3 : f64} : (tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
      return %a, %c : tensor<3x4x8xf32>, tensor<3x4x8xf32>
    }
  )mlir",
            {}, Tolerance{1e-4, 1e-5});
}

TEST_F(DifferentialTest, IndexingOps) {
  runModule(R"mlir(
    func.func @embedding(%i: tensor<2x3xi64>, %w: tensor<10x4xf32>) -> tensor<2x3x4xf32> {
      %e = mlopt.embedding %i, %w : (tensor<2x3xi64>, tensor<10x4xf32>) -> tensor<2x3x4xf32>
      return %e : tensor<2x3x4xf32>
    }
    func.func @one_hot(%y: tensor<7xi32>) -> tensor<7x10xf32> {
      %h = mlopt.one_hot %y : tensor<7xi32> -> tensor<7x10xf32>
      return %h : tensor<7x10xf32>
    }
    func.func @embedding_grad(%i: tensor<4x5xi64>, %g: tensor<4x5x3xf32>) -> tensor<10x3xf32> {
      %e = mlopt.embedding_grad %i, %g num_embeddings = 10 : (tensor<4x5xi64>, tensor<4x5x3xf32>) -> tensor<10x3xf32>
      return %e : tensor<10x3xf32>
    }
  )mlir",
            InputRange{-1.0, 1.0, 10});
}

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

TEST_F(DifferentialTest, Losses) {
  runModule(R"mlir(
    func.func @mse(%p: tensor<8x4xf32>, %t: tensor<8x4xf32>) -> tensor<f32> {
      %l = mlopt.mse_loss %p, %t : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @cross_entropy(%x: tensor<16x10xf32>, %y: tensor<16xi64>) -> (tensor<f32>, tensor<f32>) {
      %l = mlopt.cross_entropy %x, %y : (tensor<16x10xf32>, tensor<16xi64>) -> tensor<f32>
      %a = mlopt.accuracy %x, %y : (tensor<16x10xf32>, tensor<16xi64>) -> tensor<f32>
      return %l, %a : tensor<f32>, tensor<f32>
    }
    func.func @nll(%x: tensor<16x10xf32>, %y: tensor<16xi32>) -> tensor<f32> {
      %l = mlopt.nll_loss %x, %y : (tensor<16x10xf32>, tensor<16xi32>) -> tensor<f32>
      return %l : tensor<f32>
    }
  )mlir",
            InputRange{-3.0, 3.0, 10}, Tolerance{1e-4, 1e-5});
  // kl_div's target is a probability (positive).
  runModule(R"mlir(
    func.func @kl_mean(%x: tensor<8x10xf32>, %t: tensor<8x10xf32>) -> tensor<f32> {
      %l = mlopt.kl_div %x, %t : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @kl_batchmean(%x: tensor<8x10xf32>, %t: tensor<8x10xf32>) -> tensor<f32> {
      %l = mlopt.kl_div %x, %t reduction = batchmean : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
      return %l : tensor<f32>
    }
    func.func @kl_sum_log(%x: tensor<8x10xf32>, %t: tensor<8x10xf32>) -> tensor<f32> {
      %l = mlopt.kl_div %x, %t reduction = sum log_target : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
      return %l : tensor<f32>
    }
  )mlir",
            InputRange{0.01, 1.0}, Tolerance{1e-4, 1e-5});
}

//===----------------------------------------------------------------------===//
// Random numbers: bit for bit
//===----------------------------------------------------------------------===//

TEST_F(DifferentialTest, InitializersAndDropoutAreBitExact) {
  // Zero tolerance: the same generator, the same f64 arithmetic, one
  // rounding. normal goes through libm's log/cos in both.
  runModule(R"mlir(
    func.func @uniforms(%seed: tensor<i64>) -> (tensor<7x13xf32>, tensor<300xf32>, tensor<5x6x2xf32>, tensor<9x4xf32>) {
      %a = mlopt.initial_value %seed, #mlopt.kaiming_uniform<a = 2.2360679774997898> stream = 1234 : tensor<7x13xf32>
      %b = mlopt.initial_value %seed, #mlopt.uniform<low = -0.25, high = 0.75> stream = 99 : tensor<300xf32>
      %c = mlopt.initial_value %seed, #mlopt.xavier_uniform<gain = 1.5> stream = 7 : tensor<5x6x2xf32>
      %d = mlopt.initial_value %seed, #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 4> stream = 12345678901 : tensor<9x4xf32>
      return %a, %b, %c, %d : tensor<7x13xf32>, tensor<300xf32>, tensor<5x6x2xf32>, tensor<9x4xf32>
    }
    func.func @constants(%seed: tensor<i64>) -> (tensor<3xf32>, tensor<i64>, tensor<2x2xf64>) {
      %a = mlopt.initial_value %seed, #mlopt.ones stream = 1 : tensor<3xf32>
      %b = mlopt.initial_value %seed, #mlopt.zeros stream = 2 : tensor<i64>
      %c = mlopt.initial_value %seed, #mlopt.constant<value = 0.125> stream = 3 : tensor<2x2xf64>
      return %a, %b, %c : tensor<3xf32>, tensor<i64>, tensor<2x2xf64>
    }
    func.func @normal(%seed: tensor<i64>) -> tensor<64xf32> {
      %a = mlopt.initial_value %seed, #mlopt.normal<mean = 0.5, std = 0.02> stream = 5 : tensor<64xf32>
      return %a : tensor<64xf32>
    }
    func.func @rng_keys(%seed: tensor<i64>) -> (tensor<i64>, tensor<5x3xi64>) {
      %a = mlopt.initial_value %seed, #mlopt.from_seed stream = -8498678316426613486 : tensor<i64>
      %b = mlopt.initial_value %seed, #mlopt.from_seed stream = 17 : tensor<5x3xi64>
      return %a, %b : tensor<i64>, tensor<5x3xi64>
    }
    func.func @dropout(%x: tensor<16x33xf32>, %seed: tensor<i64>) -> (tensor<16x33xf32>, tensor<16x33xf32>) {
      %a = mlopt.dropout %x, %seed p = 1.000000e-01 stream = 3 : tensor<16x33xf32>
      %b = mlopt.dropout %x, %seed p = 5.000000e-01 : tensor<16x33xf32>
      return %a, %b : tensor<16x33xf32>, tensor<16x33xf32>
    }
  )mlir",
            InputRange{-2.0, 2.0, int64_t(1) << 62}, Tolerance{0.0, 0.0});
}

//===----------------------------------------------------------------------===//
// Pruning: masks, their selection, the schedule
//===----------------------------------------------------------------------===//

TEST_F(DifferentialTest, ApplyMask) {
  runModule(R"mlir(
    func.func @f32(%w: tensor<16x9xf32>, %m: tensor<16x9xf32>) -> tensor<16x9xf32> {
      %y = mlopt.apply_mask %w, %m : tensor<16x9xf32>
      return %y : tensor<16x9xf32>
    }
    func.func @f64(%w: tensor<5xf64>, %m: tensor<5xf64>) -> tensor<5xf64> {
      %y = mlopt.apply_mask %w, %m : tensor<5xf64>
      return %y : tensor<5xf64>
    }
  )mlir",
            {}, Tolerance{0.0, 0.0});
}

/// The kernel's selection against the evaluator's (both exact: masks must
/// match bit for bit) for groups of every layout the lowering meets: f32 and
/// f64, several groups, one group, rank 3, bf16 scores (selected as f32),
/// and scores read through a strided slice (bufferization copies them
/// before the call). Scores are small integers, so ties are everywhere,
/// with NaNs among them; the sparsities give k = 0, k = L and the
/// half-way products that round to even.
TEST_F(DifferentialTest, PruneMaskSelectsLikeTheReference) {
  const char *source = R"mlir(
    func.func @f32(%s: tensor<3x7xf32>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<3x7xf32>) -> tensor<3x7xf32> {
      %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<3x7xf32>
      return %m : tensor<3x7xf32>
    }
    func.func @f64(%s: tensor<4x6xf64>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<4x6xf64>) -> tensor<4x6xf64> {
      %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<4x6xf64>
      return %m : tensor<4x6xf64>
    }
    func.func @one_group(%s: tensor<10xf32>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<10xf32>) -> tensor<10xf32> {
      %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<10xf32>
      return %m : tensor<10xf32>
    }
    func.func @rank3(%s: tensor<2x2x5xf64>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<2x2x5xf64>) -> tensor<2x2x5xf64> {
      %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<2x2x5xf64>
      return %m : tensor<2x2x5xf64>
    }
    func.func @bf16(%s: tensor<3x7xf32>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<3x7xf32>) -> tensor<3x7xf32> {
      %sh = mlopt.cast %s : tensor<3x7xf32> to tensor<3x7xbf16>
      %ph = mlopt.cast %p : tensor<3x7xf32> to tensor<3x7xbf16>
      %m = mlopt.prune_mask %sh, %sp, %u, %ph : tensor<3x7xbf16>
      %r = mlopt.cast %m : tensor<3x7xbf16> to tensor<3x7xf32>
      return %r : tensor<3x7xf32>
    }
    func.func @strided(%x: tensor<4x14xf32>, %sp: tensor<f64>, %u: tensor<i1>, %p: tensor<3x7xf32>) -> tensor<3x7xf32> {
      %s = mlopt.slice %x start [1, 1] limit [4, 14] step [1, 2] : tensor<4x14xf32> -> tensor<3x7xf32>
      %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<3x7xf32>
      return %m : tensor<3x7xf32>
    }
  )mlir";
  OwningOpRef<ModuleOp> module = parse(source);
  ASSERT_TRUE(module);
  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  reference::Evaluator evaluator(*module);
  auto f64 = RankedTensorType::get({}, Float64Type::get(&context));
  auto i1 = RankedTensorType::get({}, IntegerType::get(&context, 1));
  // L = 7: 0.5 -> 3.5 -> 4, 1/14 -> 0.5 -> 0, 3/14 -> 1.5 -> 2; L = 6 and
  // 5: 0.25 -> 1.5 -> 2 and 0.5 -> 2.5 -> 2; 0 and 1 prune none and all;
  // out-of-range and NaN sparsities clamp.
  const double sparsities[] = {0.0,
                               1.0 / 14,
                               3.0 / 14,
                               0.25,
                               0.3,
                               0.5,
                               0.9,
                               1.0,
                               1.5,
                               -0.5,
                               std::numeric_limits<double>::quiet_NaN()};
  std::uniform_int_distribution<int64_t> small(0, 3);
  std::bernoulli_distribution nan(0.1);
  for (auto func : module->getOps<func::FuncOp>()) {
    SCOPED_TRACE(func.getSymName().str());
    auto scoresType = cast<RankedTensorType>(func.getArgumentTypes()[0]);
    auto previousType = cast<RankedTensorType>(func.getArgumentTypes()[3]);
    for (double sparsity : sparsities) {
      for (bool update : {true, false}) {
        SCOPED_TRACE(
            llvm::formatv("sparsity {0}, update {1}", sparsity, update).str());
        std::vector<double> scores(scoresType.getNumElements());
        for (double &score : scores)
          score = nan(rng) ? std::numeric_limits<double>::quiet_NaN()
                           : static_cast<double>(small(rng));
        Tensor previous = randomTensor(previousType, {});
        reference::StateMap state;
        expectSameResults(*exec, evaluator, func.getSymName(),
                          {Tensor::fromDoubles(scoresType, scores),
                           Tensor::fromDoubles(f64, {sparsity}),
                           Tensor::fromInts(i1, {update}), previous},
                          state, Tolerance{0.0, 0.0});
      }
    }
  }
}

TEST_F(DifferentialTest, SparsityScheduleMatchesTheReference) {
  // Gradual (start 2, end 10, every 2 steps) and one-shot (start = end).
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    func.func @gradual(%t: tensor<i64>) -> (tensor<f64>, tensor<i1>) {
      %s, %u = mlopt.sparsity_schedule %t initial = 0.1 final = 0.9
          start = 2 end = 10 frequency = 2 : tensor<i64>
      return %s, %u : tensor<f64>, tensor<i1>
    }
    func.func @one_shot(%t: tensor<i64>) -> (tensor<f64>, tensor<i1>) {
      %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.75
          start = 5 end = 5 frequency = 1 : tensor<i64>
      return %s, %u : tensor<f64>, tensor<i1>
    }
    func.func @every_step(%t: tensor<i64>) -> (tensor<f64>, tensor<i1>) {
      %s, %u = mlopt.sparsity_schedule %t initial = 0.3 final = 0.3
          start = 0 end = 7 frequency = 7 : tensor<i64>
      return %s, %u : tensor<f64>, tensor<i1>
    }
  )mlir");
  ASSERT_TRUE(module);
  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  reference::Evaluator evaluator(*module);
  auto i64 = RankedTensorType::get({}, IntegerType::get(&context, 64));
  for (llvm::StringRef name : {"gradual", "one_shot", "every_step"})
    for (int64_t t : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 1000}) {
      SCOPED_TRACE(llvm::formatv("@{0} at step {1}", name, t).str());
      reference::StateMap state;
      expectSameResults(*exec, evaluator, name, {Tensor::fromInts(i64, {t})},
                        state, Tolerance{0.0, 0.0});
    }
}

/// Gradual pruning as mlopt-prune builds it, in miniature: each step reads
/// the step counter, the schedule, the weight and its mask, writes the new
/// mask (already-pruned weights score 0, so the masks only shrink) and the
/// next step. The compiled states must follow the evaluator's exactly.
TEST_F(DifferentialTest, GradualPruningStepsMatchTheReference) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
    mlopt.state @w : tensor<6x10xf32> parameter trainable init #mlopt.zeros
        {mlopt.masked_by = @w.mask}
    mlopt.state @w.mask : tensor<6x10xf32> mask init #mlopt.ones
    mlopt.state @step : tensor<i64> step init #mlopt.zeros
    func.func @train(%x: tensor<6x10xf32>) -> tensor<f32> {
      %t = mlopt.state_read @step : tensor<i64>
      %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.8
          start = 1 end = 7 frequency = 2 : tensor<i64>
      %w = mlopt.state_read @w : tensor<6x10xf32>
      %mask = mlopt.state_read @w.mask : tensor<6x10xf32>
      %wm = mlopt.apply_mask %w, %mask : tensor<6x10xf32>
      %scores = mlopt.abs %wm : tensor<6x10xf32>
      %new = mlopt.prune_mask %scores, %s, %u, %mask : tensor<6x10xf32>
      mlopt.state_write %new, @w.mask : tensor<6x10xf32>
      %y = mlopt.mul %x, %wm : tensor<6x10xf32>
      %l = mlopt.sum %y dims = [0, 1] : tensor<6x10xf32> -> tensor<f32>
      %tf = mlopt.cast %t : tensor<i64> to tensor<f64>
      %one = mlopt.constant dense<1.0> : tensor<f64>
      %nf = mlopt.add %tf, %one : tensor<f64>
      %n = mlopt.cast %nf : tensor<f64> to tensor<i64>
      mlopt.state_write %n, @step : tensor<i64>
      return %l : tensor<f32>
    }
  )mlir");
  ASSERT_TRUE(module);
  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  reference::Evaluator evaluator(*module);
  reference::StateMap state;
  ASSERT_TRUE(succeeded(evaluator.initializeState(0, state)));
  auto weightType = RankedTensorType::get({6, 10}, Float32Type::get(&context));
  state["w"] = randomTensor(weightType, {});
  for (auto [i, name] : llvm::enumerate(exec->getStateNames()))
    exec->getStates()[i] = toHost(state[name]);
  for (int step = 0; step < 10; ++step) {
    SCOPED_TRACE(step);
    expectSameResults(*exec, evaluator, "train", {randomTensor(weightType, {})},
                      state, Tolerance{1e-5, 1e-5});
    for (auto [i, name] : llvm::enumerate(exec->getStateNames())) {
      SCOPED_TRACE(name);
      expectClose(exec->getStates()[i], state[name], Tolerance{0.0, 0.0});
    }
  }
  // 80% of the 10 weights of every row pruned after the last update.
  EXPECT_EQ(state["step"].getInts()[0], 10);
  int64_t kept = 0;
  for (double value : state["w.mask"].getDoubles())
    kept += value != 0.0;
  EXPECT_EQ(kept, 6 * 2);
}

TEST_F(DifferentialTest, ValueInitializerIsExact) {
  runModule(R"mlir(
    func.func @values(%seed: tensor<i64>) -> (tensor<2x3xf32>, tensor<3xi64>, tensor<2xf64>) {
      %a = mlopt.initial_value %seed, #mlopt.value<dense<[[1.0, 0.0, -2.5], [0.1, 3.0e+38, -1.0e-45]]> : tensor<2x3xf32>> stream = 0 : tensor<2x3xf32>
      %b = mlopt.initial_value %seed, #mlopt.value<dense<[7, -3, 123456789]> : tensor<3xi64>> stream = 0 : tensor<3xi64>
      %c = mlopt.initial_value %seed, #mlopt.value<dense<0.1> : tensor<2xf64>> stream = 0 : tensor<2xf64>
      return %a, %b, %c : tensor<2x3xf32>, tensor<3xi64>, tensor<2xf64>
    }
  )mlir",
            {}, Tolerance{0.0, 0.0});
}

//===----------------------------------------------------------------------===//
// The executable: state in place, training, cache
//===----------------------------------------------------------------------===//

/// A linear model trained with mlopt-autodiff + mlopt-optimizer: init, the
/// train steps and the state after them match the evaluator.
TEST_F(DifferentialTest, TrainStepMatchesReference) {
  const char *model = R"mlir(
    mlopt.state @fc1.weight : tensor<16x12xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    mlopt.state @fc1.bias : tensor<16xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 12>
    mlopt.state @fc2.weight : tensor<5x16xf32> parameter trainable init #mlopt.xavier_uniform
    mlopt.state @fc2.bias : tensor<5xf32> parameter trainable init #mlopt.zeros
    mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
    func.func @loss(%x: tensor<8x12xf32> {mlopt.input}, %y: tensor<8xi64> {mlopt.label})
        -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.loss} {
      %w1 = mlopt.state_read @fc1.weight : tensor<16x12xf32>
      %b1 = mlopt.state_read @fc1.bias : tensor<16xf32>
      %w2 = mlopt.state_read @fc2.weight : tensor<5x16xf32>
      %b2 = mlopt.state_read @fc2.bias : tensor<5xf32>
      %seed = mlopt.state_read @rng : tensor<i64>
      %h = mlopt.linear %x, %w1, %b1 : (tensor<8x12xf32>, tensor<16x12xf32>, tensor<16xf32>) -> tensor<8x16xf32>
      %t = mlopt.tanh %h : tensor<8x16xf32>
      %a = mlopt.dropout %t, %seed p = 3.000000e-01 stream = 1 : tensor<8x16xf32>
      %l = mlopt.linear %a, %w2, %b2 : (tensor<8x16xf32>, tensor<5x16xf32>, tensor<5xf32>) -> tensor<8x5xf32>
      %loss = mlopt.cross_entropy %l, %y : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<f32>
      %acc = mlopt.accuracy %l, %y : (tensor<8x5xf32>, tensor<8xi64>) -> tensor<f32>
      return %loss, %acc : tensor<f32>, tensor<f32>
    }
  )mlir";
  OwningOpRef<ModuleOp> module = parse(model);
  ASSERT_TRUE(module);
  mlir::mlopt::registerAllPasses();
  PassManager pm(&context, ModuleOp::getOperationName());
  ASSERT_TRUE(succeeded(
      parsePassPipeline("mlopt-autodiff,mlopt-optimizer{optimizer=adam lr=0.01 "
                        "schedule=step step-size=1 gamma=0.5},"
                        "mlopt-entry-points",
                        pm)));
  ASSERT_TRUE(succeeded(pm.run(*module)));

  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  reference::Evaluator evaluator(*module);
  reference::StateMap state;

  ASSERT_FALSE(static_cast<bool>(exec->init(42)));
  reference::Tensor seed = Tensor::fromInts(
      RankedTensorType::get({}, IntegerType::get(&context, 64)), {42});
  ASSERT_TRUE(succeeded(evaluator.call("init", {seed}, state)));
  // Initial state: bit for bit.
  for (auto [i, name] : llvm::enumerate(exec->getStateNames())) {
    SCOPED_TRACE(name);
    expectClose(exec->getStates()[i], state[name], Tolerance{0.0, 0.0});
  }

  auto x = cast<RankedTensorType>(
      module->lookupSymbol<func::FuncOp>("train_step").getArgumentTypes()[0]);
  auto y = cast<RankedTensorType>(
      module->lookupSymbol<func::FuncOp>("train_step").getArgumentTypes()[1]);
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE(step);
    Tensor inputs = randomTensor(x, {});
    Tensor labels = randomTensor(y, InputRange{0, 0, 5});
    HostBuffer hostInputs = toHost(inputs), hostLabels = toHost(labels);
    auto metrics = exec->trainStep({&hostInputs, &hostLabels});
    ASSERT_TRUE(static_cast<bool>(metrics))
        << llvm::toString(metrics.takeError());
    auto expected = evaluator.call("train_step", {inputs, labels}, state);
    ASSERT_TRUE(succeeded(expected));
    // The loss, the accuracy and the learning rate mlopt-optimizer applied.
    ASSERT_EQ(metrics->size(), 3u);
    EXPECT_NEAR((*metrics)[0], (*expected)[0].getAsDouble(0), 1e-4);
    EXPECT_EQ((*metrics)[1], (*expected)[1].getAsDouble(0));
    EXPECT_DOUBLE_EQ((*metrics)[2], (*expected)[2].getAsDouble(0));
    EXPECT_DOUBLE_EQ((*metrics)[2], 0.01 * std::pow(0.5, step));
    for (auto [i, name] : llvm::enumerate(exec->getStateNames())) {
      SCOPED_TRACE(name);
      expectClose(exec->getStates()[i], state[name], Tolerance{1e-4, 1e-5});
    }
    // The dropout seed, exactly: drawn from @init's seed, one up per step.
    EXPECT_EQ(*exec->getState("rng")->as<int64_t>(), state["rng"].getInts()[0]);
    EXPECT_EQ(state["rng"].getInts()[0],
              static_cast<int64_t>(
                  reference::randomSeedKey(42, reference::fnv1a64("rng"), 0)) +
                  step + 1);
  }
  auto eval = exec->evalStep({exec->getState("fc1.weight")});
  EXPECT_FALSE(static_cast<bool>(eval)); // wrong arguments: an error
  llvm::consumeError(eval.takeError());
}

// A model of 400 parameters (800 states with the momentum buffers): its
// entry points are cut into chunk functions (mlopt-outline-chunks) and the
// packed wrappers that only pass the states on are compiled without
// optimization (CpuExecutable); both must leave the numbers unchanged.
TEST_F(DifferentialTest, ChunkedTrainStepMatchesReference) {
  constexpr int kParameters = 400;
  std::string model;
  llvm::raw_string_ostream os(model);
  for (int i = 0; i < kParameters; ++i)
    os << llvm::formatv("mlopt.state @w{0} : tensor<4xf32> parameter "
                        "trainable init #mlopt.constant<value = {1:e}>\n",
                        i, 0.001 * (i % 97) - 0.05);
  os << "func.func @loss(%x: tensor<4xf32> {mlopt.input}, %y: tensor<4xf32> "
        "{mlopt.label}) -> tensor<f32> attributes {mlopt.loss} {\n"
        "  %h0 = mlopt.mul %x, %x : tensor<4xf32>\n";
  for (int i = 0; i < kParameters; ++i) {
    os << llvm::formatv("  %w{0} = mlopt.state_read @w{0} : tensor<4xf32>\n",
                        i);
    // Gradients of either sign; a state mixed up with another shows in
    // its initial value.
    const char *op = i % 2 ? "sub" : "add";
    os << llvm::formatv("  %h{0} = mlopt.{1} %h{2}, %w{2} : tensor<4xf32>\n",
                        i + 1, op, i);
  }
  os << llvm::formatv("  %l = mlopt.mse_loss %h{0}, %y : (tensor<4xf32>, "
                      "tensor<4xf32>) -> tensor<f32>\n  return %l : "
                      "tensor<f32>\n}\n",
                      kParameters);
  OwningOpRef<ModuleOp> module = parse(model);
  ASSERT_TRUE(module);
  mlir::mlopt::registerAllPasses();
  PassManager pm(&context, ModuleOp::getOperationName());
  ASSERT_TRUE(succeeded(parsePassPipeline(
      "mlopt-autodiff,mlopt-optimizer{optimizer=sgd lr=0.01 momentum=0.9},"
      "mlopt-entry-points",
      pm)));
  ASSERT_TRUE(succeeded(pm.run(*module)));

  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  // The lowering does cut the training step into chunks (compile() has
  // registered the bufferization models it needs).
  {
    OwningOpRef<ModuleOp> lowered = module->clone();
    PassManager lower(&context, ModuleOp::getOperationName());
    LowerToCPUOptions options;
    buildLowerToCPUPipeline(lower, options);
    ASSERT_TRUE(succeeded(lower.run(*lowered)));
    int chunks = 0;
    lowered->walk([&](Operation *op) {
      if (auto symbol = op->getAttrOfType<StringAttr>("sym_name"))
        chunks += symbol.getValue().starts_with("train_step_chunk");
    });
    EXPECT_GT(chunks, 4);
  }

  reference::Evaluator evaluator(*module);
  reference::StateMap state;
  ASSERT_FALSE(static_cast<bool>(exec->init(7)));
  reference::Tensor seed = Tensor::fromInts(
      RankedTensorType::get({}, IntegerType::get(&context, 64)), {7});
  ASSERT_TRUE(succeeded(evaluator.call("init", {seed}, state)));
  auto type = RankedTensorType::get({4}, Float32Type::get(&context));
  for (int step = 0; step < 2; ++step) {
    SCOPED_TRACE(step);
    Tensor inputs = randomTensor(type, {0.5, 1.0});
    Tensor labels = randomTensor(type, {});
    HostBuffer hostInputs = toHost(inputs), hostLabels = toHost(labels);
    auto metrics = exec->trainStep({&hostInputs, &hostLabels});
    ASSERT_TRUE(static_cast<bool>(metrics))
        << llvm::toString(metrics.takeError());
    auto expected = evaluator.call("train_step", {inputs, labels}, state);
    ASSERT_TRUE(succeeded(expected));
    EXPECT_NEAR((*metrics)[0], (*expected)[0].getAsDouble(0),
                1e-4 * std::max(1.0, std::abs((*metrics)[0])));
    for (auto [i, name] : llvm::enumerate(exec->getStateNames())) {
      SCOPED_TRACE(name);
      expectClose(exec->getStates()[i], state[name], Tolerance{1e-4, 1e-5});
    }
  }
}

TEST_F(DifferentialTest, SecondCompileLoadsFromCache) {
  const char *source = R"mlir(
    mlopt.state @w : tensor<4xf32> parameter trainable init #mlopt.zeros
    func.func @step(%x: tensor<4xf32>) -> tensor<f32> {
      %w = mlopt.state_read @w : tensor<4xf32>
      %n = mlopt.add %w, %x : tensor<4xf32>
      mlopt.state_write %n, @w : tensor<4xf32>
      %s = mlopt.sum %n dims = [0] : tensor<4xf32> -> tensor<f32>
      return %s : tensor<f32>
    }
  )mlir";
  OwningOpRef<ModuleOp> module = parse(source);
  ASSERT_TRUE(module);
  unsigned before = CpuExecutable::getNumCompilations();
  std::unique_ptr<CpuExecutable> first = compile(*module);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->isLoadedFromCache());
  EXPECT_EQ(CpuExecutable::getNumCompilations(), before + 1);

  std::unique_ptr<CpuExecutable> second = compile(*module);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->isLoadedFromCache());
  EXPECT_EQ(CpuExecutable::getNumCompilations(), before + 1);
  EXPECT_EQ(first->getCacheKey(), second->getCacheKey());

  // The cached code runs and updates the state in place.
  HostBuffer x(RankedTensorType::get({4}, Float32Type::get(&context)));
  for (int i = 0; i < 4; ++i)
    x.as<float>()[i] = static_cast<float>(i);
  for (int round = 1; round <= 2; ++round) {
    auto sum = second->call("step", {&x});
    ASSERT_TRUE(static_cast<bool>(sum)) << llvm::toString(sum.takeError());
    EXPECT_EQ(*(*sum)[0].as<float>(), 6.0f * round);
  }
  EXPECT_EQ(second->getState("w")->as<float>()[3], 6.0f);

  // Different options are a different key.
  CpuCompileOptions loops;
  loops.cacheDir = cacheDir;
  loops.matmul = "loops";
  auto third = CpuExecutable::compile(*module, loops);
  ASSERT_TRUE(static_cast<bool>(third));
  EXPECT_FALSE((*third)->isLoadedFromCache());
  EXPECT_NE((*third)->getCacheKey(), first->getCacheKey());
}

} // namespace
