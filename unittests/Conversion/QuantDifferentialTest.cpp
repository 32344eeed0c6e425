//===- QuantDifferentialTest.cpp - quantization ops compiled vs reference -===//
//
// The quantization ops lowered with mlopt-lower-to-cpu and JIT-compiled must
// give what the reference evaluator (mlopt/Support/QuantMath.h) gives, bit
// for bit: fake_quant, fake_quant_grad, quantize and dequantize per tensor
// and per channel on f32, bf16, f16 and f64 inputs of odd shapes (NaN,
// infinities, values beyond the integer range and ties included);
// observe's min/max and moving-average rules; quant_params (affine,
// symmetric, unobserved and degenerate ranges); the int8 products through
// mlopt_qgemm_s8 on every kernel path the CPU has, with extreme values and
// zero points and i32 wrap-around; and an int8 layer and a QAT train step
// with i8/i32/f32 state through the whole CPU pipeline. A quantize /
// dequantize round trip is within scale / 2 of the input inside the range.
//
//===----------------------------------------------------------------------===//

#include "CompiledTestFixture.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"
#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Support/QuantMath.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

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
using testutil::toHost;

namespace {

/// Bit-exact up to the sign of zero (min/max of +0 and -0 may pick
/// either); NaN matches NaN.
void expectExact(const HostBuffer &actual, const Tensor &expected) {
  ASSERT_EQ(actual.getType(), expected.getType());
  int64_t mismatches = 0;
  for (int64_t i = 0, e = expected.getNumElements(); i < e; ++i) {
    double a = hostElement(actual, i);
    double r = expected.getAsDouble(i);
    bool ok = a == r || (std::isnan(a) && std::isnan(r));
    if (!ok && ++mismatches <= 5)
      ADD_FAILURE() << "element " << i << ": cpu " << a << ", reference " << r;
  }
  EXPECT_EQ(mismatches, 0) << "of " << expected.getNumElements();
}

class QuantDifferentialTest : public CompiledTest<> {
protected:
  QuantDifferentialTest() : CompiledTest("mlopt-quant-differential") {}

  RankedTensorType type(llvm::StringRef text) {
    return cast<RankedTensorType>(parseType(text, &context));
  }

  /// Floats uniform in [low, high), with a few special values where
  /// `special`: NaN, +-inf, +-0, far beyond any range.
  Tensor floats(llvm::StringRef typeText, double low, double high,
                bool special = false) {
    RankedTensorType t = type(typeText);
    std::uniform_real_distribution<double> dist(low, high);
    std::vector<double> values(t.getNumElements());
    for (double &value : values)
      value = dist(rng);
    if (special) {
      const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 0.0,
                                 -0.0,
                                 1e30,
                                 -1e30};
      for (size_t i = 0; i < std::size(specials) && i * 5 < values.size(); ++i)
        values[i * 5] = specials[i];
    }
    return Tensor::fromDoubles(t, values);
  }

  /// Integers uniform in [low, high].
  Tensor ints(llvm::StringRef typeText, int64_t low, int64_t high) {
    RankedTensorType t = type(typeText);
    std::uniform_int_distribution<int64_t> dist(low, high);
    std::vector<int64_t> values(t.getNumElements());
    for (int64_t &value : values)
      value = dist(rng);
    return Tensor::fromInts(t, values);
  }

  Tensor values(llvm::StringRef typeText, ArrayRef<double> values) {
    return Tensor::fromDoubles(type(typeText), values);
  }

  /// Compiles `source` and returns its executable and the module (kept for
  /// the evaluator).
  bool build(llvm::StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module) {
      ADD_FAILURE() << messages << source.str();
      return false;
    }
    exec = compile(*module);
    return static_cast<bool>(exec);
  }

  /// Calls `name` on both backends and expects the same bits; returns the
  /// compiled results.
  std::vector<HostBuffer> expectSame(llvm::StringRef name,
                                     ArrayRef<Tensor> args) {
    SCOPED_TRACE(name.str());
    reference::Evaluator evaluator(*module);
    reference::StateMap state;
    auto expected = evaluator.call(name, args, state);
    EXPECT_TRUE(succeeded(expected)) << messages;
    if (failed(expected))
      return {};
    std::vector<HostBuffer> hostArgs;
    for (const Tensor &arg : args)
      hostArgs.push_back(toHost(arg));
    std::vector<const HostBuffer *> pointers;
    for (HostBuffer &arg : hostArgs)
      pointers.push_back(&arg);
    auto actual = exec->call(name, pointers);
    EXPECT_TRUE(static_cast<bool>(actual))
        << llvm::toString(actual.takeError());
    if (!actual)
      return {};
    EXPECT_EQ(actual->size(), expected->size());
    for (size_t i = 0; i < actual->size() && i < expected->size(); ++i) {
      SCOPED_TRACE("result #" + std::to_string(i));
      expectExact((*actual)[i], (*expected)[i]);
    }
    return std::move(*actual);
  }

  OwningOpRef<ModuleOp> module;
  std::unique_ptr<CpuExecutable> exec;
  std::mt19937_64 rng{20261201};
};

//===----------------------------------------------------------------------===//
// fake_quant, fake_quant_grad, quantize, dequantize
//===----------------------------------------------------------------------===//

/// One layout of the elementwise ops: the input's shape, the axis (-1 per
/// tensor) and the parameters' shape.
struct Layout {
  const char *name;
  const char *shape;
  int64_t axis;
  const char *params;
};

constexpr Layout kLayouts[] = {
    {"per_tensor", "3x5x7", -1, ""}, {"per_tensor_1d", "17", -1, ""},
    {"axis0", "5x3x7", 0, "5"},      {"axis1", "3x13", 1, "13"},
    {"axis2", "2x3x7", 2, "7"},      {"axis_unit", "1x9", 0, "1"}};

/// The elementwise ops on `element` inputs over every layout, with
/// integer ranges int8 affine, 4-bit, and unsigned 8-bit (fake_quant only).
class QuantElementwiseTest
    : public QuantDifferentialTest,
      public ::testing::WithParamInterface<const char *> {};

TEST_P(QuantElementwiseTest, MatchesReferenceBitForBit) {
  std::string element = GetParam();
  std::string source;
  for (const Layout &layout : kLayouts) {
    std::string x = llvm::formatv("tensor<{0}x{1}>", layout.shape, element);
    std::string xf32 = llvm::formatv("tensor<{0}xf32>", layout.shape);
    std::string xi8 = llvm::formatv("tensor<{0}xi8>", layout.shape);
    std::string p = *layout.params
                        ? llvm::formatv("tensor<{0}xf32>", layout.params).str()
                        : std::string("tensor<f32>");
    std::string z = *layout.params
                        ? llvm::formatv("tensor<{0}xi32>", layout.params).str()
                        : std::string("tensor<i32>");
    std::string axis =
        layout.axis < 0
            ? std::string()
            : llvm::formatv("axis = {0} : i64, ", layout.axis).str();
    std::string axisOnly =
        layout.axis < 0
            ? std::string()
            : llvm::formatv("{{axis = {0} : i64}", layout.axis).str();
    source += llvm::formatv(
        R"mlir(
func.func @{0}(%x: {1}, %dy: {1}, %s: {2}, %z: {3}) -> ({1}, {1}, {1}, {1}, {4}, {5}) {
  %f = mlopt.fake_quant %x, %s, %z {{{6}quant_min = -128 : i64, quant_max = 127 : i64} : {1}, {2}
  %f4 = mlopt.fake_quant %x, %s, %z {{{6}quant_min = -8 : i64, quant_max = 7 : i64} : {1}, {2}
  %fu = mlopt.fake_quant %x, %s, %z {{{6}quant_min = 0 : i64, quant_max = 255 : i64} : {1}, {2}
  %g = mlopt.fake_quant_grad %dy, %x, %s, %z {{{6}quant_min = -8 : i64, quant_max = 7 : i64} : {1}, {2}
  %q = mlopt.quantize %x, %s, %z {{{6}quant_min = -128 : i64, quant_max = 127 : i64} : {1}, {2} -> {4}
  %d = mlopt.dequantize %q, %s, %z {7} : {4}, {2} -> {5}
  return %f, %f4, %fu, %g, %q, %d : {1}, {1}, {1}, {1}, {4}, {5}
}
)mlir",
        layout.name, x, p, z, xi8, xf32, axis, axisOnly);
  }
  ASSERT_TRUE(build(source));
  for (const Layout &layout : kLayouts) {
    std::string x = llvm::formatv("tensor<{0}x{1}>", layout.shape, element);
    std::string p = *layout.params
                        ? llvm::formatv("tensor<{0}xf32>", layout.params).str()
                        : std::string("tensor<f32>");
    std::string z = *layout.params
                        ? llvm::formatv("tensor<{0}xi32>", layout.params).str()
                        : std::string("tensor<i32>");
    // Scales around 0.02 put [-3, 3] beyond the int8 range at both ends.
    for (int trial = 0; trial < 3; ++trial)
      expectSame(layout.name,
                 {floats(x, -3.0, 3.0, /*special=*/true), floats(x, -1.0, 1.0),
                  floats(p, 0.005, 0.04), ints(z, -20, 20)});
    // Ties: x = (k + 1/2) * scale for a power-of-two scale (exact in every
    // type), so roundeven decides.
    RankedTensorType xType = type(x);
    std::vector<double> ties(xType.getNumElements());
    for (size_t i = 0; i < ties.size(); ++i)
      ties[i] = (static_cast<double>(i % 41) - 20.0 + 0.5) * 0.0625;
    std::vector<double> scale(type(p).getNumElements(), 0.0625);
    expectSame(layout.name,
               {Tensor::fromDoubles(xType, ties), floats(x, -1.0, 1.0),
                values(p, scale), ints(z, -3, 3)});
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, QuantElementwiseTest,
                         ::testing::Values("f32", "bf16", "f16", "f64"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           return std::string(i.param);
                         });

/// dequantize of i32 accumulators (per tensor and per output channel), and
/// a quantize / dequantize round trip within scale / 2 inside the range.
TEST_F(QuantDifferentialTest, DequantizeAccumulatorsAndRoundTrip) {
  ASSERT_TRUE(build(R"mlir(
    func.func @accumulators(%acc: tensor<7x11xi32>, %s: tensor<11xf32>, %z: tensor<11xi32>, %s0: tensor<f32>, %z0: tensor<i32>) -> (tensor<7x11xf32>, tensor<7x11xf32>) {
      %a = mlopt.dequantize %acc, %s, %z {axis = 1 : i64} : tensor<7x11xi32>, tensor<11xf32> -> tensor<7x11xf32>
      %b = mlopt.dequantize %acc, %s0, %z0 : tensor<7x11xi32>, tensor<f32> -> tensor<7x11xf32>
      return %a, %b : tensor<7x11xf32>, tensor<7x11xf32>
    }
    func.func @round_trip(%x: tensor<9x31xf32>, %s: tensor<9xf32>, %z: tensor<9xi32>) -> tensor<9x31xf32> {
      %q = mlopt.quantize %x, %s, %z {axis = 0 : i64, quant_min = -128 : i64, quant_max = 127 : i64} : tensor<9x31xf32>, tensor<9xf32> -> tensor<9x31xi8>
      %d = mlopt.dequantize %q, %s, %z {axis = 0 : i64} : tensor<9x31xi8>, tensor<9xf32> -> tensor<9x31xf32>
      return %d : tensor<9x31xf32>
    }
  )mlir"));
  expectSame("accumulators",
             {ints("tensor<7x11xi32>", -2000000000, 2000000000),
              floats("tensor<11xf32>", 1e-6, 1e-3),
              ints("tensor<11xi32>", -5, 5), floats("tensor<f32>", 1e-6, 1e-3),
              ints("tensor<i32>", -5, 5)});

  // Inputs inside [(qmin - zp) * s, (qmax - zp) * s] per row.
  Tensor scale = floats("tensor<9xf32>", 0.001, 0.1);
  Tensor zeroPoint = ints("tensor<9xi32>", -60, 60);
  RankedTensorType xType = type("tensor<9x31xf32>");
  std::vector<double> x(xType.getNumElements());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int64_t row = 0; row < 9; ++row) {
    double s = scale.getDoubles()[row];
    double zp = static_cast<double>(zeroPoint.getInts()[row]);
    double low = (-128 - zp) * s, high = (127 - zp) * s;
    for (int64_t col = 0; col < 31; ++col)
      x[row * 31 + col] = low + (high - low) * unit(rng);
  }
  Tensor input = Tensor::fromDoubles(xType, x);
  std::vector<HostBuffer> result =
      expectSame("round_trip", {input, scale, zeroPoint});
  ASSERT_EQ(result.size(), 1u);
  for (int64_t i = 0; i < xType.getNumElements(); ++i) {
    double s = scale.getDoubles()[i / 31];
    double error = std::fabs(hostElement(result[0], i) - input.getDoubles()[i]);
    // scale / 2, and the f32 roundings of x * (1 / scale) and (q - zp) *
    // scale (a few ulps of the value).
    EXPECT_LE(error, s / 2 + 4e-7 * (std::fabs(input.getDoubles()[i]) + s))
        << "element " << i << " of scale " << s;
  }
}

//===----------------------------------------------------------------------===//
// observe, quant_params
//===----------------------------------------------------------------------===//

TEST_F(QuantDifferentialTest, Observe) {
  const char *elements[] = {"f32", "bf16"};
  const char *constants[] = {"0.0", "0.01", "1.0"};
  auto name = [&](int e, int c) {
    return llvm::formatv("observe_{0}_{1}", elements[e], c).str();
  };
  std::string source;
  for (int e = 0; e < 2; ++e)
    for (int c = 0; c < 3; ++c)
      source += llvm::formatv(
          R"mlir(
func.func @{0}(%x: tensor<6x5x{1}>, %min: tensor<f32>, %max: tensor<f32>, %cmin: tensor<5xf32>, %cmax: tensor<5xf32>, %u: tensor<i1>) -> (tensor<f32>, tensor<f32>, tensor<5xf32>, tensor<5xf32>, tensor<6xf32>, tensor<6xf32>) {
  %a, %b = mlopt.observe %x, %min, %max, %u {{averaging_constant = {2} : f64} : tensor<6x5x{1}>, tensor<f32>
  %c, %d = mlopt.observe %x, %cmin, %cmax, %u {{axis = 1 : i64, averaging_constant = {2} : f64} : tensor<6x5x{1}>, tensor<5xf32>
  %inf = mlopt.constant dense<0x7F800000> : tensor<6xf32>
  %ninf = mlopt.constant dense<0xFF800000> : tensor<6xf32>
  %e, %f = mlopt.observe %x, %inf, %ninf, %u {{axis = 0 : i64, averaging_constant = {2} : f64} : tensor<6x5x{1}>, tensor<6xf32>
  return %a, %b, %c, %d, %e, %f : tensor<f32>, tensor<f32>, tensor<5xf32>, tensor<5xf32>, tensor<6xf32>, tensor<6xf32>
}
)mlir",
          name(e, c), elements[e], constants[c]);
  ASSERT_TRUE(build(source));
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int e = 0; e < 2; ++e)
    for (int c = 0; c < 3; ++c) {
      std::string function = name(e, c);
      std::string x = llvm::formatv("tensor<6x5x{0}>", elements[e]);
      for (bool update : {true, false}) {
        Tensor u = Tensor::fromInts(type("tensor<i1>"), {update ? 1 : 0});
        // A previous range, and an unobserved one with channel 3 seen.
        expectSame(function,
                   {floats(x, -3.0, 2.0), values("tensor<f32>", {-1.0}),
                    values("tensor<f32>", {0.5}),
                    floats("tensor<5xf32>", -2.0, -0.5),
                    floats("tensor<5xf32>", 0.5, 2.0), u});
        expectSame(function,
                   {floats(x, -3.0, 2.0), values("tensor<f32>", {inf}),
                    values("tensor<f32>", {-inf}),
                    values("tensor<5xf32>", {inf, inf, inf, -1.0, inf}),
                    values("tensor<5xf32>", {-inf, -inf, -inf, 1.0, -inf}), u});
      }
      // NaN elements are ignored; a channel of only NaN stays unobserved
      // (column 2: every element NaN).
      RankedTensorType xType = type(x);
      Tensor withNaN = floats(x, -3.0, 2.0);
      for (int64_t i = 0; i < xType.getNumElements(); ++i)
        if (i % 5 == 2 || i == 7)
          withNaN.getDoubles()[i] = nan;
      expectSame(function,
                 {withNaN, values("tensor<f32>", {inf}),
                  values("tensor<f32>", {-inf}),
                  values("tensor<5xf32>", {inf, inf, inf, inf, inf}),
                  values("tensor<5xf32>", {-inf, -inf, -inf, -inf, -inf}),
                  Tensor::fromInts(type("tensor<i1>"), {1})});
    }
}

/// A per-tensor range of a large tensor is reduced in 16 partial ranges
/// first (Quant.cpp); the result is the sequential one of the reference,
/// extremes in any lane, NaN in some.
TEST_F(QuantDifferentialTest, ObserveLargeTensor) {
  std::string source;
  for (const char *element : {"f32", "bf16"})
    source += llvm::formatv(
        R"mlir(
func.func @observe_large_{0}(%x: tensor<40x48x{0}>, %min: tensor<f32>, %max: tensor<f32>, %u: tensor<i1>) -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>) {
  %a, %b = mlopt.observe %x, %min, %max, %u : tensor<40x48x{0}>, tensor<f32>
  %c, %d = mlopt.observe %x, %min, %max, %u {{averaging_constant = 0.01 : f64} : tensor<40x48x{0}>, tensor<f32>
  return %a, %b, %c, %d : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
}
)mlir",
        element);
  ASSERT_TRUE(build(source));
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const char *element : {"f32", "bf16"}) {
    std::string x = llvm::formatv("tensor<40x48x{0}>", element);
    Tensor u = Tensor::fromInts(type("tensor<i1>"), {1});
    for (int64_t extreme : {0, 7, 1000, 1919}) {
      Tensor input = floats(x, -3.0, 2.0);
      input.getDoubles()[extreme] = -5.0;
      input.getDoubles()[1919 - extreme] = 4.0;
      input.getDoubles()[(extreme + 17) % 1920] = nan;
      expectSame("observe_large_" + std::string(element),
                 {input, values("tensor<f32>", {inf}),
                  values("tensor<f32>", {-inf}), u});
      expectSame("observe_large_" + std::string(element),
                 {input, values("tensor<f32>", {-1.0}),
                  values("tensor<f32>", {1.0}), u});
    }
  }
}

TEST_F(QuantDifferentialTest, QuantParams) {
  std::string source;
  const std::pair<int64_t, int64_t> ranges[] = {
      {-128, 127}, {0, 255}, {-8, 7}, {-1, 1}};
  for (auto [low, high] : ranges)
    for (bool symmetric : {false, true})
      source += llvm::formatv(
          R"mlir(
func.func @params_{0}_{1}_{2}(%min: tensor<16xf32>, %max: tensor<16xf32>, %min0: tensor<f32>, %max0: tensor<f32>) -> (tensor<16xf32>, tensor<16xi32>, tensor<f32>, tensor<i32>) {
  %s, %z = mlopt.quant_params %min, %max {{quant_min = {3} : i64, quant_max = {4} : i64{5}} : tensor<16xf32>
  %s0, %z0 = mlopt.quant_params %min0, %max0 {{quant_min = {3} : i64, quant_max = {4} : i64{5}} : tensor<f32>
  return %s, %z, %s0, %z0 : tensor<16xf32>, tensor<16xi32>, tensor<f32>, tensor<i32>
}
)mlir",
          low < 0 ? "m" + std::to_string(-low) : std::to_string(low), high,
          symmetric ? "symmetric" : "affine", low, high,
          symmetric ? ", symmetric" : "");
  ASSERT_TRUE(build(source));
  const double inf = std::numeric_limits<double>::infinity();
  // Unobserved, only positive, only negative, a point at 0, tiny, huge,
  // zero-crossing ranges.
  std::vector<double> mins = {inf,   0.5,  -3.0, 0.0,    -1e-9, -1e30,
                              -1.0,  -2.5, -0.3, -1e-20, -7.0,  1.0,
                              -0.02, 0.0,  -0.0, -100.25};
  std::vector<double> maxs = {-inf, 2.0,   -1.0, 0.0, 1e-9, 1e30, 1.0,  0.75,
                              4.0,  1e-20, 0.0,  3.0, 5.0,  1.5,  0.25, 100.5};
  for (auto [low, high] : ranges)
    for (bool symmetric : {false, true}) {
      std::string name = llvm::formatv(
          "params_{0}_{1}_{2}",
          low < 0 ? "m" + std::to_string(-low) : std::to_string(low), high,
          symmetric ? "symmetric" : "affine");
      expectSame(
          name, {values("tensor<16xf32>", mins), values("tensor<16xf32>", maxs),
                 values("tensor<f32>", {-0.7}), values("tensor<f32>", {0.2})});
      expectSame(name,
                 {floats("tensor<16xf32>", -5.0, 0.5),
                  floats("tensor<16xf32>", -0.5, 5.0),
                  values("tensor<f32>", {inf}), values("tensor<f32>", {-inf})});
    }
}

//===----------------------------------------------------------------------===//
// quantized_linear, quantized_matmul
//===----------------------------------------------------------------------===//

/// The product shapes (M, K, N): single elements, odd sizes around the
/// kernels' blocks, and one large enough for every packed path.
struct ProductShape {
  int64_t m, k, n;
};
constexpr ProductShape kProductShapes[] = {
    {1, 1, 1}, {3, 17, 5}, {7, 64, 33}, {33, 65, 17}, {64, 256, 128}};

TEST_F(QuantDifferentialTest, IntegerProductsOnEveryKernelPath) {
  std::string source;
  for (const ProductShape &s : kProductShapes)
    source += llvm::formatv(
        R"mlir(
func.func @linear_{0}_{1}_{2}(%x: tensor<{0}x{1}xi8>, %xz: tensor<i32>, %w: tensor<{2}x{1}xi8>) -> tensor<{0}x{2}xi32> {
  %y = mlopt.quantized_linear %x, %xz, %w : (tensor<{0}x{1}xi8>, tensor<i32>, tensor<{2}x{1}xi8>) -> tensor<{0}x{2}xi32>
  return %y : tensor<{0}x{2}xi32>
}
func.func @matmul_{0}_{1}_{2}(%a: tensor<{0}x{1}xi8>, %az: tensor<i32>, %b: tensor<{1}x{2}xi8>, %bz: tensor<i32>) -> tensor<{0}x{2}xi32> {
  %y = mlopt.quantized_matmul %a, %az, %b, %bz : (tensor<{0}x{1}xi8>, tensor<i32>, tensor<{1}x{2}xi8>, tensor<i32>) -> tensor<{0}x{2}xi32>
  return %y : tensor<{0}x{2}xi32>
}
)mlir",
        s.m, s.k, s.n);
  ASSERT_TRUE(build(source));
  Int8KernelPath original = getInt8KernelPath();
  for (Int8KernelPath path : availableInt8KernelPaths()) {
    ASSERT_TRUE(setInt8KernelPath(path).has_value());
    SCOPED_TRACE(getInt8KernelPathName(path));
    for (const ProductShape &s : kProductShapes) {
      std::string x = llvm::formatv("tensor<{0}x{1}xi8>", s.m, s.k);
      std::string w = llvm::formatv("tensor<{0}x{1}xi8>", s.n, s.k);
      std::string b = llvm::formatv("tensor<{0}x{1}xi8>", s.k, s.n);
      std::string linear = llvm::formatv("linear_{0}_{1}_{2}", s.m, s.k, s.n);
      std::string matmul = llvm::formatv("matmul_{0}_{1}_{2}", s.m, s.k, s.n);
      // Zero points in the int8 range, at its ends, and far beyond it
      // (70000: the sums wrap around in i32 for K >= 256).
      for (int64_t zp : {0, 3, -128, 127, 70000}) {
        Tensor zpTensor = Tensor::fromInts(type("tensor<i32>"), {zp});
        expectSame(linear, {ints(x, -128, 127), zpTensor, ints(w, -128, 127)});
        expectSame(matmul, {ints(x, -128, 127), zpTensor, ints(b, -128, 127),
                            Tensor::fromInts(type("tensor<i32>"), {-zp / 2})});
      }
      // Every element at the extremes: the largest products.
      RankedTensorType xType = type(x), wType = type(w);
      Tensor low = Tensor::fromInts(
          xType, std::vector<int64_t>(xType.getNumElements(), -128));
      Tensor lowW = Tensor::fromInts(
          wType, std::vector<int64_t>(wType.getNumElements(), -128));
      expectSame(linear,
                 {low, Tensor::fromInts(type("tensor<i32>"), {127}), lowW});
    }
  }
  setInt8KernelPath(original);
}

//===----------------------------------------------------------------------===//
// Through the whole pipeline: state, fusion, autodiff
//===----------------------------------------------------------------------===//

/// An int8 layer as mlopt-quantize mode=convert builds it, its int8 weight,
/// scales and zero points in state (i8, f32, i32 buffers through
/// mlopt-externalize-state), with dynamic activation quantization and a
/// ReLU after it (fused with the dequantize).
TEST_F(QuantDifferentialTest, Int8LayerWithState) {
  ASSERT_TRUE(build(R"mlir(
    mlopt.state @fc.weight : tensor<24x37xi8> parameter init #mlopt.zeros
    mlopt.state @fc.weight.scale : tensor<24xf32> buffer init #mlopt.zeros
    mlopt.state @fc.bias : tensor<24xf32> parameter init #mlopt.zeros
    mlopt.state @fc.input.scale : tensor<f32> buffer init #mlopt.zeros
    mlopt.state @fc.input.zero_point : tensor<i32> buffer init #mlopt.zeros
    func.func @static(%x: tensor<13x37xf32>) -> tensor<13x24xf32> {
      %w = mlopt.state_read @fc.weight : tensor<24x37xi8>
      %ws = mlopt.state_read @fc.weight.scale : tensor<24xf32>
      %b = mlopt.state_read @fc.bias : tensor<24xf32>
      %s = mlopt.state_read @fc.input.scale : tensor<f32>
      %z = mlopt.state_read @fc.input.zero_point : tensor<i32>
      %xq = mlopt.quantize %x, %s, %z {quant_min = -128 : i64, quant_max = 127 : i64} : tensor<13x37xf32>, tensor<f32> -> tensor<13x37xi8>
      %acc = mlopt.quantized_linear %xq, %z, %w : (tensor<13x37xi8>, tensor<i32>, tensor<24x37xi8>) -> tensor<13x24xi32>
      %scale = mlopt.mul %ws, %s : (tensor<24xf32>, tensor<f32>) -> tensor<24xf32>
      %zero = mlopt.constant dense<0> : tensor<24xi32>
      %d = mlopt.dequantize %acc, %scale, %zero {axis = 1 : i64} : tensor<13x24xi32>, tensor<24xf32> -> tensor<13x24xf32>
      %y = mlopt.add %d, %b : (tensor<13x24xf32>, tensor<24xf32>) -> tensor<13x24xf32>
      %r = mlopt.relu %y : tensor<13x24xf32>
      return %r : tensor<13x24xf32>
    }
    func.func @dynamic(%x: tensor<13x37xf32>) -> tensor<13x24xf32> {
      %w = mlopt.state_read @fc.weight : tensor<24x37xi8>
      %ws = mlopt.state_read @fc.weight.scale : tensor<24xf32>
      %inf = mlopt.constant dense<0x7F800000> : tensor<f32>
      %ninf = mlopt.constant dense<0xFF800000> : tensor<f32>
      %true = mlopt.constant dense<true> : tensor<i1>
      %min, %max = mlopt.observe %x, %inf, %ninf, %true : tensor<13x37xf32>, tensor<f32>
      %s, %z = mlopt.quant_params %min, %max {quant_min = -128 : i64, quant_max = 127 : i64} : tensor<f32>
      %xq = mlopt.quantize %x, %s, %z {quant_min = -128 : i64, quant_max = 127 : i64} : tensor<13x37xf32>, tensor<f32> -> tensor<13x37xi8>
      %acc = mlopt.quantized_linear %xq, %z, %w : (tensor<13x37xi8>, tensor<i32>, tensor<24x37xi8>) -> tensor<13x24xi32>
      %scale = mlopt.mul %ws, %s : (tensor<24xf32>, tensor<f32>) -> tensor<24xf32>
      %zero = mlopt.constant dense<0> : tensor<24xi32>
      %d = mlopt.dequantize %acc, %scale, %zero {axis = 1 : i64} : tensor<13x24xi32>, tensor<24xf32> -> tensor<13x24xf32>
      return %d : tensor<13x24xf32>
    }
  )mlir"));
  // Both backends from the same state.
  reference::StateMap state;
  state["fc.weight"] = ints("tensor<24x37xi8>", -127, 127);
  state["fc.weight.scale"] = floats("tensor<24xf32>", 0.001, 0.01);
  state["fc.bias"] = floats("tensor<24xf32>", -0.5, 0.5);
  state["fc.input.scale"] = values("tensor<f32>", {4.0 / 255});
  state["fc.input.zero_point"] = Tensor::fromInts(type("tensor<i32>"), {-3});
  for (auto &[name, tensor] : state) {
    HostBuffer *buffer = exec->getState(name);
    ASSERT_TRUE(buffer) << "no state buffer @" << name;
    ASSERT_EQ(buffer->getType(), tensor.getType());
    HostBuffer host = toHost(tensor);
    std::memcpy(buffer->data(), host.data(), host.getNumBytes());
  }
  for (const char *name : {"static", "dynamic"}) {
    SCOPED_TRACE(name);
    Tensor x = floats("tensor<13x37xf32>", -2.5, 2.0);
    reference::Evaluator evaluator(*module);
    reference::StateMap evalState = state;
    auto expected = evaluator.call(name, {x}, evalState);
    ASSERT_TRUE(succeeded(expected)) << messages;
    HostBuffer host = toHost(x);
    auto actual = exec->call(name, {&host});
    ASSERT_TRUE(static_cast<bool>(actual))
        << llvm::toString(actual.takeError());
    ASSERT_EQ(actual->size(), 1u);
    expectExact((*actual)[0], (*expected)[0]);
  }
}

/// A QAT train step as mlopt-quantize mode=qat builds it: the observers of
/// the input and the weight (per channel) updated and written, fake_quant
/// on both, the straight-through gradient through mlopt-autodiff.
/// fake_quant and the integer results are exact; the loss and gradients
/// (f32 sums) within 1e-5.
TEST_F(QuantDifferentialTest, QatTrainStep) {
  const char *source = R"mlir(
    mlopt.state @fc.weight : tensor<6x9xf32> parameter trainable init #mlopt.zeros
    mlopt.state @fc.input_observer.min_val : tensor<f32> observer init #mlopt.value<dense<0x7F800000> : tensor<f32>>
    mlopt.state @fc.input_observer.max_val : tensor<f32> observer init #mlopt.value<dense<0xFF800000> : tensor<f32>>
    mlopt.state @fc.weight_observer.min_val : tensor<6xf32> observer init #mlopt.value<dense<0x7F800000> : tensor<6xf32>>
    mlopt.state @fc.weight_observer.max_val : tensor<6xf32> observer init #mlopt.value<dense<0xFF800000> : tensor<6xf32>>
    func.func @loss(%x: tensor<5x9xf32> {mlopt.input}) -> tensor<f32> attributes {mlopt.loss} {
      %true = mlopt.constant dense<true> : tensor<i1>
      %imin = mlopt.state_read @fc.input_observer.min_val : tensor<f32>
      %imax = mlopt.state_read @fc.input_observer.max_val : tensor<f32>
      %imin1, %imax1 = mlopt.observe %x, %imin, %imax, %true {averaging_constant = 0.01 : f64} : tensor<5x9xf32>, tensor<f32>
      mlopt.state_write %imin1, @fc.input_observer.min_val : tensor<f32>
      mlopt.state_write %imax1, @fc.input_observer.max_val : tensor<f32>
      %is, %iz = mlopt.quant_params %imin1, %imax1 {quant_min = -128 : i64, quant_max = 127 : i64} : tensor<f32>
      %xq = mlopt.fake_quant %x, %is, %iz {quant_min = -128 : i64, quant_max = 127 : i64} : tensor<5x9xf32>, tensor<f32>
      %w = mlopt.state_read @fc.weight : tensor<6x9xf32>
      %wmin = mlopt.state_read @fc.weight_observer.min_val : tensor<6xf32>
      %wmax = mlopt.state_read @fc.weight_observer.max_val : tensor<6xf32>
      %wmin1, %wmax1 = mlopt.observe %w, %wmin, %wmax, %true {axis = 0 : i64} : tensor<6x9xf32>, tensor<6xf32>
      mlopt.state_write %wmin1, @fc.weight_observer.min_val : tensor<6xf32>
      mlopt.state_write %wmax1, @fc.weight_observer.max_val : tensor<6xf32>
      %ws, %wz = mlopt.quant_params %wmin1, %wmax1 {quant_min = -8 : i64, quant_max = 7 : i64, symmetric} : tensor<6xf32>
      %wq = mlopt.fake_quant %w, %ws, %wz {axis = 0 : i64, quant_min = -8 : i64, quant_max = 7 : i64} : tensor<6x9xf32>, tensor<6xf32>
      %y = mlopt.linear %xq, %wq : (tensor<5x9xf32>, tensor<6x9xf32>) -> tensor<5x6xf32>
      %sq = mlopt.mul %y, %y : tensor<5x6xf32>
      %l = mlopt.sum %sq dims = [0, 1] : tensor<5x6xf32> -> tensor<f32>
      return %l : tensor<f32>
    }
  )mlir";
  module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << messages;
  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createMLOptAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module))) << messages;
  exec = compile(*module);
  ASSERT_TRUE(exec);

  reference::Evaluator evaluator(*module);
  reference::StateMap state;
  ASSERT_TRUE(succeeded(evaluator.initializeState(0, state))) << messages;
  state["fc.weight"] = floats("tensor<6x9xf32>", -0.5, 0.5);
  for (auto &[name, tensor] : state) {
    HostBuffer *buffer = exec->getState(name);
    ASSERT_TRUE(buffer) << "no state buffer @" << name;
    ASSERT_EQ(buffer->getType(), tensor.getType());
    HostBuffer host = toHost(tensor);
    std::memcpy(buffer->data(), host.data(), host.getNumBytes());
  }
  auto trainStep = module->lookupSymbol<func::FuncOp>("train_step");
  ASSERT_TRUE(trainStep);
  // Three steps: the first observation takes the batch's range, the next
  // ones average (input) or widen (weights).
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    Tensor x = floats("tensor<5x9xf32>", -1.5 - step, 1.0 + step);
    auto expected = evaluator.call("train_step", {x}, state);
    ASSERT_TRUE(succeeded(expected)) << messages;
    HostBuffer host = toHost(x);
    auto actual = exec->call("train_step", {&host});
    ASSERT_TRUE(static_cast<bool>(actual))
        << llvm::toString(actual.takeError());
    ASSERT_EQ(actual->size(), expected->size());
    for (size_t i = 0; i < actual->size(); ++i) {
      const Tensor &r = (*expected)[i];
      for (int64_t k = 0; k < r.getNumElements(); ++k) {
        double a = hostElement((*actual)[i], k), e = r.getAsDouble(k);
        EXPECT_NEAR(a, e, 1e-5 + 1e-5 * std::fabs(e))
            << "result #" << i << " element " << k;
      }
    }
    // The observers' state after the step: exact.
    for (const char *name :
         {"fc.input_observer.min_val", "fc.input_observer.max_val",
          "fc.weight_observer.min_val", "fc.weight_observer.max_val"}) {
      SCOPED_TRACE(name);
      expectExact(*exec->getState(name), state[name]);
    }
  }
}

} // namespace
