//===- EvaluatorTest.cpp - the reference evaluator of mlopt ---------------===//
//
// Expected values are worked out by hand or from PyTorch's formulas (noted
// beside them), never by re-running the evaluator's own code.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Support/PruneSelection.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

class EvaluatorTest : public ::testing::Test {
protected:
  EvaluatorTest()
      : handler(&context, [this](Diagnostic &diag) {
          messages.push_back(diag.str());
          return success();
        }) {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
  }

  /// Parses `source`; the module lives as long as the test.
  ModuleOp parse(StringRef source) {
    modules.push_back(parseSourceString<ModuleOp>(source, &context));
    EXPECT_TRUE(modules.back()) << "does not parse:\n"
                                << source.str() << "\n"
                                << allMessages();
    return modules.back() ? *modules.back() : ModuleOp();
  }

  /// Calls @f of `source`, expecting success.
  SmallVector<Tensor> run(StringRef source, ArrayRef<Tensor> args = {}) {
    ModuleOp module = parse(source);
    if (!module)
      return {};
    Evaluator evaluator(module);
    FailureOr<SmallVector<Tensor>> results = evaluator.call("f", args, state);
    EXPECT_TRUE(succeeded(results)) << allMessages();
    return succeeded(results) ? *results : SmallVector<Tensor>();
  }

  /// Calls @f of `source`, expecting failure; returns the diagnostics.
  std::string runFailing(StringRef source, ArrayRef<Tensor> args = {}) {
    ModuleOp module = parse(source);
    if (!module)
      return "";
    messages.clear();
    Evaluator evaluator(module);
    EXPECT_TRUE(failed(evaluator.call("f", args, state)));
    return allMessages();
  }

  std::string allMessages() const {
    std::string all;
    for (const std::string &message : messages)
      all += message + "\n";
    return all;
  }

  RankedTensorType type(StringRef text) {
    return cast<RankedTensorType>(parseType(text, &context));
  }
  Tensor floats(StringRef typeText, ArrayRef<double> values) {
    return Tensor::fromDoubles(type(typeText), values);
  }
  Tensor ints(StringRef typeText, ArrayRef<int64_t> values) {
    return Tensor::fromInts(type(typeText), values);
  }

  static std::vector<double> values(const Tensor &tensor) {
    return std::vector<double>(tensor.getDoubles().begin(),
                               tensor.getDoubles().end());
  }
  static std::vector<int64_t> integers(const Tensor &tensor) {
    return std::vector<int64_t>(tensor.getInts().begin(),
                                tensor.getInts().end());
  }

  /// Elementwise EXPECT_NEAR with the result's shape checked too.
  static void expectValues(const Tensor &tensor,
                           ArrayRef<int64_t> expectedShape,
                           ArrayRef<double> expected,
                           double tolerance = 1e-12) {
    ASSERT_TRUE(static_cast<bool>(tensor));
    EXPECT_EQ(tensor.getShape(), expectedShape);
    ASSERT_EQ(tensor.getDoubles().size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      if (std::isnan(expected[i]))
        EXPECT_TRUE(std::isnan(tensor.getDoubles()[i])) << "element " << i;
      else if (std::isinf(expected[i]))
        EXPECT_EQ(tensor.getDoubles()[i], expected[i]) << "element " << i;
      else
        EXPECT_NEAR(tensor.getDoubles()[i], expected[i], tolerance)
            << "element " << i;
    }
  }

  MLIRContext context;
  ScopedDiagnosticHandler handler;
  std::vector<std::string> messages;
  std::vector<OwningOpRef<ModuleOp>> modules;
  StateMap state;
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, Splitmix64KnownOutputs) {
  // The first outputs of Vigna's SplitMix64 seeded with 0.
  EXPECT_EQ(splitmix64(0), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(splitmix64(0x9E3779B97F4A7C15ULL), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(splitmix64(1), 0x910A2DEC89025CC1ULL);
  // bits(seed, stream, i) = splitmix64(splitmix64(seed ^ stream) + i).
  EXPECT_EQ(randomBits(42, 7, 3), 0x41C8692C51DF8B51ULL);
  EXPECT_EQ(randomBits(42, 7, 3), splitmix64(splitmix64(42 ^ 7) + 3));
  // (bits >> 40) * 2^-24.
  EXPECT_DOUBLE_EQ(randomUniform(42, 7, 3), 0x41C869 * 0x1p-24);
}

TEST_F(EvaluatorTest, Fnv1a64KnownOutputs) {
  EXPECT_EQ(fnv1a64(""), 0xCBF29CE484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xAF63DC4C8601EC8CULL);
  EXPECT_EQ(fnv1a64("fc1.weight"), 0x0FC5AB63896269EDULL);
}

TEST_F(EvaluatorTest, UniformMoments) {
  constexpr int kCount = 100000;
  double sum = 0.0, sumSquares = 0.0;
  for (int i = 0; i < kCount; ++i) {
    double u = randomUniform(1234, 5, i);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sumSquares += u * u;
  }
  double mean = sum / kCount;
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_NEAR(sumSquares / kCount - mean * mean, 1.0 / 12.0, 0.002);
}

TEST_F(EvaluatorTest, NormalMoments) {
  constexpr int kCount = 100000;
  double sum = 0.0, sumSquares = 0.0;
  for (int i = 0; i < kCount; ++i) {
    double z = randomNormal(99, 3, i);
    ASSERT_TRUE(std::isfinite(z));
    sum += z;
    sumSquares += z * z;
  }
  double mean = sum / kCount;
  EXPECT_NEAR(mean, 0.0, 0.015);
  EXPECT_NEAR(std::sqrt(sumSquares / kCount - mean * mean), 1.0, 0.015);
  // Box-Muller from uniforms 2i and 2i + 1.
  double u1 = randomUniform(99, 3, 20), u2 = randomUniform(99, 3, 21);
  EXPECT_DOUBLE_EQ(randomNormal(99, 3, 10),
                   std::sqrt(-2.0 * std::log(1.0 - u1)) *
                       std::cos(2.0 * M_PI * u2));
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, TensorRoundsAndWraps) {
  Tensor f32 = floats("tensor<2xf32>", {0.1, 1e40});
  EXPECT_EQ(f32.getDoubles()[0], static_cast<double>(0.1f));
  EXPECT_TRUE(std::isinf(f32.getDoubles()[1]));
  Tensor i8 = ints("tensor<3xi8>", {300, -129, 5});
  EXPECT_THAT(integers(i8), ElementsAre(44, 127, 5));
  Tensor i1 = ints("tensor<3xi1>", {0, 2, -1});
  EXPECT_THAT(integers(i1), ElementsAre(0, 1, 1));
  Tensor zeros = Tensor::zeros(type("tensor<2x3xi32>"));
  EXPECT_EQ(zeros.getNumElements(), 6);
  EXPECT_FALSE(zeros.isFloat());
  EXPECT_FALSE(static_cast<bool>(Tensor()));
  // toAttr / fromAttr round trip, bf16 included.
  Tensor bf16 = floats("tensor<2xbf16>", {1.5, -3.0});
  EXPECT_THAT(values(Tensor::fromAttr(bf16.toAttr())), ElementsAre(1.5, -3.0));
  EXPECT_THAT(integers(Tensor::fromAttr(i1.toAttr())), ElementsAre(0, 1, 1));
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, UnaryOps) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f(%x: tensor<4xf64>, %p: tensor<3xf64>) -> (tensor<4xf64>,
        tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<3xf64>,
        tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>,
        tensor<3xf64>, tensor<3xf64>) {
      %0 = mlopt.neg %x : tensor<4xf64>
      %1 = mlopt.relu %x : tensor<4xf64>
      %2 = mlopt.abs %x : tensor<4xf64>
      %3 = mlopt.sigmoid %x : tensor<4xf64>
      %4 = mlopt.exp %p : tensor<3xf64>
      %5 = mlopt.log %p : tensor<3xf64>
      %6 = mlopt.sqrt %p : tensor<3xf64>
      %7 = mlopt.rsqrt %p : tensor<3xf64>
      %8 = mlopt.tanh %p : tensor<3xf64>
      %9 = mlopt.cos %p : tensor<3xf64>
      %10 = mlopt.erf %p : tensor<3xf64>
      return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10 : tensor<4xf64>,
          tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<3xf64>,
          tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>,
          tensor<3xf64>, tensor<3xf64>
    }
  )mlir",
                              {floats("tensor<4xf64>", {-2.0, -0.5, 0.0, 2.0}),
                               floats("tensor<3xf64>", {1.0, 4.0, 0.25})});
  ASSERT_EQ(r.size(), 11u);
  expectValues(r[0], {4}, {2.0, 0.5, 0.0, -2.0});
  expectValues(r[1], {4}, {0.0, 0.0, 0.0, 2.0});
  expectValues(r[2], {4}, {2.0, 0.5, 0.0, 2.0});
  // sigmoid(2) = 0.8807970779778823, sigmoid(-x) = 1 - sigmoid(x).
  expectValues(
      r[3], {4},
      {1.0 - 0.8807970779778823, 0.3775406687981454, 0.5, 0.8807970779778823});
  expectValues(r[4], {3},
               {2.718281828459045, 54.598150033144236, 1.2840254166877414});
  expectValues(r[5], {3}, {0.0, 1.3862943611198906, -1.3862943611198906});
  expectValues(r[6], {3}, {1.0, 2.0, 0.5});
  expectValues(r[7], {3}, {1.0, 0.5, 2.0});
  expectValues(r[8], {3},
               {0.7615941559557649, 0.999329299739067, 0.24491866240370913});
  expectValues(r[9], {3},
               {0.5403023058681398, -0.6536436208636119, 0.9689124217106447});
  expectValues(r[10], {3},
               {0.8427007929497149, 0.9999999845827421, 0.2763263901682369});
}

TEST_F(EvaluatorTest, GeluBothForms) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f(%x: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>) {
      %0 = mlopt.gelu %x : tensor<3xf64>
      %1 = mlopt.gelu %x approximate = tanh : tensor<3xf64>
      return %0, %1 : tensor<3xf64>, tensor<3xf64>
    }
  )mlir",
                              {floats("tensor<3xf64>", {-1.0, 0.5, 2.0})});
  ASSERT_EQ(r.size(), 2u);
  // x * Phi(x) with PyTorch's erf form, and its tanh approximation.
  expectValues(r[0], {3},
               {-0.15865525393145707, 0.34573123063700656, 1.9544997361036416});
  expectValues(r[1], {3},
               {-0.15880800939172324, 0.34571400982514394, 1.954597694087775});
}

TEST_F(EvaluatorTest, BinaryOpsBroadcast) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%a: tensor<2x3xf64>, %row: tensor<3xf64>,
                 %col: tensor<2x1xf64>, %s: tensor<f64>)
        -> (tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>,
            tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>,
            tensor<2x3xf64>) {
      %0 = mlopt.add %a, %row : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
      %1 = mlopt.sub %col, %row : (tensor<2x1xf64>, tensor<3xf64>) -> tensor<2x3xf64>
      %2 = mlopt.mul %a, %s : (tensor<2x3xf64>, tensor<f64>) -> tensor<2x3xf64>
      %3 = mlopt.div %a, %col : (tensor<2x3xf64>, tensor<2x1xf64>) -> tensor<2x3xf64>
      %4 = mlopt.pow %a, %s : (tensor<2x3xf64>, tensor<f64>) -> tensor<2x3xf64>
      %5 = mlopt.maximum %a, %row : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
      %6 = mlopt.minimum %a, %row : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<2x3xf64>, tensor<2x3xf64>,
          tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>,
          tensor<2x3xf64>, tensor<2x3xf64>
    }
  )mlir",
      {floats("tensor<2x3xf64>", {1, 2, 3, 4, 5, 6}),
       floats("tensor<3xf64>", {10, kNaN, 0.5}),
       floats("tensor<2x1xf64>", {100, 200}), floats("tensor<f64>", {2})});
  ASSERT_EQ(r.size(), 7u);
  expectValues(r[0], {2, 3}, {11, kNaN, 3.5, 14, kNaN, 6.5});
  expectValues(r[1], {2, 3}, {90, kNaN, 99.5, 190, kNaN, 199.5});
  expectValues(r[2], {2, 3}, {2, 4, 6, 8, 10, 12});
  expectValues(r[3], {2, 3}, {0.01, 0.02, 0.03, 0.02, 0.025, 0.03});
  expectValues(r[4], {2, 3}, {1, 4, 9, 16, 25, 36});
  // torch.maximum / torch.minimum propagate NaN.
  expectValues(r[5], {2, 3}, {10, kNaN, 3, 10, kNaN, 6});
  expectValues(r[6], {2, 3}, {1, kNaN, 0.5, 4, kNaN, 0.5});
}

TEST_F(EvaluatorTest, F32ResultsAreRounded) {
  SmallVector<Tensor> r =
      run(R"mlir(
    func.func @f(%a: tensor<f32>, %b: tensor<f32>) -> tensor<f32> {
      %0 = mlopt.add %a, %b : tensor<f32>
      return %0 : tensor<f32>
    }
  )mlir",
          {floats("tensor<f32>", {0.1}), floats("tensor<f32>", {0.2})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].getDoubles()[0], static_cast<double>(0.1f + 0.2f));
  EXPECT_NE(r[0].getDoubles()[0],
            static_cast<double>(0.1f) + static_cast<double>(0.2f));
}

TEST_F(EvaluatorTest, CompareNaNRulesAndIntegers) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%x: tensor<3xf32>, %y: tensor<f32>, %i: tensor<2x1xi32>,
                 %j: tensor<2xi32>)
        -> (tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>,
            tensor<3xi1>, tensor<3xi1>, tensor<2x2xi1>) {
      %0 = mlopt.compare eq, %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
      %1 = mlopt.compare ne, %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
      %2 = mlopt.compare lt, %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
      %3 = mlopt.compare le, %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
      %4 = mlopt.compare gt, %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
      %5 = mlopt.compare ge, %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
      %6 = mlopt.compare lt, %i, %j : (tensor<2x1xi32>, tensor<2xi32>) -> tensor<2x2xi1>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<3xi1>, tensor<3xi1>,
          tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<2x2xi1>
    }
  )mlir",
      {floats("tensor<3xf32>", {1.0, 2.0, kNaN}), floats("tensor<f32>", {2.0}),
       ints("tensor<2x1xi32>", {1, 5}), ints("tensor<2xi32>", {3, -4})});
  ASSERT_EQ(r.size(), 7u);
  EXPECT_THAT(integers(r[0]), ElementsAre(0, 1, 0));
  EXPECT_THAT(integers(r[1]), ElementsAre(1, 0, 1)); // NaN != y holds.
  EXPECT_THAT(integers(r[2]), ElementsAre(1, 0, 0));
  EXPECT_THAT(integers(r[3]), ElementsAre(1, 1, 0));
  EXPECT_THAT(integers(r[4]), ElementsAre(0, 0, 0));
  EXPECT_THAT(integers(r[5]), ElementsAre(0, 1, 0));
  EXPECT_THAT(integers(r[6]), ElementsAre(1, 0, 0, 0));
}

TEST_F(EvaluatorTest, SelectBroadcasts) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%c: tensor<2x1xi1>, %t: tensor<2x3xf32>, %e: tensor<f32>,
                 %ti: tensor<3xi64>, %ei: tensor<2x3xi64>)
        -> (tensor<2x3xf32>, tensor<2x3xi64>) {
      %0 = mlopt.select %c, %t, %e
          : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
      %1 = mlopt.select %c, %ti, %ei
          : (tensor<2x1xi1>, tensor<3xi64>, tensor<2x3xi64>) -> tensor<2x3xi64>
      return %0, %1 : tensor<2x3xf32>, tensor<2x3xi64>
    }
  )mlir",
      {ints("tensor<2x1xi1>", {1, 0}),
       floats("tensor<2x3xf32>", {1, 2, 3, 4, 5, 6}),
       floats("tensor<f32>", {-1}), ints("tensor<3xi64>", {7, 8, 9}),
       ints("tensor<2x3xi64>", {10, 11, 12, 13, 14, 15})});
  ASSERT_EQ(r.size(), 2u);
  expectValues(r[0], {2, 3}, {1, 2, 3, -1, -1, -1});
  EXPECT_THAT(integers(r[1]), ElementsAre(7, 8, 9, 13, 14, 15));
}

TEST_F(EvaluatorTest, Casts) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%x: tensor<4xf32>, %h: tensor<2xf64>, %i: tensor<2xi64>,
                 %n: tensor<3xi32>)
        -> (tensor<4xbf16>, tensor<4xi32>, tensor<4xi1>, tensor<2xf16>,
            tensor<2xf32>, tensor<3xi8>, tensor<3xf32>) {
      %0 = mlopt.cast %x : tensor<4xf32> to tensor<4xbf16>
      %1 = mlopt.cast %x : tensor<4xf32> to tensor<4xi32>
      %2 = mlopt.cast %x : tensor<4xf32> to tensor<4xi1>
      %3 = mlopt.cast %h : tensor<2xf64> to tensor<2xf16>
      %4 = mlopt.cast %i : tensor<2xi64> to tensor<2xf32>
      %5 = mlopt.cast %n : tensor<3xi32> to tensor<3xi8>
      %b = mlopt.cast %n : tensor<3xi32> to tensor<3xi1>
      %6 = mlopt.cast %b : tensor<3xi1> to tensor<3xf32>
      return %0, %1, %2, %3, %4, %5, %6 : tensor<4xbf16>, tensor<4xi32>,
          tensor<4xi1>, tensor<2xf16>, tensor<2xf32>, tensor<3xi8>,
          tensor<3xf32>
    }
  )mlir",
      // bf16 has 8 significant bits: near 1 its spacing is 2^-7.
      {floats("tensor<4xf32>", {1.0 + 0x1p-8, 1.0 + 3 * 0x1p-8, -2.7, 0.0}),
       floats("tensor<2xf64>", {1.0 + 0x1p-11, 70000.0}),
       ints("tensor<2xi64>", {16777217, -3}),
       ints("tensor<3xi32>", {300, -129, 0})});
  ASSERT_EQ(r.size(), 7u);
  // Ties to even: 1 + 2^-8 -> 1, 1 + 3 * 2^-8 -> 1 + 2^-6.
  expectValues(r[0], {4}, {1.0, 1.0 + 0x1p-6, -2.703125, 0.0}, 0.0);
  // Truncation toward zero (tensor.to(torch.int32)).
  EXPECT_THAT(integers(r[1]), ElementsAre(1, 1, -2, 0));
  EXPECT_THAT(integers(r[2]), ElementsAre(1, 1, 1, 0));
  // f16: 1 + 2^-11 is a tie -> 1; 70000 overflows to inf.
  expectValues(r[3], {2}, {1.0, INFINITY}, 0.0);
  // 2^24 + 1 is not an f32: it rounds to even, 2^24.
  expectValues(r[4], {2}, {16777216.0, -3.0}, 0.0);
  EXPECT_THAT(integers(r[5]), ElementsAre(44, 127, 0));
  expectValues(r[6], {3}, {1.0, 1.0, 0.0}, 0.0);
}

//===----------------------------------------------------------------------===//
// Reductions, softmax, argmax
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, ReductionsOverEachDim) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f(%x: tensor<2x3xf64>) -> (tensor<3xf64>, tensor<2x1xf64>,
        tensor<f64>, tensor<1x3xf64>, tensor<2xf64>, tensor<1x1xf64>,
        tensor<3xf64>, tensor<2xf64>) {
      %0 = mlopt.sum %x dims = [0] : tensor<2x3xf64> -> tensor<3xf64>
      %1 = mlopt.sum %x dims = [1] keepdim : tensor<2x3xf64> -> tensor<2x1xf64>
      %2 = mlopt.sum %x dims = [0, -1] : tensor<2x3xf64> -> tensor<f64>
      %3 = mlopt.mean %x dims = [-2] keepdim : tensor<2x3xf64> -> tensor<1x3xf64>
      %4 = mlopt.mean %x dims = [1] : tensor<2x3xf64> -> tensor<2xf64>
      %5 = mlopt.mean %x dims = [1, 0] keepdim : tensor<2x3xf64> -> tensor<1x1xf64>
      %6 = mlopt.max %x dims = [0] : tensor<2x3xf64> -> tensor<3xf64>
      %7 = mlopt.max %x dims = [-1] : tensor<2x3xf64> -> tensor<2xf64>
      return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<3xf64>, tensor<2x1xf64>,
          tensor<f64>, tensor<1x3xf64>, tensor<2xf64>, tensor<1x1xf64>,
          tensor<3xf64>, tensor<2xf64>
    }
  )mlir",
                              {floats("tensor<2x3xf64>", {1, 5, 3, 4, 2, 6})});
  ASSERT_EQ(r.size(), 8u);
  expectValues(r[0], {3}, {5, 7, 9});
  expectValues(r[1], {2, 1}, {9, 12});
  expectValues(r[2], {}, {21});
  expectValues(r[3], {1, 3}, {2.5, 3.5, 4.5});
  expectValues(r[4], {2}, {3, 4});
  expectValues(r[5], {1, 1}, {3.5});
  expectValues(r[6], {3}, {4, 5, 6});
  expectValues(r[7], {2}, {5, 6});
}

TEST_F(EvaluatorTest, MaxPropagatesNaN) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f(%x: tensor<2x2xf32>) -> tensor<2xf32> {
      %0 = mlopt.max %x dims = [1] : tensor<2x2xf32> -> tensor<2xf32>
      return %0 : tensor<2xf32>
    }
  )mlir",
                              {floats("tensor<2x2xf32>", {kNaN, 1, 2, 3})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {2}, {kNaN, 3});
}

TEST_F(EvaluatorTest, SoftmaxAndLogSoftmax) {
  SmallVector<Tensor> r =
      run(R"mlir(
    func.func @f(%x: tensor<2x3xf64>) -> (tensor<2x3xf64>, tensor<2x3xf64>,
                                          tensor<2x3xf64>) {
      %0 = mlopt.softmax %x dim = -1 : tensor<2x3xf64>
      %1 = mlopt.log_softmax %x dim = 1 : tensor<2x3xf64>
      %2 = mlopt.softmax %x dim = 0 : tensor<2x3xf64>
      return %0, %1, %2 : tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>
    }
  )mlir",
          {floats("tensor<2x3xf64>", {1, 2, 3, 1000, 1001, 1002})});
  ASSERT_EQ(r.size(), 3u);
  // softmax([1, 2, 3]) = [0.0900305731703805, 0.2447284710547976,
  // 0.6652409557748219]; shifting a row by 999 changes nothing (and does not
  // overflow with the max subtraction).
  std::vector<double> row = {0.09003057317038046, 0.24472847105479764,
                             0.6652409557748219};
  expectValues(r[0], {2, 3}, {row[0], row[1], row[2], row[0], row[1], row[2]});
  for (int n = 0; n < 2; ++n)
    EXPECT_NEAR(r[0].getDoubles()[3 * n] + r[0].getDoubles()[3 * n + 1] +
                    r[0].getDoubles()[3 * n + 2],
                1.0, 1e-15);
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(r[1].getDoubles()[i], std::log(row[i % 3]), 1e-12);
  // Along dim 0 each column is softmax([x, x + 999]) = [~0, 1].
  expectValues(r[2], {2, 3}, {0, 0, 0, 1, 1, 1});
}

TEST_F(EvaluatorTest, ArgmaxTiesPickTheFirst) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f(%x: tensor<2x3xf32>) -> (tensor<2xi64>, tensor<1x3xi64>,
                                          tensor<2x1xi64>) {
      %0 = mlopt.argmax %x dim = 1 : tensor<2x3xf32> -> tensor<2xi64>
      %1 = mlopt.argmax %x dim = 0 keepdim : tensor<2x3xf32> -> tensor<1x3xi64>
      %2 = mlopt.argmax %x dim = -1 keepdim : tensor<2x3xf32> -> tensor<2x1xi64>
      return %0, %1, %2 : tensor<2xi64>, tensor<1x3xi64>, tensor<2x1xi64>
    }
  )mlir",
                              {floats("tensor<2x3xf32>", {1, 3, 3, 5, 5, 0})});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_THAT(integers(r[0]), ElementsAre(1, 0));
  EXPECT_THAT(integers(r[1]), ElementsAre(1, 1, 0));
  EXPECT_THAT(integers(r[2]), ElementsAre(1, 0));
  EXPECT_EQ(r[2].getShape(), ArrayRef<int64_t>({2, 1}));
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, LinearMatmulBatchMatmul) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%x: tensor<2x1x3xf64>, %w: tensor<2x3xf64>, %b: tensor<2xf64>,
                 %a: tensor<2x3xf64>, %m: tensor<3x2xf64>,
                 %ba: tensor<2x1x2xf64>, %bb: tensor<2x2x1xf64>)
        -> (tensor<2x1x2xf64>, tensor<2x1x2xf64>, tensor<2x2xf64>,
            tensor<2x1x1xf64>) {
      %0 = mlopt.linear %x, %w, %b
          : (tensor<2x1x3xf64>, tensor<2x3xf64>, tensor<2xf64>) -> tensor<2x1x2xf64>
      %1 = mlopt.linear %x, %w
          : (tensor<2x1x3xf64>, tensor<2x3xf64>) -> tensor<2x1x2xf64>
      %2 = mlopt.matmul %a, %m : (tensor<2x3xf64>, tensor<3x2xf64>) -> tensor<2x2xf64>
      %3 = mlopt.batch_matmul %ba, %bb
          : (tensor<2x1x2xf64>, tensor<2x2x1xf64>) -> tensor<2x1x1xf64>
      return %0, %1, %2, %3 : tensor<2x1x2xf64>, tensor<2x1x2xf64>,
          tensor<2x2xf64>, tensor<2x1x1xf64>
    }
  )mlir",
      {floats("tensor<2x1x3xf64>", {1, 2, 3, 4, 5, 6}),
       floats("tensor<2x3xf64>", {1, 0, -1, 2, 1, 0}),
       floats("tensor<2xf64>", {10, 20}),
       floats("tensor<2x3xf64>", {1, 2, 3, 4, 5, 6}),
       floats("tensor<3x2xf64>", {7, 8, 9, 10, 11, 12}),
       floats("tensor<2x1x2xf64>", {1, 2, 3, 4}),
       floats("tensor<2x2x1xf64>", {5, 6, 7, 8})});
  ASSERT_EQ(r.size(), 4u);
  // x W^T: [1,2,3].[1,0,-1] = -2, [1,2,3].[2,1,0] = 4; [4,5,6] -> -2, 13.
  expectValues(r[0], {2, 1, 2}, {8, 24, 8, 33});
  expectValues(r[1], {2, 1, 2}, {-2, 4, -2, 13});
  expectValues(r[2], {2, 2}, {58, 64, 139, 154});
  expectValues(r[3], {2, 1, 1}, {17, 53});
}

//===----------------------------------------------------------------------===//
// Embedding, one_hot, layer_norm, dropout
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, EmbeddingAndItsGradient) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%i: tensor<2x2xi32>, %w: tensor<3x2xf32>, %g: tensor<2x2x2xf32>)
        -> (tensor<2x2x2xf32>, tensor<3x2xf32>) {
      %0 = mlopt.embedding %i, %w
          : (tensor<2x2xi32>, tensor<3x2xf32>) -> tensor<2x2x2xf32>
      %1 = mlopt.embedding_grad %i, %g num_embeddings = 3
          : (tensor<2x2xi32>, tensor<2x2x2xf32>) -> tensor<3x2xf32>
      return %0, %1 : tensor<2x2x2xf32>, tensor<3x2xf32>
    }
  )mlir",
      {ints("tensor<2x2xi32>", {2, 0, 2, 2}),
       floats("tensor<3x2xf32>", {1, 2, 3, 4, 5, 6}),
       floats("tensor<2x2x2xf32>", {1, 10, 2, 20, 3, 30, 4, 40})});
  ASSERT_EQ(r.size(), 2u);
  expectValues(r[0], {2, 2, 2}, {5, 6, 1, 2, 5, 6, 5, 6});
  // Row 2 receives positions 0, 2 and 3; row 1 nothing.
  expectValues(r[1], {3, 2}, {2, 20, 0, 0, 8, 80});
}

TEST_F(EvaluatorTest, EmbeddingIndexOutOfRangeIsAnError) {
  const char *source = R"mlir(
    func.func @f(%i: tensor<2xi64>, %w: tensor<3x2xf32>) -> tensor<2x2xf32> {
      %0 = mlopt.embedding %i, %w : (tensor<2xi64>, tensor<3x2xf32>) -> tensor<2x2xf32>
      return %0 : tensor<2x2xf32>
    }
  )mlir";
  std::string errors =
      runFailing(source, {ints("tensor<2xi64>", {1, 3}),
                          floats("tensor<3x2xf32>", {1, 2, 3, 4, 5, 6})});
  EXPECT_THAT(errors,
              HasSubstr("index 3 at position 1 is out of range [0, 3)"));
  errors = runFailing(source, {ints("tensor<2xi64>", {-1, 0}),
                               floats("tensor<3x2xf32>", {1, 2, 3, 4, 5, 6})});
  EXPECT_THAT(errors, HasSubstr("index -1 at position 0"));
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

/// In a world of one rank every collective is the identity: the sum, mean,
/// max or min over one rank, gathering and scattering over one, rank 0 as
/// the root.
TEST_F(EvaluatorTest, CollectivesOfOneRankAreTheIdentity) {
  SmallVector<Tensor> r =
      run(R"mlir(
    func.func @f(%x: tensor<2x3xf32>, %n: tensor<2xi32>)
        -> (tensor<2x3xf32>, tensor<2xi32>, tensor<2x3xf32>, tensor<2xi32>,
            tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
            tensor<2x3xf32>) {
      %m, %s = mlopt.all_reduce mean %x, %x ranks = 1 : tensor<2x3xf32>, tensor<2x3xf32>
      %a, %i = mlopt.all_reduce max %x, %n ranks = 1 : tensor<2x3xf32>, tensor<2xi32>
      %g, %j = mlopt.all_gather %x, %n dim = 0 ranks = 1
          : (tensor<2x3xf32>, tensor<2xi32>) -> (tensor<2x3xf32>, tensor<2xi32>)
      %rs = mlopt.reduce_scatter min %x dim = 1 ranks = 1
          : (tensor<2x3xf32>) -> tensor<2x3xf32>
      %b = mlopt.broadcast %x root = 0 ranks = 1 : tensor<2x3xf32>
      %rd = mlopt.reduce mean %x root = 0 ranks = 1 : tensor<2x3xf32>
      %ls = mlopt.local_shard %x dim = 1 ranks = 1 : (tensor<2x3xf32>) -> tensor<2x3xf32>
      return %m, %i, %g, %j, %rs, %b, %rd, %ls, %a
          : tensor<2x3xf32>, tensor<2xi32>, tensor<2x3xf32>, tensor<2xi32>,
            tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>,
            tensor<2x3xf32>
    }
  )mlir",
          {floats("tensor<2x3xf32>", {1, -2, 3.5, 4, 5, -6}),
           ints("tensor<2xi32>", {7, -8})});
  ASSERT_EQ(r.size(), 9u);
  for (unsigned i : {0u, 2u, 4u, 5u, 6u, 7u, 8u})
    expectValues(r[i], {2, 3}, {1, -2, 3.5, 4, 5, -6});
  EXPECT_THAT(integers(r[1]), ElementsAre(7, -8));
  EXPECT_THAT(integers(r[3]), ElementsAre(7, -8));
}

/// The evaluator runs one rank: an op built for more ranks, and send/recv
/// (which need a peer), are located errors naming the op and its ranks.
TEST_F(EvaluatorTest, CollectivesOfSeveralRanksAreAnError) {
  Tensor x = floats("tensor<4xf32>", {1, 2, 3, 4});
  EXPECT_THAT(runFailing(R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = mlopt.all_reduce sum %x ranks = 2 : tensor<4xf32>
      return %0 : tensor<4xf32>
    }
  )mlir",
                         {x}),
              HasSubstr("the reference evaluator runs one rank; "
                        "'mlopt.all_reduce' is for 2 ranks"));
  EXPECT_THAT(runFailing(R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<2xf32> {
      %0 = mlopt.local_shard %x dim = 0 ranks = 2 : (tensor<4xf32>) -> tensor<2xf32>
      return %0 : tensor<2xf32>
    }
  )mlir",
                         {x}),
              HasSubstr("'mlopt.local_shard' is for 2 ranks"));
  EXPECT_THAT(runFailing(R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = mlopt.broadcast %x root = 3 ranks = 4 : tensor<4xf32>
      return %0 : tensor<4xf32>
    }
  )mlir",
                         {x}),
              HasSubstr("'mlopt.broadcast' is for 4 ranks"));
  EXPECT_THAT(runFailing(R"mlir(
    func.func @f(%x: tensor<4xf32>) {
      mlopt.send %x dest = 1 ranks = 2 : tensor<4xf32>
      return
    }
  )mlir",
                         {x}),
              HasSubstr("'mlopt.send' is for 2 ranks"));
  EXPECT_THAT(runFailing(R"mlir(
    func.func @f() -> tensor<4xf32> {
      %0 = mlopt.recv source = 0 ranks = 3 : tensor<4xf32>
      return %0 : tensor<4xf32>
    }
  )mlir"),
              HasSubstr("'mlopt.recv' is for 3 ranks"));
}

TEST_F(EvaluatorTest, OneHot) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f(%y: tensor<3xi32>) -> tensor<3x3xf32> {
      %0 = mlopt.one_hot %y : tensor<3xi32> -> tensor<3x3xf32>
      return %0 : tensor<3x3xf32>
    }
  )mlir",
                              {ints("tensor<3xi32>", {2, 0, 7})});
  ASSERT_EQ(r.size(), 1u);
  // An index outside [0, C) gives an all-zero row.
  expectValues(r[0], {3, 3}, {0, 0, 1, 1, 0, 0, 0, 0, 0});
}

TEST_F(EvaluatorTest, LayerNormBiasedVariance) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%x: tensor<2x4xf64>, %w: tensor<4xf64>, %b: tensor<4xf64>)
        -> (tensor<2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>) {
      %0 = mlopt.layer_norm %x weight %w bias %b {eps = 1.0e-05 : f64}
          : (tensor<2x4xf64>, tensor<4xf64>, tensor<4xf64>) -> tensor<2x4xf64>
      %1 = mlopt.layer_norm %x : (tensor<2x4xf64>) -> tensor<2x4xf64>
      %2 = mlopt.layer_norm %x {normalized_rank = 2 : i64, eps = 0.5 : f64}
          : (tensor<2x4xf64>) -> tensor<2x4xf64>
      return %0, %1, %2 : tensor<2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>
    }
  )mlir",
      {floats("tensor<2x4xf64>", {1, 2, 3, 4, 2, 2, 2, 2}),
       floats("tensor<4xf64>", {1, 2, 3, 4}),
       floats("tensor<4xf64>", {0, 0, 0, 1})});
  ASSERT_EQ(r.size(), 3u);
  // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25. A constant row
  // normalizes to 0.
  double s = 1.0 / std::sqrt(1.25 + 1e-5);
  expectValues(
      r[0], {2, 4},
      {-1.5 * s, -0.5 * s * 2, 0.5 * s * 3, 1.5 * s * 4 + 1, 0, 0, 0, 1});
  expectValues(r[1], {2, 4},
               {-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, 0, 0, 0, 0});
  // Over all 8 elements: mean 2.25, variance (1.5625 + 0.0625 + 0.5625 +
  // 3.0625 + 4 * 0.0625) / 8 = 0.6875.
  double t = 1.0 / std::sqrt(0.6875 + 0.5);
  expectValues(r[2], {2, 4},
               {-1.25 * t, -0.25 * t, 0.75 * t, 1.75 * t, -0.25 * t, -0.25 * t,
                -0.25 * t, -0.25 * t});
}

TEST_F(EvaluatorTest, DropoutIsSeededScaledAndAtRate) {
  const char *source = R"mlir(
    func.func @f(%x: tensor<100x100xf32>, %s: tensor<i64>)
        -> (tensor<100x100xf32>, tensor<100x100xf32>) {
      %0 = mlopt.dropout %x, %s p = 0.3 stream = 5 : tensor<100x100xf32>
      %1 = mlopt.dropout %x, %s p = 0.3 stream = 6 : tensor<100x100xf32>
      return %0, %1 : tensor<100x100xf32>, tensor<100x100xf32>
    }
  )mlir";
  std::vector<double> ones(10000, 1.0);
  Tensor x = floats("tensor<100x100xf32>", ones);
  SmallVector<Tensor> first = run(source, {x, ints("tensor<i64>", {17})});
  SmallVector<Tensor> again = run(source, {x, ints("tensor<i64>", {17})});
  SmallVector<Tensor> other = run(source, {x, ints("tensor<i64>", {18})});
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(again.size(), 2u);
  ASSERT_EQ(other.size(), 2u);
  EXPECT_EQ(values(first[0]), values(again[0]));
  EXPECT_NE(values(first[0]), values(other[0]));
  EXPECT_NE(values(first[0]), values(first[1])); // Streams differ.

  double kept = static_cast<double>(1.0f / 0.7f);
  int dropped = 0;
  for (int i = 0; i < 10000; ++i) {
    double y = first[0].getDoubles()[i];
    // The mask is exactly uniform(splitmix64(seed), stream, i) < p.
    bool drop = dropoutUniform(17, 5, i) < 0.3;
    EXPECT_EQ(dropoutUniform(17, 5, i), randomUniform(splitmix64(17), 5, i));
    EXPECT_EQ(y, drop ? 0.0 : kept) << "element " << i;
    dropped += y == 0.0;
  }
  EXPECT_NEAR(dropped / 10000.0, 0.3, 0.02);
}

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, MseAndCrossEntropyAndNll) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%p: tensor<2x2xf64>, %t: tensor<2x2xf64>,
                 %logits: tensor<2x3xf64>, %y: tensor<2xi32>,
                 %logp: tensor<2x2xf64>, %z: tensor<2xi64>)
        -> (tensor<f64>, tensor<f64>, tensor<f64>) {
      %0 = mlopt.mse_loss %p, %t : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<f64>
      %1 = mlopt.cross_entropy %logits, %y
          : (tensor<2x3xf64>, tensor<2xi32>) -> tensor<f64>
      %2 = mlopt.nll_loss %logp, %z : (tensor<2x2xf64>, tensor<2xi64>) -> tensor<f64>
      return %0, %1, %2 : tensor<f64>, tensor<f64>, tensor<f64>
    }
  )mlir",
      {floats("tensor<2x2xf64>", {1, 2, 3, 4}),
       floats("tensor<2x2xf64>", {1, 0, 3, 7}),
       floats("tensor<2x3xf64>", {1, 2, 3, 1, 1, 1}),
       ints("tensor<2xi32>", {2, 0}),
       floats("tensor<2x2xf64>", {-1, -2, -3, -4}),
       ints("tensor<2xi64>", {1, 0})});
  ASSERT_EQ(r.size(), 3u);
  expectValues(r[0], {}, {(4.0 + 9.0) / 4.0});
  // mean(logsumexp - logit[label]): (log(e + e^2 + e^3) - 3 + log 3) / 2.
  expectValues(r[1], {}, {0.7531091265562453});
  expectValues(r[2], {}, {2.5});
}

TEST_F(EvaluatorTest, LabelOutOfRangeIsAnError) {
  std::string errors = runFailing(
      R"mlir(
    func.func @f(%logits: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f32> {
      %0 = mlopt.cross_entropy %logits, %y
          : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<f32>
      return %0 : tensor<f32>
    }
  )mlir",
      {floats("tensor<2x3xf32>", {1, 2, 3, 4, 5, 6}),
       ints("tensor<2xi32>", {0, 3})});
  EXPECT_THAT(errors, HasSubstr("'mlopt.cross_entropy' op label 3 of row 1 is "
                                "out of range [0, 3)"));
  errors = runFailing(
      R"mlir(
    func.func @f(%logp: tensor<1x2xf32>, %y: tensor<1xi64>) -> tensor<f32> {
      %0 = mlopt.nll_loss %logp, %y : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
      return %0 : tensor<f32>
    }
  )mlir",
      {floats("tensor<1x2xf32>", {-1, -2}), ints("tensor<1xi64>", {-1})});
  EXPECT_THAT(errors, HasSubstr("label -1 of row 0 is out of range [0, 2)"));
}

TEST_F(EvaluatorTest, KLDivEachReduction) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%x: tensor<2x2xf64>, %t: tensor<2x2xf64>, %lt: tensor<2x2xf64>)
        -> (tensor<f64>, tensor<f64>, tensor<f64>, tensor<f64>, tensor<f64>) {
      %0 = mlopt.kl_div %x, %t : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<f64>
      %1 = mlopt.kl_div %x, %t reduction = batchmean
          : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<f64>
      %2 = mlopt.kl_div %x, %t reduction = sum
          : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<f64>
      %3 = mlopt.kl_div %x, %lt reduction = sum log_target
          : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<f64>
      %4 = mlopt.kl_div %x, %lt log_target
          : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<f64>
      return %0, %1, %2, %3, %4 : tensor<f64>, tensor<f64>, tensor<f64>,
          tensor<f64>, tensor<f64>
    }
  )mlir",
      {floats("tensor<2x2xf64>", {-1.0, -2.0, -0.5, -INFINITY}),
       floats("tensor<2x2xf64>", {0.5, 0.5, 1.0, 0.0}),
       floats("tensor<2x2xf64>", {std::log(0.5), std::log(0.5), 0.0, -2.0})});
  ASSERT_EQ(r.size(), 5u);
  // Terms t (log t - x): 0.5 (log 0.5 + 1), 0.5 (log 0.5 + 2), 0.5, and 0
  // where t = 0 (even against x = -inf).
  expectValues(r[0], {}, {0.32671320486001365});
  expectValues(r[1], {}, {0.6534264097200273});
  expectValues(r[2], {}, {1.3068528194400546});
  // With log_target: exp(t) (t - x); the last term is e^-2 (-2 + inf) = inf.
  expectValues(r[3], {}, {INFINITY});
  expectValues(r[4], {}, {INFINITY});
}

TEST_F(EvaluatorTest, KLDivLogTargetFinite) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%x: tensor<2x2xf64>, %lt: tensor<2x2xf64>) -> tensor<f64> {
      %0 = mlopt.kl_div %x, %lt reduction = batchmean log_target
          : (tensor<2x2xf64>, tensor<2x2xf64>) -> tensor<f64>
      return %0 : tensor<f64>
    }
  )mlir",
      {floats("tensor<2x2xf64>", {-1.0, -2.0, -0.5, -3.0}),
       floats("tensor<2x2xf64>", {std::log(0.5), std::log(0.5), 0.0, -2.0})});
  ASSERT_EQ(r.size(), 1u);
  // (0.5 (log 0.5 + 1) + 0.5 (log 0.5 + 2) + 0.5 + e^-2) / 2.
  expectValues(r[0], {}, {0.7210940513383337});
}

TEST_F(EvaluatorTest, Accuracy) {
  SmallVector<Tensor> r =
      run(R"mlir(
    func.func @f(%logits: tensor<3x3xf32>, %y: tensor<3xi64>) -> tensor<f32> {
      %0 = mlopt.accuracy %logits, %y : (tensor<3x3xf32>, tensor<3xi64>) -> tensor<f32>
      return %0 : tensor<f32>
    }
  )mlir",
          {floats("tensor<3x3xf32>", {1, 3, 3, 5, 5, 0, 0, 0, 1}),
           ints("tensor<3xi64>", {1, 1, 2})});
  ASSERT_EQ(r.size(), 1u);
  // Argmaxes (first on ties) are [1, 0, 2]: rows 0 and 2 are right.
  expectValues(r[0], {}, {static_cast<double>(2.0f / 3.0f)}, 0.0);
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, ShapeOps) {
  SmallVector<Tensor> r = run(
      R"mlir(
    func.func @f(%x: tensor<2x3xf32>, %v: tensor<3xi64>, %c: tensor<2x3x4xf32>,
                 %i: tensor<2x1xi32>, %j: tensor<2x2xi32>)
        -> (tensor<3x2xf32>, tensor<2x3xi64>, tensor<4x2x3xf32>,
            tensor<1x2xf32>, tensor<2x5xf32>, tensor<2x3xi32>) {
      %0 = mlopt.reshape %x : tensor<2x3xf32> to tensor<3x2xf32>
      %1 = mlopt.broadcast_to %v : tensor<3xi64> to tensor<2x3xi64>
      %2 = mlopt.transpose %c, [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
      %3 = mlopt.slice %x start [1, 0] limit [2, 3] step [1, 2]
          : tensor<2x3xf32> -> tensor<1x2xf32>
      %s = mlopt.slice %x start [0, 1] limit [2, 3] step [1, 1]
          : tensor<2x3xf32> -> tensor<2x2xf32>
      %4 = mlopt.concat %x, %s dim = -1
          : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x5xf32>
      %5 = mlopt.concat %i, %j dim = 1
          : (tensor<2x1xi32>, tensor<2x2xi32>) -> tensor<2x3xi32>
      return %0, %1, %2, %3, %4, %5 : tensor<3x2xf32>, tensor<2x3xi64>,
          tensor<4x2x3xf32>, tensor<1x2xf32>, tensor<2x5xf32>, tensor<2x3xi32>
    }
  )mlir",
      {floats("tensor<2x3xf32>", {1, 2, 3, 4, 5, 6}),
       ints("tensor<3xi64>", {7, 8, 9}),
       floats("tensor<2x3x4xf32>",
              {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
               12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}),
       ints("tensor<2x1xi32>", {1, 2}), ints("tensor<2x2xi32>", {3, 4, 5, 6})});
  ASSERT_EQ(r.size(), 6u);
  expectValues(r[0], {3, 2}, {1, 2, 3, 4, 5, 6});
  EXPECT_THAT(integers(r[1]), ElementsAre(7, 8, 9, 7, 8, 9));
  // result[k][a][b] = c[a][b][k] = 12a + 4b + k.
  expectValues(r[2], {4, 2, 3}, {0, 4, 8,  12, 16, 20, 1, 5, 9,  13, 17, 21,
                                 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23});
  expectValues(r[3], {1, 2}, {4, 6});
  expectValues(r[4], {2, 5}, {1, 2, 3, 2, 3, 4, 5, 6, 5, 6});
  EXPECT_THAT(integers(r[5]), ElementsAre(1, 3, 4, 2, 5, 6));
}

//===----------------------------------------------------------------------===//
// Constants, state, initializers, calls
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, Constants) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f() -> (tensor<2x2xf32>, tensor<3xbf16>, tensor<2xi1>,
                       tensor<2xi8>) {
      %0 = mlopt.constant dense<0.5> : tensor<2x2xf32>
      %1 = mlopt.constant dense<[1.0, 2.5, -0.125]> : tensor<3xbf16>
      %2 = mlopt.constant dense<[true, false]> : tensor<2xi1>
      %3 = mlopt.constant dense<[-3, 100]> : tensor<2xi8>
      return %0, %1, %2, %3 : tensor<2x2xf32>, tensor<3xbf16>, tensor<2xi1>,
          tensor<2xi8>
    }
  )mlir");
  ASSERT_EQ(r.size(), 4u);
  expectValues(r[0], {2, 2}, {0.5, 0.5, 0.5, 0.5});
  expectValues(r[1], {3}, {1.0, 2.5, -0.125});
  EXPECT_THAT(integers(r[2]), ElementsAre(1, 0));
  EXPECT_THAT(integers(r[3]), ElementsAre(-3, 100));
}

constexpr const char *kStateModule = R"mlir(
  mlopt.state @w : tensor<2xf32> parameter trainable init #mlopt.ones
  mlopt.state @step : tensor<i64> step init #mlopt.zeros
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    %w = mlopt.state_read @w : tensor<2xf32>
    %y = mlopt.mul %x, %w : tensor<2xf32>
    mlopt.state_write %y, @w : tensor<2xf32>
    %w2 = mlopt.state_read @w : tensor<2xf32>
    %s = mlopt.state_read @step : tensor<i64>
    %c = mlopt.cast %s : tensor<i64> to tensor<f32>
    %z = mlopt.add %w2, %c : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
    return %z : tensor<2xf32>
  }
)mlir";

TEST_F(EvaluatorTest, StateReadAndWrite) {
  ModuleOp module = parse(kStateModule);
  ASSERT_TRUE(module);
  Evaluator evaluator(module);
  ASSERT_TRUE(succeeded(evaluator.initializeState(0, state)));
  EXPECT_THAT(values(state["w"]), ElementsAre(1.0, 1.0));
  EXPECT_THAT(integers(state["step"]), ElementsAre(0));
  state["step"] = ints("tensor<i64>", {10});
  Tensor x = floats("tensor<2xf32>", {2, 3});
  FailureOr<SmallVector<Tensor>> r = evaluator.call("f", {x}, state);
  ASSERT_TRUE(succeeded(r)) << allMessages();
  // The write replaces @w and the later read sees it.
  EXPECT_THAT(values(state["w"]), ElementsAre(2.0, 3.0));
  EXPECT_THAT(values((*r)[0]), ElementsAre(12.0, 13.0));
  r = evaluator.call("f", {x}, state);
  ASSERT_TRUE(succeeded(r));
  EXPECT_THAT(values(state["w"]), ElementsAre(4.0, 9.0));
}

TEST_F(EvaluatorTest, MissingOrMistypedStateIsAnError) {
  ModuleOp module = parse(kStateModule);
  ASSERT_TRUE(module);
  Evaluator evaluator(module);
  Tensor x = floats("tensor<2xf32>", {2, 3});
  EXPECT_TRUE(failed(evaluator.call("f", {x}, state)));
  EXPECT_THAT(allMessages(), HasSubstr("reads state 'w', which has no value"));
  messages.clear();
  state["w"] = floats("tensor<3xf32>", {1, 2, 3});
  EXPECT_TRUE(failed(evaluator.call("f", {x}, state)));
  EXPECT_THAT(allMessages(), HasSubstr("but it holds a value of type "
                                       "'tensor<3xf32>'"));
}

TEST_F(EvaluatorTest, InitializersFollowTheirFormulas) {
  ModuleOp module = parse(R"mlir(
    mlopt.state @fc.weight : tensor<64x100xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.23606797749979>
    mlopt.state @fc.bias : tensor<64xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.23606797749979, fan_in = 25>
    mlopt.state @conv : tensor<8x4x3x3xf64> parameter trainable
        init #mlopt.kaiming_uniform
    mlopt.state @xavier : tensor<30x20xf64> parameter trainable
        init #mlopt.xavier_uniform<gain = 2.0>
    mlopt.state @u : tensor<1000xf64> parameter init #mlopt.uniform<low = 2.0, high = 3.0>
    mlopt.state @n : tensor<100x100xf64> parameter init #mlopt.normal<mean = 1.0, std = 0.5>
    mlopt.state @c : tensor<3xi32> buffer init #mlopt.constant<value = 7.0>
    mlopt.state @o : tensor<2xbf16> buffer init #mlopt.ones
  )mlir");
  ASSERT_TRUE(module);
  Evaluator evaluator(module);
  ASSERT_TRUE(succeeded(evaluator.initializeState(2024, state)));
  ASSERT_EQ(state.size(), 8u);

  auto maxAbs = [](const Tensor &t) {
    double result = 0.0;
    for (double v : t.getDoubles())
      result = std::max(result, std::fabs(v));
    return result;
  };
  // nn.Linear's default: a = sqrt(5) gives bound 1 / sqrt(fan_in).
  EXPECT_LE(maxAbs(state["fc.weight"]), 1.0 / std::sqrt(100.0));
  EXPECT_GT(maxAbs(state["fc.weight"]), 0.99 / std::sqrt(100.0));
  EXPECT_LE(maxAbs(state["fc.bias"]), 1.0 / std::sqrt(25.0));
  EXPECT_GT(maxAbs(state["fc.bias"]), 0.9 / std::sqrt(25.0));
  // a = 0: bound sqrt(2) * sqrt(3 / fan_in), fan_in = 4 * 3 * 3.
  double convBound = std::sqrt(6.0 / 36.0);
  EXPECT_LE(maxAbs(state["conv"]), convBound);
  EXPECT_GT(maxAbs(state["conv"]), 0.98 * convBound);
  // Exactly bound * (2u - 1) with the stream of the state's name.
  uint64_t stream = fnv1a64("conv");
  EXPECT_DOUBLE_EQ(state["conv"].getDoubles()[5],
                   convBound * (2.0 * randomUniform(2024, stream, 5) - 1.0));
  double xavierBound = 2.0 * std::sqrt(6.0 / (20.0 + 30.0));
  EXPECT_LE(maxAbs(state["xavier"]), xavierBound);
  EXPECT_GT(maxAbs(state["xavier"]), 0.98 * xavierBound);
  EXPECT_DOUBLE_EQ(state["u"].getDoubles()[7],
                   2.0 + randomUniform(2024, fnv1a64("u"), 7));
  double sum = 0.0, sumSquares = 0.0;
  for (double v : state["n"].getDoubles()) {
    sum += v;
    sumSquares += v * v;
  }
  double mean = sum / 10000.0;
  EXPECT_NEAR(mean, 1.0, 0.02);
  EXPECT_NEAR(std::sqrt(sumSquares / 10000.0 - mean * mean), 0.5, 0.02);
  EXPECT_THAT(integers(state["c"]), ElementsAre(7, 7, 7));
  EXPECT_THAT(values(state["o"]), ElementsAre(1.0, 1.0));

  // Another seed gives other values; the same seed the same ones.
  StateMap other, same;
  ASSERT_TRUE(succeeded(evaluator.initializeState(2025, other)));
  ASSERT_TRUE(succeeded(evaluator.initializeState(2024, same)));
  EXPECT_NE(values(other["fc.weight"]), values(state["fc.weight"]));
  EXPECT_EQ(values(same["fc.weight"]), values(state["fc.weight"]));
}

TEST_F(EvaluatorTest, InitialValueMatchesInitializeState) {
  ModuleOp module = parse(R"mlir(
    mlopt.state @w : tensor<4x3xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.23606797749979>
    func.func @f(%seed: tensor<i64>) -> tensor<4x3xf32> {
      %0 = mlopt.initial_value %seed, #mlopt.kaiming_uniform<a = 2.23606797749979>
          stream = -5808541479991114666 : tensor<4x3xf32>
      return %0 : tensor<4x3xf32>
    }
  )mlir");
  ASSERT_TRUE(module);
  // The stream attribute above is fnv1a64("w") as a signed 64-bit integer.
  ASSERT_EQ(static_cast<int64_t>(fnv1a64("w")), -5808541479991114666LL);
  Evaluator evaluator(module);
  ASSERT_TRUE(succeeded(evaluator.initializeState(77, state)));
  FailureOr<SmallVector<Tensor>> r =
      evaluator.call("f", {ints("tensor<i64>", {77})}, state);
  ASSERT_TRUE(succeeded(r)) << allMessages();
  EXPECT_EQ(values((*r)[0]), values(state["w"]));
  EXPECT_EQ(
      values((*r)[0]),
      values(sampleInitializer(
          KaimingUniformInitAttr::get(&context, APFloat(2.23606797749979), 0),
          type("tensor<4x3xf32>"), 77, fnv1a64("w"))));
}

TEST_F(EvaluatorTest, RngStatesAreDrawnFromTheSeed) {
  ModuleOp module = parse(R"mlir(
    mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
    mlopt.state @decoder.rng : tensor<i64> rng init #mlopt.from_seed
    mlopt.state @keys : tensor<4xi64> buffer init #mlopt.from_seed
  )mlir");
  ASSERT_TRUE(module);
  Evaluator evaluator(module);
  StateMap zero, seven, zeroAgain;
  ASSERT_TRUE(succeeded(evaluator.initializeState(0, zero)));
  ASSERT_TRUE(succeeded(evaluator.initializeState(7, seven)));
  ASSERT_TRUE(succeeded(evaluator.initializeState(0, zeroAgain)));
  // Exactly bits(seed, fnv1a64(name), i) >> 12, below 2^52 so train_step's
  // f64 increment stays exact.
  for (uint64_t seed : {0, 7}) {
    StateMap &state = seed == 0 ? zero : seven;
    for (const char *name : {"rng", "decoder.rng"}) {
      int64_t key = state[name].getInts()[0];
      EXPECT_EQ(key,
                static_cast<int64_t>(randomBits(seed, fnv1a64(name), 0) >> 12));
      EXPECT_GE(key, 0);
      EXPECT_LT(key, int64_t(1) << 52);
    }
    for (int64_t i = 0; i < 4; ++i)
      EXPECT_EQ(state["keys"].getInts()[i],
                static_cast<int64_t>(randomSeedKey(seed, fnv1a64("keys"), i)));
  }
  EXPECT_EQ(integers(zero["rng"]), integers(zeroAgain["rng"]));
  EXPECT_NE(integers(zero["rng"]), integers(seven["rng"]));
  // Each state its own stream.
  EXPECT_NE(integers(zero["rng"]), integers(zero["decoder.rng"]));
}

TEST_F(EvaluatorTest, DropoutMasksOfConsecutiveStepsAreUnrelated) {
  // With the state itself as the generator's seed, stream 1 at state 16
  // would draw the mask of stream 0 at state 17 (16 ^ 1 == 17 ^ 0): the
  // masks of two dropouts would repeat a step apart. dropoutKey hashes the
  // state first.
  ASSERT_EQ(randomUniform(16, 1, 3), randomUniform(17, 0, 3));
  const char *source = R"mlir(
    func.func @f(%x: tensor<64xf32>, %s: tensor<i64>, %t: tensor<i64>)
        -> (tensor<64xf32>, tensor<64xf32>) {
      %0 = mlopt.dropout %x, %s p = 0.5 stream = 1 : tensor<64xf32>
      %1 = mlopt.dropout %x, %t p = 0.5 : tensor<64xf32>
      return %0, %1 : tensor<64xf32>, tensor<64xf32>
    }
  )mlir";
  Tensor x = floats("tensor<64xf32>", std::vector<double>(64, 1.0));
  SmallVector<Tensor> r =
      run(source, {x, ints("tensor<i64>", {16}), ints("tensor<i64>", {17})});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_NE(values(r[0]), values(r[1]));
}

TEST_F(EvaluatorTest, SampleInitializerRejectsMissingFans) {
  // Computed fans need rank >= 2; the verifier rejects such a state, and the
  // sampler returns a null tensor rather than reading past the shape.
  Tensor t =
      sampleInitializer(XavierUniformInitAttr::get(&context, APFloat(1.0)),
                        type("tensor<5xf32>"), 1, 2);
  EXPECT_FALSE(static_cast<bool>(t));
}

TEST_F(EvaluatorTest, FuncCall) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func private @square(%x: tensor<2xf32>) -> tensor<2xf32> {
      %0 = mlopt.mul %x, %x : tensor<2xf32>
      return %0 : tensor<2xf32>
    }
    func.func @f(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
      %0 = call @square(%x) : (tensor<2xf32>) -> tensor<2xf32>
      %1 = func.call @square(%0) : (tensor<2xf32>) -> tensor<2xf32>
      return %0, %1 : tensor<2xf32>, tensor<2xf32>
    }
  )mlir",
                              {floats("tensor<2xf32>", {2, -3})});
  ASSERT_EQ(r.size(), 2u);
  expectValues(r[0], {2}, {4, 9});
  expectValues(r[1], {2}, {16, 81});
}

//===----------------------------------------------------------------------===//
// Error paths
//===----------------------------------------------------------------------===//

constexpr const char *kIdentity = R"mlir(
  func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
)mlir";

TEST_F(EvaluatorTest, UnknownFunctionIsAnError) {
  ModuleOp module = parse(kIdentity);
  ASSERT_TRUE(module);
  Evaluator evaluator(module);
  EXPECT_TRUE(failed(evaluator.call("g", {}, state)));
  EXPECT_THAT(allMessages(), HasSubstr("no func.func named 'g'"));
}

TEST_F(EvaluatorTest, WrongArgumentsAreErrors) {
  EXPECT_THAT(runFailing(kIdentity, {}), HasSubstr("takes 1 arguments, got 0"));
  EXPECT_THAT(runFailing(kIdentity, {floats("tensor<3xf32>", {1, 2, 3})}),
              HasSubstr("argument #0 has type 'tensor<2xf32>', got a tensor "
                        "of type 'tensor<3xf32>'"));
  EXPECT_THAT(runFailing(kIdentity, {Tensor()}), HasSubstr("argument #0"));
}

TEST_F(EvaluatorTest, UnsupportedOpIsAnError) {
  context.allowUnregisteredDialects();
  std::string errors = runFailing(R"mlir(
    func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
      %0 = "test.mystery"(%x) : (tensor<2xf32>) -> tensor<2xf32>
      return %0 : tensor<2xf32>
    }
  )mlir",
                                  {floats("tensor<2xf32>", {1, 2})});
  EXPECT_THAT(errors, HasSubstr("'test.mystery' op is not supported by the "
                                "reference evaluator"));
}

//===----------------------------------------------------------------------===//
// Pruning
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, PrunedCountRoundsHalfToEven) {
  using prune_selection::prunedCount;
  // Python's round(amount * n), as torch.nn.utils.prune: halves go to even.
  EXPECT_EQ(prunedCount(0.5, 5), 2);      // 2.5
  EXPECT_EQ(prunedCount(0.5, 7), 4);      // 3.5
  EXPECT_EQ(prunedCount(0.7, 5), 4);      // 3.5
  EXPECT_EQ(prunedCount(0.25, 10), 2);    // 2.5
  EXPECT_EQ(prunedCount(0.125, 4), 0);    // 0.5
  EXPECT_EQ(prunedCount(0.375, 4), 2);    // 1.5
  EXPECT_EQ(prunedCount(1.0 / 14, 7), 0); // 0.5
  EXPECT_EQ(prunedCount(3.0 / 14, 7), 2); // 1.5
  EXPECT_EQ(prunedCount(0.9, 7), 6);      // 6.3
  EXPECT_EQ(prunedCount(0.3, 6), 2);      // 1.7999999999999998
  EXPECT_EQ(prunedCount(0.0, 9), 0);
  EXPECT_EQ(prunedCount(1.0, 9), 9);
  // Out of range and NaN clamp: nothing below 0, everything above 1.
  EXPECT_EQ(prunedCount(-0.5, 9), 0);
  EXPECT_EQ(prunedCount(1.5, 9), 9);
  EXPECT_EQ(prunedCount(kNaN, 9), 0);
  EXPECT_EQ(prunedCount(0.5, 0), 0);
}

/// selectPruneMask (std::nth_element) against a full stable sort of each
/// group by (NaN first, then value): the first k indices of the sort are
/// the pruned ones.
TEST_F(EvaluatorTest, PruneSelectionMatchesASort) {
  std::mt19937_64 generator(20261201);
  std::uniform_int_distribution<int> small(0, 4);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::bernoulli_distribution coin(0.5), rare(0.05);
  for (int trial = 0; trial < 400; ++trial) {
    int64_t groups = 1 + trial % 4, length = 1 + (trial * 7) % 23;
    double sparsity = (trial % 11) / 10.0;
    bool ties = coin(generator);
    std::vector<double> scores(groups * length);
    for (double &score : scores)
      score = rare(generator) ? kNaN
              : ties          ? static_cast<double>(small(generator))
                              : uniform(generator);
    std::vector<double> mask(scores.size(), -1.0);
    prune_selection::selectPruneMask(scores.data(), mask.data(), groups, length,
                                     sparsity);

    // Python's round: the nearest integer, halves to even.
    double product = sparsity * static_cast<double>(length);
    auto k = static_cast<int64_t>(std::nearbyint(product));
    for (int64_t g = 0; g < groups; ++g) {
      const double *group = scores.data() + g * length;
      std::vector<int64_t> order(length);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) {
        if (std::isnan(group[i]) || std::isnan(group[j]))
          return std::isnan(group[i]) && !std::isnan(group[j]);
        return group[i] < group[j];
      });
      std::vector<double> expected(length, 1.0);
      for (int64_t i = 0; i < k; ++i)
        expected[order[i]] = 0.0;
      std::vector<double> actual(mask.begin() + g * length,
                                 mask.begin() + (g + 1) * length);
      EXPECT_EQ(actual, expected)
          << "trial " << trial << ", group " << g << ", k " << k;
    }
  }
}

TEST_F(EvaluatorTest, PruneMaskPrunesTheLowestScoresOfEachGroup) {
  const char *source = R"mlir(
    func.func @f(%s: tensor<2x5xf32>, %sp: tensor<f64>, %u: tensor<i1>,
                 %p: tensor<2x5xf32>) -> tensor<2x5xf32> {
      %m = mlopt.prune_mask %s, %sp, %u, %p : tensor<2x5xf32>
      return %m : tensor<2x5xf32>
    }
  )mlir";
  // k = round(0.4 * 5) = 2 per row. Row 0: the two 1s (a tie: both go);
  // row 1: the NaN, then -1 (0 at index 1 and 3 are kept).
  Tensor scores = floats("tensor<2x5xf32>", {3, 1, 2, 1, 5, kNaN, 0, -1, 0, 4});
  Tensor previous = floats("tensor<2x5xf32>", {1, 1, 1, 1, 1, 1, 1, 1, 1, 0});
  SmallVector<Tensor> r = run(source, {scores, floats("tensor<f64>", {0.4}),
                                       ints("tensor<i1>", {1}), previous});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {2, 5}, {1, 0, 1, 0, 1, 0, 1, 0, 1, 1});

  // A tie across the cut: of the three 0s, k = round(0.5 * 5) = 2 prunes
  // the two of lower index.
  r = run(source,
          {floats("tensor<2x5xf32>", {0, 7, 0, 0, 7, 2, 2, 2, 2, 2}),
           floats("tensor<f64>", {0.5}), ints("tensor<i1>", {1}), previous});
  expectValues(r[0], {2, 5}, {0, 1, 0, 1, 1, 0, 0, 1, 1, 1});

  // Without update: previous, whatever the scores.
  r = run(source, {scores, floats("tensor<f64>", {0.4}),
                   ints("tensor<i1>", {0}), previous});
  expectValues(r[0], {2, 5}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 0});
}

TEST_F(EvaluatorTest, ApplyMaskMultiplies) {
  SmallVector<Tensor> r = run(R"mlir(
    func.func @f(%w: tensor<4xf32>, %m: tensor<4xf32>) -> tensor<4xf32> {
      %y = mlopt.apply_mask %w, %m : tensor<4xf32>
      return %y : tensor<4xf32>
    }
  )mlir",
                              {floats("tensor<4xf32>", {1.5, -2, 3, 4}),
                               floats("tensor<4xf32>", {1, 0, 1, 0})});
  ASSERT_EQ(r.size(), 1u);
  expectValues(r[0], {4}, {1.5, 0, 3, 0});
}

TEST_F(EvaluatorTest, SparsityScheduleIsCubic) {
  const char *source = R"mlir(
    func.func @f(%t: tensor<i64>) -> (tensor<f64>, tensor<i1>) {
      %s, %u = mlopt.sparsity_schedule %t initial = 0.0 final = 0.8
          start = 2 end = 10 frequency = 4 : tensor<i64>
      return %s, %u : tensor<f64>, tensor<i1>
    }
  )mlir";
  // s(t) = 0.8 + (0 - 0.8) (1 - (t - 2) / 8)^3; updates at 2, 6, 10.
  struct Point {
    int64_t t;
    double sparsity;
    int64_t update;
  };
  for (Point p :
       {Point{0, 0.0, 0}, Point{2, 0.0, 1}, Point{4, 0.8 - 0.8 * 0.421875, 0},
        Point{6, 0.8 - 0.8 * 0.125, 1}, Point{9, 0.8 - 0.8 / 512, 0},
        Point{10, 0.8, 1}, Point{11, 0.8, 0}, Point{14, 0.8, 0}}) {
    SmallVector<Tensor> r = run(source, {ints("tensor<i64>", {p.t})});
    ASSERT_EQ(r.size(), 2u);
    expectValues(r[0], {}, {p.sparsity}, 1e-15);
    EXPECT_THAT(integers(r[1]), ElementsAre(p.update)) << "step " << p.t;
  }
}

TEST_F(EvaluatorTest, OneShotScheduleUpdatesAtItsStepOnly) {
  const char *source = R"mlir(
    func.func @f(%t: tensor<i64>) -> (tensor<f64>, tensor<i1>) {
      %s, %u = mlopt.sparsity_schedule %t initial = 0.2 final = 0.6
          start = 3 end = 3 frequency = 1 : tensor<i64>
      return %s, %u : tensor<f64>, tensor<i1>
    }
  )mlir";
  for (auto [t, sparsity, update] :
       {std::tuple<int64_t, double, int64_t>{2, 0.2, 0},
        {3, 0.6, 1},
        {4, 0.6, 0}}) {
    SmallVector<Tensor> r = run(source, {ints("tensor<i64>", {t})});
    ASSERT_EQ(r.size(), 2u);
    expectValues(r[0], {}, {sparsity});
    EXPECT_THAT(integers(r[1]), ElementsAre(update)) << "step " << t;
  }
}

TEST_F(EvaluatorTest, ValueInitializerIsExact) {
  ModuleOp module = parse(R"mlir(
    mlopt.state @w.mask : tensor<2x2xf32> mask
        init #mlopt.value<dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>>
    mlopt.state @w : tensor<2x2xf32> parameter trainable
        init #mlopt.value<dense<[[0.1, -2.0], [3.5, 1.0e-40]]> : tensor<2x2xf32>>
        {mlopt.masked_by = @w.mask}
    mlopt.state @step : tensor<i64> step init #mlopt.value<dense<41> : tensor<i64>>
    func.func @f(%seed: tensor<i64>) -> tensor<2x2xf32> {
      %0 = mlopt.initial_value %seed,
          #mlopt.value<dense<[[0.1, -2.0], [3.5, 1.0e-40]]> : tensor<2x2xf32>>
          stream = 0 : tensor<2x2xf32>
      return %0 : tensor<2x2xf32>
    }
  )mlir");
  ASSERT_TRUE(module);
  Evaluator evaluator(module);
  ASSERT_TRUE(succeeded(evaluator.initializeState(5, state)));
  // The values as f32 rounds them, whatever the seed.
  std::vector<double> weights = {static_cast<float>(0.1), -2.0, 3.5,
                                 static_cast<float>(1.0e-40)};
  EXPECT_EQ(values(state["w"]), weights);
  EXPECT_THAT(values(state["w.mask"]), ElementsAre(1, 0, 0, 1));
  EXPECT_THAT(integers(state["step"]), ElementsAre(41));
  FailureOr<SmallVector<Tensor>> r =
      evaluator.call("f", {ints("tensor<i64>", {9})}, state);
  ASSERT_TRUE(succeeded(r)) << allMessages();
  EXPECT_EQ(values((*r)[0]), weights);
}

TEST_F(EvaluatorTest, RecursionIsBounded) {
  std::string errors = runFailing(R"mlir(
    func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
      %0 = call @f(%x) : (tensor<2xf32>) -> tensor<2xf32>
      return %0 : tensor<2xf32>
    }
  )mlir",
                                  {floats("tensor<2xf32>", {1, 2})});
  EXPECT_THAT(errors, HasSubstr("call depth exceeds"));
}

} // namespace
