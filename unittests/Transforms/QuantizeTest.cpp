//===- QuantizeTest.cpp - int8 state values against QuantMath.h -----------===//
//
// computeQuantizedStateValue must give, element for element, what the
// scalar rules of Support/QuantMath.h give (per tensor and per channel,
// along any axis, from observers or from the tensor's own range, for f32
// and bf16 sources), and fail without a diagnostic on missing or mistyped
// inputs. convertToInt8 must describe every new state so that these values
// are the ones it embeds, and getQuantizeMode / getInt8ConversionOptions
// must find mlopt-quantize in a pipeline.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/Quantize.h"
#include "mlopt/InitAll.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Support/QuantMath.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringMap.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

namespace {

class QuantizeTest : public ::testing::Test {
protected:
  QuantizeTest() {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics += diag.str() + "\n";
          return success();
        });
  }

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }

  DenseElementsAttr floats(RankedTensorType type, ArrayRef<float> values) {
    return DenseElementsAttr::get(type, values);
  }

  /// Random values in [low, high) with some exact zeros and halfway points.
  std::vector<float> randomValues(int64_t n, float low, float high) {
    std::uniform_real_distribution<float> dist(low, high);
    std::vector<float> values(n);
    for (float &v : values)
      v = dist(rng);
    if (n > 2) {
      values[0] = 0.0f;
      values[n / 2] = high;
    }
    return values;
  }

  FailureOr<DenseElementsAttr> compute(const QuantizedStateValue &value) {
    return computeQuantizedStateValue(
        value, [&](StringRef name) { return tensors.lookup(name); });
  }

  static QuantizedStateValue describe(QuantizedStateValue::Kind kind,
                                      std::string source,
                                      std::optional<int64_t> axis,
                                      bool symmetric, bool observed) {
    QuantizedStateValue value;
    value.kind = kind;
    value.state = "out";
    value.source = std::move(source);
    if (observed) {
      value.observerMin = "obs.min_val";
      value.observerMax = "obs.max_val";
    }
    value.quantMin = -128;
    value.quantMax = 127;
    value.symmetric = symmetric;
    value.axis = axis;
    return value;
  }

  MLIRContext context;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  llvm::StringMap<DenseElementsAttr> tensors;
  std::mt19937 rng{12};
};

using Kind = QuantizedStateValue::Kind;

/// Per channel along axis 0 with observed ranges: every element is
/// quant_math::quantize with its row's computeQuantParams.
TEST_F(QuantizeTest, ObservedPerChannelMatchesQuantMath) {
  const int64_t rows = 5, cols = 7;
  std::vector<float> w = randomValues(rows * cols, -3.0f, 2.0f);
  std::vector<float> mins = {-3.0f, -0.5f, 0.0f, -1e-9f, -2.0f};
  std::vector<float> maxs = {2.0f, 0.25f, 0.0f, 1e-9f, 0.5f};
  tensors["w"] = floats(f32({rows, cols}), w);
  tensors["obs.min_val"] = floats(f32({rows}), mins);
  tensors["obs.max_val"] = floats(f32({rows}), maxs);

  FailureOr<DenseElementsAttr> q =
      compute(describe(Kind::Int8Weight, "w", 0, /*symmetric=*/true, true));
  FailureOr<DenseElementsAttr> scale =
      compute(describe(Kind::Scale, "w", 0, true, true));
  FailureOr<DenseElementsAttr> zeroPoint =
      compute(describe(Kind::ZeroPoint, "w", 0, true, true));
  ASSERT_TRUE(succeeded(q) && succeeded(scale) && succeeded(zeroPoint));
  EXPECT_EQ(q->getType(),
            RankedTensorType::get({rows, cols}, IntegerType::get(&context, 8)));
  EXPECT_EQ(scale->getType(), f32({rows}));
  EXPECT_EQ(zeroPoint->getType(),
            RankedTensorType::get({rows}, IntegerType::get(&context, 32)));
  std::vector<int8_t> qs(q->getValues<int8_t>().begin(),
                         q->getValues<int8_t>().end());
  std::vector<float> scales(scale->getValues<float>().begin(),
                            scale->getValues<float>().end());
  std::vector<int32_t> zps(zeroPoint->getValues<int32_t>().begin(),
                           zeroPoint->getValues<int32_t>().end());
  for (int64_t r = 0; r < rows; ++r) {
    quant_math::QuantParams p =
        quant_math::computeQuantParams(mins[r], maxs[r], -128, 127, true);
    EXPECT_EQ(scales[r], p.scale) << "row " << r;
    EXPECT_EQ(zps[r], 0);
    for (int64_t c = 0; c < cols; ++c)
      EXPECT_EQ(qs[r * cols + c], quant_math::quantize(w[r * cols + c], p.scale,
                                                       p.zeroPoint, -128, 127))
          << "element " << r << ", " << c;
  }
  // A 0-width range gives the smallest scale.
  EXPECT_EQ(scales[2], quant_math::kScaleEpsilon);
}

/// Per tensor, affine, with observers: one scale and zero point.
TEST_F(QuantizeTest, ObservedPerTensorAffine) {
  tensors["obs.min_val"] = floats(f32({}), {-1.0f});
  tensors["obs.max_val"] = floats(f32({}), {3.0f});
  FailureOr<DenseElementsAttr> scale =
      compute(describe(Kind::Scale, "", std::nullopt, false, true));
  FailureOr<DenseElementsAttr> zeroPoint =
      compute(describe(Kind::ZeroPoint, "", std::nullopt, false, true));
  ASSERT_TRUE(succeeded(scale) && succeeded(zeroPoint));
  quant_math::QuantParams p =
      quant_math::computeQuantParams(-1.0f, 3.0f, -128, 127, false);
  EXPECT_EQ(scale->getType(), f32({}));
  EXPECT_EQ(*scale->getValues<float>().begin(), p.scale);
  EXPECT_EQ(*zeroPoint->getValues<int32_t>().begin(), p.zeroPoint);
  EXPECT_EQ(p.zeroPoint, -64);

  // Never observed (+inf, -inf): scale 1, zero point 0.
  tensors["obs.min_val"] =
      floats(f32({}), {std::numeric_limits<float>::infinity()});
  tensors["obs.max_val"] =
      floats(f32({}), {-std::numeric_limits<float>::infinity()});
  scale = compute(describe(Kind::Scale, "", std::nullopt, false, true));
  zeroPoint = compute(describe(Kind::ZeroPoint, "", std::nullopt, false, true));
  ASSERT_TRUE(succeeded(scale) && succeeded(zeroPoint));
  EXPECT_EQ(*scale->getValues<float>().begin(), 1.0f);
  EXPECT_EQ(*zeroPoint->getValues<int32_t>().begin(), 0);
}

/// Without observers (mode=dynamic): the range of the tensor itself, per
/// channel along a middle axis of a 3-D bf16 tensor, NaN ignored.
TEST_F(QuantizeTest, OwnRangeAlongMiddleAxisOfBf16) {
  const int64_t a = 2, c = 3, b = 4;
  std::vector<float> values = randomValues(a * c * b, -5.0f, 5.0f);
  values[5] = std::numeric_limits<float>::quiet_NaN();
  auto bf16Type = RankedTensorType::get({a, c, b}, BFloat16Type::get(&context));
  SmallVector<APFloat> elements;
  std::vector<float> rounded;
  for (float v : values) {
    APFloat x(v);
    bool losesInfo;
    x.convert(APFloat::BFloat(), APFloat::rmNearestTiesToEven, &losesInfo);
    elements.push_back(x);
    APFloat back = x;
    back.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                 &losesInfo);
    rounded.push_back(back.convertToFloat());
  }
  tensors["x"] = DenseElementsAttr::get(bf16Type, elements);

  std::vector<float> mins(c, quant_math::kUnobservedMin);
  std::vector<float> maxs(c, quant_math::kUnobservedMax);
  for (int64_t i = 0; i < a * c * b; ++i) {
    int64_t channel = (i / b) % c;
    mins[channel] = std::fmin(mins[channel], rounded[i]);
    maxs[channel] = std::fmax(maxs[channel], rounded[i]);
  }
  FailureOr<DenseElementsAttr> q =
      compute(describe(Kind::Int8Weight, "x", 1, /*symmetric=*/false, false));
  FailureOr<DenseElementsAttr> zeroPoint =
      compute(describe(Kind::ZeroPoint, "x", 1, false, false));
  ASSERT_TRUE(succeeded(q) && succeeded(zeroPoint));
  std::vector<int8_t> qs(q->getValues<int8_t>().begin(),
                         q->getValues<int8_t>().end());
  std::vector<int32_t> zps(zeroPoint->getValues<int32_t>().begin(),
                           zeroPoint->getValues<int32_t>().end());
  ASSERT_EQ(zps.size(), static_cast<size_t>(c));
  for (int64_t i = 0; i < a * c * b; ++i) {
    int64_t channel = (i / b) % c;
    quant_math::QuantParams p = quant_math::computeQuantParams(
        mins[channel], maxs[channel], -128, 127, false);
    EXPECT_EQ(zps[channel], p.zeroPoint);
    EXPECT_EQ(qs[i],
              quant_math::quantize(rounded[i], p.scale, p.zeroPoint, -128, 127))
        << "element " << i;
  }
  // NaN quantizes to quant_min.
  EXPECT_EQ(qs[5], -128);
}

TEST_F(QuantizeTest, FailsOnMissingOrMistypedInputs) {
  tensors["w"] = floats(f32({2, 3}), {1, 2, 3, 4, 5, 6});
  tensors["obs.min_val"] = floats(f32({3}), {0, 0, 0});
  tensors["obs.max_val"] = floats(f32({3}), {1, 1, 1});
  // Three channels observed for a weight with two rows.
  EXPECT_TRUE(failed(compute(describe(Kind::Int8Weight, "w", 0, true, true))));
  // No such source.
  EXPECT_TRUE(failed(compute(describe(Kind::Int8Weight, "v", 0, true, false))));
  // Axis out of range.
  EXPECT_TRUE(failed(compute(describe(Kind::Scale, "w", 2, true, false))));
  // A per-channel observer for a per-tensor value.
  EXPECT_TRUE(
      failed(compute(describe(Kind::Scale, "", std::nullopt, true, true))));
  // An integer source.
  tensors["i"] = DenseElementsAttr::get(
      RankedTensorType::get({2}, IntegerType::get(&context, 32)),
      ArrayRef<int32_t>{1, 2});
  EXPECT_TRUE(failed(
      compute(describe(Kind::Int8Weight, "i", std::nullopt, true, false))));
  // An int8 weight cannot hold a wider range.
  QuantizedStateValue wide =
      describe(Kind::Int8Weight, "w", std::nullopt, true, false);
  wide.quantMin = -512;
  wide.quantMax = 511;
  EXPECT_TRUE(failed(compute(wide)));
  EXPECT_TRUE(diagnostics.empty()) << diagnostics;
}

/// convertToInt8 after mode=static: what it reports, and that computing the
/// reported values from the float model's tensors gives what it embedded.
TEST_F(QuantizeTest, ConversionDescribesItsStates) {
  constexpr const char *kModel = R"mlir(
mlopt.state @fc1.weight : tensor<3x4xf32> parameter trainable
    init #mlopt.value<dense<[[0.5, -1.0, 0.25, 2.0], [0.0, 0.1, -0.2, 0.3],
                             [-4.0, 1.0, 1.5, -0.5]]> : tensor<3x4xf32>>
mlopt.state @fc1.bias : tensor<3xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %y: tensor<2x3xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc1.weight : tensor<3x4xf32>
  %b = mlopt.state_read @fc1.bias : tensor<3xf32>
  %h = mlopt.linear %x, %w, %b
      : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %l = mlopt.mse_loss %h, %y : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kModel, &context);
  ASSERT_TRUE(module) << diagnostics;
  registerAllPasses();
  PassManager pm(&context, ModuleOp::getOperationName());
  ASSERT_TRUE(succeeded(parsePassPipeline("mlopt-quantize{mode=static}", pm)));
  ASSERT_TRUE(succeeded(pm.run(*module))) << diagnostics;

  // The float model's tensors: the weight and calibrated observers.
  std::vector<float> weight = {0.5f,  -1.0f, 0.25f, 2.0f, 0.0f, 0.1f,
                               -0.2f, 0.3f,  -4.0f, 1.0f, 1.5f, -0.5f};
  tensors["fc1.weight"] = floats(f32({3, 4}), weight);
  tensors["fc1.input_observer.min_val"] = floats(f32({}), {-0.75f});
  tensors["fc1.input_observer.max_val"] = floats(f32({}), {1.25f});
  tensors["fc1.weight_observer.min_val"] =
      floats(f32({3}), {-1.0f, -0.2f, -4.0f});
  tensors["fc1.weight_observer.max_val"] = floats(f32({3}), {2.0f, 0.3f, 1.5f});
  for (auto state : module->getOps<StateOp>())
    if (state.getKind() == StateKind::Observer)
      state.setInitializerAttr(
          ValueInitAttr::get(&context, tensors.lookup(state.getSymName())));

  FailureOr<QuantConversion> conversion =
      convertToInt8(*module, /*dynamic=*/false);
  ASSERT_TRUE(succeeded(conversion)) << diagnostics;
  ASSERT_TRUE(succeeded(verify(*module))) << diagnostics;
  EXPECT_EQ(conversion->removedStates,
            (std::vector<std::string>{
                "fc1.input_observer.min_val", "fc1.input_observer.max_val",
                "fc1.weight_observer.min_val", "fc1.weight_observer.max_val"}));
  std::vector<std::string> names;
  for (const QuantizedStateValue &value : conversion->values)
    names.push_back(value.state);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.weight.scale",
                                             "fc1.weight.zero_point",
                                             "fc1.input.scale",
                                             "fc1.input.zero_point"}));
  const QuantizedStateValue &int8 = conversion->values[0];
  EXPECT_EQ(int8.kind, Kind::Int8Weight);
  EXPECT_EQ(int8.source, "fc1.weight");
  EXPECT_EQ(int8.observerMin, "fc1.weight_observer.min_val");
  EXPECT_TRUE(int8.symmetric);
  EXPECT_EQ(int8.axis, std::optional<int64_t>(0));
  EXPECT_FALSE(conversion->values[3].symmetric);
  EXPECT_EQ(conversion->values[3].axis, std::nullopt);

  // Every value, as the runtime computes it, is the one embedded.
  SymbolTable symbols(*module);
  for (const QuantizedStateValue &value : conversion->values) {
    FailureOr<DenseElementsAttr> computed = compute(value);
    ASSERT_TRUE(succeeded(computed)) << value.state;
    auto state = symbols.lookup<StateOp>(value.state);
    ASSERT_TRUE(state) << value.state;
    EXPECT_EQ(state.getType(), computed->getType()) << value.state;
    auto init = dyn_cast<ValueInitAttr>(state.getInitializer());
    ASSERT_TRUE(init) << value.state;
    EXPECT_EQ(init.getValue(), *computed) << value.state;
  }
  // Spot check one weight against QuantMath.h: row 2, range [-4, 1.5].
  quant_math::QuantParams p =
      quant_math::computeQuantParams(-4.0f, 1.5f, -128, 127, true);
  auto weightInit = cast<ValueInitAttr>(
      symbols.lookup<StateOp>("fc1.weight").getInitializer());
  auto values = weightInit.getValue().getValues<int8_t>();
  EXPECT_EQ(values[8], quant_math::quantize(-4.0f, p.scale, 0, -128, 127));
  EXPECT_EQ(values[10], quant_math::quantize(1.5f, p.scale, 0, -128, 127));
}

/// The runtime finds mlopt-quantize in a pipeline and its options.
TEST_F(QuantizeTest, FindsQuantizePassesInAPipeline) {
  registerAllPasses();
  PassManager pm(&context, ModuleOp::getOperationName());
  ASSERT_TRUE(succeeded(parsePassPipeline(
      "mlopt-autodiff,mlopt-quantize{mode=dynamic per-channel=false "
      "ops=mlopt.linear weight-bits=4 activation-bits=7}",
      pm)));
  std::vector<std::optional<QuantizeMode>> modes;
  std::optional<Int8ConversionOptions> options;
  for (Pass &pass : pm.getPasses()) {
    modes.push_back(getQuantizeMode(pass));
    if (auto found = getInt8ConversionOptions(pass))
      options = found;
  }
  ASSERT_EQ(modes.size(), 2u);
  EXPECT_EQ(modes[0], std::nullopt);
  EXPECT_EQ(modes[1], QuantizeMode::Dynamic);
  ASSERT_TRUE(options);
  EXPECT_FALSE(options->perChannel);
  EXPECT_EQ(options->ops, (std::vector<std::string>{"mlopt.linear"}));
  EXPECT_EQ(options->weightBits, 4);
  EXPECT_EQ(options->activationBits, 7);
}

/// A 6-8-3 MLP whose loss is the mean square of its output (labels 0), so
/// the loss follows the output's errors.
constexpr const char *kMlp = R"mlir(
mlopt.state @fc1.weight : tensor<8x6xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 6>
mlopt.state @fc2.weight : tensor<3x8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 8>
func.func @loss(%x: tensor<16x6xf32> {mlopt.input},
                %y: tensor<16x3xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<8x6xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<8xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<16x6xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<16x8xf32>
  %a = mlopt.relu %h : tensor<16x8xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<3x8xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<3xf32>
  %o = mlopt.linear %a, %w2, %b2
      : (tensor<16x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<16x3xf32>
  %l = mlopt.mse_loss %o, %y : (tensor<16x3xf32>, tensor<16x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

class QuantizedMlpTest : public QuantizeTest {
protected:
  OwningOpRef<ModuleOp> prepare(StringRef pipeline) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kMlp, &context);
    EXPECT_TRUE(module) << diagnostics;
    if (!module || pipeline.empty())
      return module;
    registerAllPasses();
    PassManager pm(&context, ModuleOp::getOperationName());
    EXPECT_TRUE(succeeded(parsePassPipeline(pipeline, pm)));
    EXPECT_TRUE(succeeded(pm.run(*module))) << diagnostics;
    return module;
  }

  Tensor batch() {
    std::normal_distribution<double> normal;
    std::vector<double> values(16 * 6);
    for (double &v : values)
      v = normal(rng);
    return Tensor::fromDoubles(f32({16, 6}), values);
  }

  Tensor zeros() { return Tensor::zeros(f32({16, 3})); }

  double loss(ModuleOp module, const Tensor &x, StateMap &state) {
    FailureOr<SmallVector<Tensor>> result =
        Evaluator(module).call("loss", {x, zeros()}, state);
    EXPECT_TRUE(succeeded(result)) << diagnostics;
    return succeeded(result) ? (*result)[0].getAsDouble(0) : NAN;
  }

  /// Converts a clone of `module` and computes the int8 model's state from
  /// `state` as the runtime does; returns the int8 model's loss on `x`.
  double int8Loss(ModuleOp module, bool dynamic, const StateMap &state,
                  const Tensor &x, const Int8ConversionOptions &options = {},
                  QuantConversion *described = nullptr) {
    OwningOpRef<ModuleOp> int8 = module.clone();
    FailureOr<QuantConversion> conversion =
        convertToInt8(*int8, dynamic, options);
    EXPECT_TRUE(succeeded(conversion)) << diagnostics;
    if (failed(conversion))
      return NAN;
    EXPECT_TRUE(succeeded(verify(*int8))) << diagnostics;
    llvm::StringMap<DenseElementsAttr> floatValues;
    for (const auto &[name, tensor] : state)
      floatValues[name] = tensor.toAttr();
    StateMap int8State;
    for (StateOp op : int8->getOps<StateOp>()) {
      std::string name = op.getSymName().str();
      auto it = llvm::find_if(conversion->values, [&](const auto &value) {
        return value.state == name;
      });
      if (it == conversion->values.end()) {
        int8State[name] = state.at(name);
        continue;
      }
      FailureOr<DenseElementsAttr> value = computeQuantizedStateValue(
          *it, [&](StringRef source) { return floatValues.lookup(source); });
      EXPECT_TRUE(succeeded(value)) << name;
      if (failed(value))
        return NAN;
      int8State[name] = Tensor::fromAttr(*value);
    }
    if (described)
      *described = *conversion;
    return loss(*int8, x, int8State);
  }
};

/// QAT, observers frozen after 3 steps, converted: the int8 graph computes
/// what the fake-quantized graph computes, up to f32 rounding of the sums.
TEST_F(QuantizedMlpTest, ConvertedQatModelEvaluatesLikeItsFakeQuantGraph) {
  OwningOpRef<ModuleOp> qat =
      prepare("mlopt-quantize{mode=qat freeze-observers-after=3}");
  ASSERT_TRUE(qat);
  StateMap state;
  ASSERT_TRUE(succeeded(Evaluator(*qat).initializeState(7, state)));
  for (int step = 0; step < 3; ++step)
    loss(*qat, batch(), state);
  Tensor x = batch();
  StateMap frozen = state;
  double fakeQuant = loss(*qat, x, frozen);
  // Frozen: the observers did not move.
  EXPECT_EQ(frozen.at("fc2.input_observer.max_val").getDoubles(),
            state.at("fc2.input_observer.max_val").getDoubles());
  double int8 = int8Loss(*qat, /*dynamic=*/false, state, x);
  EXPECT_NEAR(int8, fakeQuant, 1e-4 * fakeQuant);
  // And both are close to the float model's.
  OwningOpRef<ModuleOp> model = prepare("");
  StateMap floatState = state;
  double reference = loss(*model, x, floatState);
  EXPECT_NEAR(int8, reference, 0.05 * reference);
  EXPECT_NE(int8, reference);
}

/// The integer range of every described state of `conversion`: `weights`
/// for the symmetric operands, `activations` for the affine ones.
static void expectRanges(const QuantConversion &conversion,
                         std::pair<int64_t, int64_t> weights,
                         std::pair<int64_t, int64_t> activations) {
  ASSERT_FALSE(conversion.values.empty());
  for (const QuantizedStateValue &value : conversion.values) {
    std::pair<int64_t, int64_t> expected =
        value.symmetric ? weights : activations;
    EXPECT_EQ(std::make_pair(value.quantMin, value.quantMax), expected)
        << value.state;
  }
}

/// The int8 values of `q` lie in [low, high].
static void expectInt8Within(DenseElementsAttr q, int64_t low, int64_t high) {
  ASSERT_TRUE(q.getElementType().isInteger(8));
  for (int8_t v : q.getValues<int8_t>()) {
    EXPECT_GE(v, low);
    EXPECT_LE(v, high);
  }
}

/// QAT with 4-bit weights and 7-bit activations converts to the ranges it
/// trained with (from its fake_quant, whatever the conversion's bits), so
/// the int8 graph still computes what the fake-quantized graph computes.
TEST_F(QuantizedMlpTest, NarrowQatModelConvertsWithItsTrainedRanges) {
  OwningOpRef<ModuleOp> qat = prepare("mlopt-quantize{mode=qat weight-bits=4 "
                                      "activation-bits=7 "
                                      "freeze-observers-after=3}");
  ASSERT_TRUE(qat);
  StateMap state;
  ASSERT_TRUE(succeeded(Evaluator(*qat).initializeState(7, state)));
  for (int step = 0; step < 3; ++step)
    loss(*qat, batch(), state);
  Tensor x = batch();
  StateMap frozen = state;
  double fakeQuant = loss(*qat, x, frozen);
  QuantConversion conversion;
  double int8 =
      int8Loss(*qat, /*dynamic=*/false, state, x, /*options=*/{}, &conversion);
  EXPECT_NEAR(int8, fakeQuant, 1e-4 * fakeQuant);
  expectRanges(conversion, {-8, 7}, {-64, 63});
  // The runtime's int8 weights hold 4 bits.
  for (const QuantizedStateValue &value : conversion.values) {
    if (value.kind != Kind::Int8Weight)
      continue;
    FailureOr<DenseElementsAttr> q = computeQuantizedStateValue(
        value, [&](StringRef name) { return state.at(name.str()).toAttr(); });
    ASSERT_TRUE(succeeded(q)) << value.state;
    expectInt8Within(*q, -8, 7);
  }
}

/// Static and dynamic take their ranges from the conversion's bits: 7-bit
/// activations, 6-bit weights, and stay close to the float model.
TEST_F(QuantizedMlpTest, StaticAndDynamicConvertWithTheOptionsBits) {
  OwningOpRef<ModuleOp> model = prepare("");
  OwningOpRef<ModuleOp> prepared = prepare("mlopt-quantize{mode=static}");
  ASSERT_TRUE(model && prepared);
  StateMap state;
  ASSERT_TRUE(succeeded(Evaluator(*prepared).initializeState(11, state)));
  for (int step = 0; step < 4; ++step)
    loss(*prepared, batch(), state);
  Tensor x = batch();
  StateMap floatState = state;
  double reference = loss(*model, x, floatState);
  Int8ConversionOptions options;
  options.weightBits = 6;
  options.activationBits = 7;
  for (bool dynamic : {false, true}) {
    QuantConversion conversion;
    double int8 = int8Loss(dynamic ? *model : *prepared, dynamic, state, x,
                           options, &conversion);
    EXPECT_NEAR(int8, reference, 0.1 * reference) << dynamic;
    expectRanges(conversion, {-32, 31}, {-64, 63});
  }
}

/// convertToInt8 refuses bits that i8 cannot hold, with a located error.
TEST_F(QuantizedMlpTest, ConversionRefusesUnsupportedBits) {
  OwningOpRef<ModuleOp> model = prepare("");
  ASSERT_TRUE(model);
  Int8ConversionOptions options;
  options.activationBits = 9;
  EXPECT_TRUE(failed(convertToInt8(*model, /*dynamic=*/true, options)));
  EXPECT_NE(diagnostics.find("9 bits are not supported: mode=dynamic stores "
                             "2..8 bits in int8"),
            std::string::npos)
      << diagnostics;
}

/// Static: 4 calibration batches through the observers, then int8; dynamic:
/// the float model's weights, activations per batch. Both within a few
/// percent of the float loss.
TEST_F(QuantizedMlpTest, StaticAndDynamicInt8ModelsStayCloseToTheFloatModel) {
  OwningOpRef<ModuleOp> model = prepare("");
  OwningOpRef<ModuleOp> prepared = prepare("mlopt-quantize{mode=static}");
  ASSERT_TRUE(model && prepared);
  StateMap state;
  ASSERT_TRUE(succeeded(Evaluator(*prepared).initializeState(11, state)));
  for (int step = 0; step < 4; ++step)
    loss(*prepared, batch(), state);
  Tensor x = batch();
  StateMap floatState = state;
  double reference = loss(*model, x, floatState);
  double calibrated = int8Loss(*prepared, /*dynamic=*/false, state, x);
  EXPECT_NEAR(calibrated, reference, 0.05 * reference);
  double dynamic = int8Loss(*model, /*dynamic=*/true, state, x);
  EXPECT_NEAR(dynamic, reference, 0.05 * reference);
  EXPECT_NE(dynamic, reference);
}

} // namespace
