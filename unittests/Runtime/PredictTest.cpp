//===- PredictTest.cpp - @predict_step through the API and the summary ----===//

#include "mlopt/Runtime/Metrics.h"
#include "mlopt/Runtime/Session.h"
#include "mlopt/Runtime/TrainingLoop.h"

#include "mlopt/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;

// LossOpInterface is on the losses and accuracy; each names the operand it
// compares with the labels.
TEST(PredictTest, LossOpsNameTheirPrediction) {
  DialectRegistry registry;
  mlir::mlopt::registerAllDialects(registry);
  registry.insert<func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  std::vector<std::string> names;
  for (RegisteredOperationName name :
       context.getRegisteredOperationsByDialect("mlopt"))
    if (name.hasInterface<LossOpInterface>())
      names.push_back(name.getStringRef().str());
  EXPECT_THAT(names, ::testing::UnorderedElementsAre(
                         "mlopt.mse_loss", "mlopt.cross_entropy",
                         "mlopt.nll_loss", "mlopt.kl_div", "mlopt.accuracy"));

  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
    func.func @f(%s: tensor<8x10xf32>, %y: tensor<8xi32>, %t: tensor<8x10xf32>) {
      %0 = mlopt.cross_entropy %s, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      %1 = mlopt.nll_loss %s, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      %2 = mlopt.accuracy %s, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      %3 = mlopt.mse_loss %s, %t : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
      %4 = mlopt.kl_div %s, %t : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
      return
    }
  )mlir",
                                                             &context);
  ASSERT_TRUE(module);
  auto func = cast<func::FuncOp>(module->getBody()->front());
  int count = 0;
  func.walk([&](LossOpInterface op) {
    EXPECT_EQ(op.getPrediction(), func.getArgument(0))
        << op->getName().getStringRef().str();
    ++count;
  });
  EXPECT_EQ(count, 5);
}

// A 3-way classifier on 2 features, batch 2: logits = x W^T + b, with a
// dropout that eval mode (and so @predict_step) removes.
static const char *const kClassifier = R"mlir(
mlopt.state @fc.weight : tensor<3x2xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<3xf32> parameter trainable init #mlopt.zeros
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
func.func @loss(%x: tensor<2x2xf32> {mlopt.input},
                %y: tensor<2xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<3x2xf32>
  %b = mlopt.state_read @fc.bias : tensor<3xf32>
  %seed = mlopt.state_read @rng : tensor<i64>
  %xd = mlopt.dropout %x, %seed p = 0.5 : tensor<2x2xf32>
  %logits = mlopt.linear %xd, %w, %b
      : (tensor<2x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %l = mlopt.cross_entropy %logits, %y
      : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  %a = mlopt.accuracy %logits, %y
      : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  return %l, %a : tensor<f32>, tensor<f32>
}
)mlir";

static const float kWeight[6] = {1, 2, -1, 0.5f, 0, 3};
static const float kBias[3] = {0.25f, -1, 2};

static float logit(const float *x, int c) {
  return kWeight[2 * c] * x[0] + kWeight[2 * c + 1] * x[1] + kBias[c];
}

static llvm::ArrayRef<uint8_t> bytesOf(const float *data, size_t count) {
  return {reinterpret_cast<const uint8_t *>(data), count * sizeof(float)};
}

static std::vector<float> floatsOf(llvm::ArrayRef<uint8_t> bytes) {
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

class PredictOnBackend : public ::testing::TestWithParam<const char *> {
protected:
  void SetUp() override {
    auto parsed = Model::parse(kClassifier, "classifier");
    ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    model = std::move(*parsed);
    SessionOptions options;
    options.backend = GetParam();
    options.backendOptions.useCache = false;
    auto compiled = Session::compile(*model, options);
    ASSERT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
    session = std::move(*compiled);
    ASSERT_FALSE(bool(session->init(0)));
    ASSERT_FALSE(bool(session->writeState("fc.weight", bytesOf(kWeight, 6))));
    ASSERT_FALSE(bool(session->writeState("fc.bias", bytesOf(kBias, 3))));
  }

  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
};

// One batch: the logits of each row, without dropout, from the inputs only.
TEST_P(PredictOnBackend, PredictsTheLogitsOfABatch) {
  ASSERT_TRUE(session->hasPredict());
  float x[4] = {1, 2, -3, 0.5f};
  auto prediction = session->predict({viewTensor("x", DType::F32, {2, 2}, x)});
  ASSERT_TRUE(bool(prediction)) << llvm::toString(prediction.takeError());
  EXPECT_EQ(prediction->spec.dtype, DType::F32);
  EXPECT_EQ(prediction->spec.shape, (std::vector<int64_t>{2, 3}));
  std::vector<float> logits = floatsOf(prediction->bytes);
  ASSERT_EQ(logits.size(), 6u);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(logits[3 * r + c], logit(x + 2 * r, c), 1e-6)
          << "row " << r << ", class " << c;

  // The labels are not an argument; a wrong shape is an error naming it.
  int64_t y[2] = {0, 1};
  auto withLabels = session->predict({viewTensor("x", DType::F32, {2, 2}, x),
                                      viewTensor("y", DType::I64, {2}, y)});
  ASSERT_FALSE(bool(withLabels));
  EXPECT_NE(llvm::toString(withLabels.takeError()).find("takes 1 arguments"),
            std::string::npos);
  auto wrongShape = session->predict({viewTensor("x", DType::F32, {1, 4}, x)});
  ASSERT_FALSE(bool(wrongShape));
  EXPECT_NE(llvm::toString(wrongShape.takeError()).find("'x'"),
            std::string::npos);
}

// A data set of 5 samples at batch 2: all 5 rows in file order, the last
// batch padded and cut.
TEST_P(PredictOnBackend, PredictsEverySampleOfADataSet) {
  std::vector<float> inputs = {1, 2, -3, 0.5f, 0, 1, 4, -2, 0.5f, 0.5f};
  auto dataset =
      Dataset::createClassification("five", {2}, inputs, {0, 1, 2, 0, 1}, 3);
  ASSERT_TRUE(bool(dataset)) << llvm::toString(dataset.takeError());
  auto predictions = predict(*session, *dataset, /*progress=*/false);
  ASSERT_TRUE(bool(predictions)) << llvm::toString(predictions.takeError());
  EXPECT_EQ(predictions->dtype, DType::F32);
  EXPECT_EQ(predictions->shape, (std::vector<int64_t>{5, 3}));
  std::vector<float> logits = floatsOf(predictions->data);
  ASSERT_EQ(logits.size(), 15u);
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(logits[3 * r + c], logit(&inputs[2 * r], c), 1e-6)
          << "row " << r << ", class " << c;
}

INSTANTIATE_TEST_SUITE_P(Backends, PredictOnBackend,
                         ::testing::Values("reference", "cpu"));

// A loss that is not a loss op's result has no @predict_step.
TEST(PredictTest, NoPredictionForASumOfLosses) {
  auto model = Model::parse(R"mlir(
mlopt.state @w : tensor<1x2xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<2x2xf32> {mlopt.input},
                %y: tensor<2x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @w : tensor<1x2xf32>
  %p = mlopt.linear %x, %w : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<2x1xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<f32>
  %s = mlopt.add %l, %l : tensor<f32>
  return %s : tensor<f32>
}
)mlir");
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "reference";
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  EXPECT_FALSE((*session)->hasPredict());
  float x[4] = {};
  auto prediction =
      (*session)->predict({viewTensor("x", DType::F32, {2, 2}, x)});
  ASSERT_FALSE(bool(prediction));
  EXPECT_NE(llvm::toString(prediction.takeError()).find("no @predict_step"),
            std::string::npos);
}

// Metrics besides accuracy reach the summary and its record.
TEST(PredictTest, SummaryShowsEveryTestMetric) {
  RunSummary summary;
  summary.testLoss = 0.5;
  summary.testAccuracy = 0.875;
  summary.testMetrics = {{"mae", 0.123456}, {"top5", 0.5}};
  std::string text = formatSummary(summary);
  EXPECT_NE(text.find("test         loss 0.5000  accuracy 87.50%  mae 0.1235  "
                      "top5 0.5000\n"),
            std::string::npos)
      << text;
  std::string json = summaryRecord(summary).toJson();
  EXPECT_NE(json.find("\"test_accuracy\":0.875"), std::string::npos) << json;
  EXPECT_NE(json.find("\"test_mae\":0.123456"), std::string::npos) << json;
  EXPECT_NE(json.find("\"test_top5\":0.5"), std::string::npos) << json;
}
