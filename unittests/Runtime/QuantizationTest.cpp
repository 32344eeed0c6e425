//===- QuantizationTest.cpp - int8 models from trained sessions -----------===//

#include "RuntimeTestUtils.h"

#include "mlopt/InitAll.h"
#include "mlopt/Runtime/CheckpointPolicy.h"
#include "mlopt/Runtime/Quantization.h"
#include "mlopt/Support/QuantMath.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::vector<uint8_t> floatBytes(const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

template <typename T> std::vector<T> fromBytes(llvm::ArrayRef<uint8_t> bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

/// The textual slots name registered passes.
class QuantizationPlanTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() { mlir::mlopt::registerAllPasses(); }
};

//===----------------------------------------------------------------------===//
// Where a pipeline quantizes
//===----------------------------------------------------------------------===//

TEST_F(QuantizationPlanTest, WithoutQuantizePassesNothingIsConverted) {
  for (llvm::StringRef passes : {"", "mlopt-prune{method=l1 amount=0.5}"}) {
    auto plan = planQuantization(passes);
    ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
    EXPECT_FALSE(plan->conversion);
    EXPECT_FALSE(plan->calibrate);
    EXPECT_FALSE(plan->qat);
    EXPECT_EQ(plan->sessionPasses, passes);
  }
  // QAT alone trains with fake quantization and converts nothing.
  auto qat = planQuantization("mlopt-quantize{mode=qat}");
  ASSERT_TRUE(bool(qat)) << llvm::toString(qat.takeError());
  EXPECT_TRUE(qat->qat);
  EXPECT_FALSE(qat->conversion);
}

// Static quantization calibrates the session compiled with the pass, then
// converts.
TEST_F(QuantizationPlanTest, StaticCalibratesThenConverts) {
  auto plan = planQuantization("mlopt-quantize{mode=static}");
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  EXPECT_EQ(plan->conversion, QuantizeMode::Convert);
  EXPECT_TRUE(plan->calibrate);
  EXPECT_EQ(plan->sessionPasses, "mlopt-quantize{mode=static}");
}

// A final convert or dynamic pass is not part of the session: it makes the
// int8 model at the end.
TEST_F(QuantizationPlanTest, AFinalConversionIsLeftToTheRuntime) {
  auto convert = planQuantization(
      "mlopt-prune{method=nm n=2 m=4},mlopt-quantize{mode=qat},"
      "mlopt-quantize{mode=convert}");
  ASSERT_TRUE(bool(convert)) << llvm::toString(convert.takeError());
  EXPECT_EQ(convert->conversion, QuantizeMode::Convert);
  EXPECT_TRUE(convert->qat);
  EXPECT_FALSE(convert->calibrate);
  EXPECT_THAT(convert->sessionPasses, HasSubstr("mlopt-prune{"));
  EXPECT_THAT(convert->sessionPasses, HasSubstr("mode=qat"));
  EXPECT_THAT(convert->sessionPasses, Not(HasSubstr("convert")));

  auto dynamic =
      planQuantization("mlopt-quantize{mode=dynamic per-channel=false}");
  ASSERT_TRUE(bool(dynamic)) << llvm::toString(dynamic.takeError());
  EXPECT_EQ(dynamic->conversion, QuantizeMode::Dynamic);
  EXPECT_EQ(dynamic->sessionPasses, "");
  EXPECT_FALSE(dynamic->conversionOptions.perChannel);
}

TEST_F(QuantizationPlanTest, RejectsConversionsOutOfPlace) {
  EXPECT_THAT(
      errorOf(planQuantization(
          "mlopt-quantize{mode=dynamic},mlopt-prune{method=l1 amount=0.5}")),
      HasSubstr("mlopt-quantize{mode=dynamic} must be the last pass"));
  EXPECT_THAT(errorOf(planQuantization(
                  "mlopt-quantize{mode=qat},mlopt-quantize{mode=convert},"
                  "mlopt-quantize{mode=convert}")),
              HasSubstr("mlopt-quantize{mode=convert} must be the last pass"));
  EXPECT_THAT(errorOf(planQuantization("mlopt-quantize{mode=convert}")),
              HasSubstr("put mlopt-quantize{mode=qat} or {mode=static} "
                        "before it"));
  EXPECT_THAT(errorOf(planQuantization(
                  "mlopt-quantize{mode=static},mlopt-quantize{mode=dynamic}")),
              HasSubstr("it does not follow mode=qat or mode=static"));
  EXPECT_THAT(errorOf(planQuantization("no-such-pass")),
              HasSubstr("bad pass pipeline 'no-such-pass': 'no-such-pass' does "
                        "not refer to a registered pass"));
}

//===----------------------------------------------------------------------===//
// Conversion of a session
//===----------------------------------------------------------------------===//

constexpr llvm::StringLiteral kMlp = R"mlir(
mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<2xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<5x3xf32> {mlopt.input},
                %y: tensor<5xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<2xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<5x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<5x4xf32>
  %a = mlopt.relu %h : tensor<5x4xf32>
  %logits = mlopt.linear %a, %w2, %b2
      : (tensor<5x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<5x2xf32>
  %loss = mlopt.cross_entropy %logits, %y
      : (tensor<5x2xf32>, tensor<5xi64>) -> tensor<f32>
  %accuracy = mlopt.accuracy %logits, %y
      : (tensor<5x2xf32>, tensor<5xi64>) -> tensor<f32>
  return %loss, %accuracy : tensor<f32>, tensor<f32>
}
)mlir";

const std::vector<float> kX = {1, 2, 3, -1, 0, 1, 0.5, -2,
                               1, 3, 3, -3, 0, 1, 1};
const std::vector<int64_t> kY = {0, 1, 1, 0, 1};
const std::vector<float> kW1 = {0.5,  -0.25, 1.0,  -0.75, 0.1, 0.2,
                                -0.3, 0.4,   -0.5, 0.05,  0.6, -0.9};
const std::vector<float> kW2 = {0.3, -0.2, 0.8, -0.4, -0.6, 0.7, 0.1, 0.25};

class QuantizedModelTest : public QuantizationPlanTest {
protected:
  void SetUp() override {
    auto parsed = Model::parse(kMlp, "mlp.mlir");
    ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    model = std::move(*parsed);
  }

  /// A reference-backend session of `source` with `passes` before autodiff.
  static std::unique_ptr<Session> compile(const Model &source,
                                          llvm::StringRef passes = "") {
    SessionOptions options;
    options.backend = "reference";
    if (!passes.empty()) {
      FailureOr<PassBuilder> builder = parsePassBuilder(passes, llvm::errs());
      EXPECT_TRUE(succeeded(builder));
      if (failed(builder))
        return nullptr;
      options.pipeline.modelPasses.push_back(*builder);
    }
    auto compiled = Session::compile(source, options);
    EXPECT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
    if (!compiled)
      return nullptr;
    EXPECT_EQ(errorOf((*compiled)->init(5)), "<success>");
    return std::move(*compiled);
  }

  /// The float weights of the test, written into `session`.
  static void writeWeights(Session &session) {
    ASSERT_EQ(errorOf(session.writeState("fc1.weight", floatBytes(kW1))),
              "<success>");
    ASSERT_EQ(errorOf(session.writeState("fc2.weight", floatBytes(kW2))),
              "<success>");
    ASSERT_EQ(errorOf(session.writeState(
                  "fc1.bias", floatBytes({0.1f, -0.2f, 0.3f, 0.0f}))),
              "<success>");
  }

  static std::vector<TensorRef> batch() {
    return {viewTensor("x", DType::F32, {5, 3}, kX.data()),
            viewTensor("y", DType::I64, {5}, kY.data())};
  }

  static StepResult evalStep(Session &session) {
    auto result = session.evalStep(batch());
    EXPECT_TRUE(bool(result)) << llvm::toString(result.takeError());
    return result ? *result : StepResult();
  }

  static const TensorData *find(const QuantizedModel &quantized,
                                llvm::StringRef name) {
    for (const TensorData &tensor : quantized.tensors)
      if (tensor.spec.name == name)
        return &tensor;
    return nullptr;
  }

  std::unique_ptr<Model> model;
};

// Dynamic quantization: each weight row symmetric int8 with the scale of
// its own range (QuantMath.h, as the pass computes it); biases stay f32.
TEST_F(QuantizedModelTest, DynamicQuantizesEachWeightRowFromItsRange) {
  std::unique_ptr<Session> session = compile(*model);
  ASSERT_TRUE(session);
  writeWeights(*session);
  auto quantized = quantizeModel(*model, {}, *session, /*dynamic=*/true);
  ASSERT_TRUE(bool(quantized)) << llvm::toString(quantized.takeError());

  const TensorData *weight = find(*quantized, "fc1.weight");
  const TensorData *scale = find(*quantized, "fc1.weight.scale");
  const TensorData *bias = find(*quantized, "fc1.bias");
  ASSERT_TRUE(weight && scale && bias);
  EXPECT_EQ(weight->spec.dtype, DType::I8);
  EXPECT_EQ(weight->spec.shape, (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(scale->spec.dtype, DType::F32);
  std::vector<int8_t> levels = fromBytes<int8_t>(weight->bytes);
  std::vector<float> scales = fromBytes<float>(scale->bytes);
  ASSERT_EQ(levels.size(), 12u);
  ASSERT_EQ(scales.size(), 4u);
  for (int64_t row = 0; row < 4; ++row) {
    auto first = kW1.begin() + row * 3;
    float min = *std::min_element(first, first + 3);
    float max = *std::max_element(first, first + 3);
    quant_math::QuantParams params =
        quant_math::computeQuantParams(min, max, -128, 127, /*symmetric=*/true);
    EXPECT_EQ(scales[row], params.scale) << "row " << row;
    for (int64_t col = 0; col < 3; ++col)
      EXPECT_EQ(
          levels[row * 3 + col],
          quant_math::quantize(kW1[row * 3 + col], params.scale, 0, -128, 127))
          << "fc1.weight[" << row << "][" << col << "]";
  }
  EXPECT_EQ(fromBytes<float>(bias->bytes),
            (std::vector<float>{0.1f, -0.2f, 0.3f, 0.0f}));
  // No model tensor of the int8 model is missing from the tensors.
  for (StateOp state : quantized->module->getOps<StateOp>()) {
    if (!isTrainingStateKind(state.getKind())) {
      EXPECT_TRUE(find(*quantized, state.getSymName()))
          << state.getSymName().str();
    }
  }
}

// The int8 model is a model of its own: compiled with no passes and loaded
// with the tensors, it evaluates close to the float model; written and read
// back, it evaluates exactly the same.
TEST_F(QuantizedModelTest, Int8ModelEvaluatesAndRoundTripsThroughFiles) {
  std::unique_ptr<Session> session = compile(*model);
  ASSERT_TRUE(session);
  writeWeights(*session);
  StepResult floatResult = evalStep(*session);
  auto quantized = quantizeModel(*model, {}, *session, /*dynamic=*/true);
  ASSERT_TRUE(bool(quantized)) << llvm::toString(quantized.takeError());

  auto int8Model = Model::fromModule(*quantized->module);
  ASSERT_TRUE(bool(int8Model)) << llvm::toString(int8Model.takeError());
  std::unique_ptr<Session> int8 = compile(**int8Model);
  ASSERT_TRUE(int8);
  ASSERT_EQ(errorOf(loadQuantizedTensors(*quantized, *int8)), "<success>");
  StepResult int8Result = evalStep(*int8);
  EXPECT_NEAR(int8Result.loss, floatResult.loss,
              0.05 * std::fabs(floatResult.loss));

  TempDir dir;
  ASSERT_EQ(errorOf(saveQuantizedModel(*quantized, dir.file("int8.mlir"),
                                       dir.file("int8.safetensors"))),
            "<success>");
  auto loadedModel = Model::load(dir.file("int8.mlir"));
  ASSERT_TRUE(bool(loadedModel)) << llvm::toString(loadedModel.takeError());
  std::unique_ptr<Session> loaded = compile(**loadedModel);
  ASSERT_TRUE(loaded);
  auto load = loadCheckpoint(*loaded, dir.file("int8.safetensors"),
                             CheckpointUse::Evaluate);
  ASSERT_TRUE(bool(load)) << llvm::toString(load.takeError());
  StepResult reloaded = evalStep(*loaded);
  EXPECT_EQ(reloaded.loss, int8Result.loss);
  EXPECT_EQ(reloaded.metrics, int8Result.metrics);
}

// A model without observers has no @calibrate_step.
TEST_F(QuantizedModelTest, CalibrationNeedsObservers) {
  std::unique_ptr<Session> session = compile(*model);
  ASSERT_TRUE(session);
  EXPECT_FALSE(session->hasCalibrate());
  EXPECT_THAT(errorOf(session->calibrateStep(batch())),
              HasSubstr("the model has no @calibrate_step"));
}

// Static quantization: @calibrate_step records the float activations'
// range in the observers (per tensor, min/max: the input batch's for fc1)
// and changes no other state; @eval_step changes nothing. The conversion
// then uses the calibrated range for the input's scale and zero point.
TEST_F(QuantizedModelTest, CalibrationUpdatesOnlyTheObservers) {
  std::unique_ptr<Session> session =
      compile(*model, "mlopt-quantize{mode=static}");
  ASSERT_TRUE(session);
  writeWeights(*session);
  EXPECT_TRUE(session->hasCalibrate());
  auto read = [&](llvm::StringRef name) {
    auto bytes = session->readState(name);
    EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    return bytes ? fromBytes<float>(*bytes) : std::vector<float>();
  };
  std::vector<float> before = read("fc1.input_observer.min_val");
  evalStep(*session);
  EXPECT_EQ(read("fc1.input_observer.min_val"), before);

  auto calibrated = session->calibrateStep(batch());
  ASSERT_TRUE(bool(calibrated)) << llvm::toString(calibrated.takeError());
  float min = *std::min_element(kX.begin(), kX.end());
  float max = *std::max_element(kX.begin(), kX.end());
  EXPECT_EQ(read("fc1.input_observer.min_val"), std::vector<float>{min});
  EXPECT_EQ(read("fc1.input_observer.max_val"), std::vector<float>{max});
  EXPECT_EQ(read("fc1.weight"), kW1);
  EXPECT_EQ(read("fc2.weight"), kW2);
  // The calibrated step is the float model's evaluation.
  EXPECT_EQ(calibrated->loss, evalStep(*session).loss);

  auto parsed = parsePassBuilder("mlopt-quantize{mode=static}", llvm::errs());
  ASSERT_TRUE(succeeded(parsed));
  auto quantized = quantizeModel(*model, {*parsed}, *session,
                                 /*dynamic=*/false);
  ASSERT_TRUE(bool(quantized)) << llvm::toString(quantized.takeError());
  const TensorData *scale = find(*quantized, "fc1.input.scale");
  const TensorData *zeroPoint = find(*quantized, "fc1.input.zero_point");
  ASSERT_TRUE(scale && zeroPoint);
  // 7-bit activations by default (PyTorch's x86 reduce_range).
  quant_math::QuantParams params =
      quant_math::computeQuantParams(min, max, -64, 63, /*symmetric=*/false);
  EXPECT_EQ(fromBytes<float>(scale->bytes), std::vector<float>{params.scale});
  EXPECT_EQ(fromBytes<int32_t>(zeroPoint->bytes),
            std::vector<int32_t>{params.zeroPoint});
  for (const TensorData &tensor : quantized->tensors)
    EXPECT_THAT(tensor.spec.name, Not(HasSubstr("observer")));
}

// A session that lacks a state the conversion reads is an error naming it.
TEST_F(QuantizedModelTest, ConversionOfAnotherModelsSessionFails) {
  std::unique_ptr<Session> session = compile(*model);
  ASSERT_TRUE(session);
  auto other = Model::parse(R"mlir(
mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<5x4xf32> {mlopt.input},
                %y: tensor<5x4xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %l = mlopt.mse_loss %x, %y : (tensor<5x4xf32>, tensor<5x4xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir");
  ASSERT_TRUE(bool(other)) << llvm::toString(other.takeError());
  auto otherSession = compile(**other);
  ASSERT_TRUE(otherSession);
  // The MLP's biases and fc2 are not in the other session.
  EXPECT_THAT(errorOf(quantizeModel(*model, {}, *otherSession, true)),
              HasSubstr("no state tensor"));
}

} // namespace
