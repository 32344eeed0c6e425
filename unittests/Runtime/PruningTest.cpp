//===- PruningTest.cpp - sparsity reports and finalized pruned models -----===//

#include "RuntimeTestUtils.h"

#include "mlopt/Runtime/CheckpointPolicy.h"
#include "mlopt/Runtime/Pruning.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

std::vector<uint8_t> floatBytes(const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<float> toFloats(llvm::ArrayRef<uint8_t> bytes) {
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

StateInfo state(std::string name, StateKind kind) {
  StateInfo info;
  info.spec = {std::move(name), DType::F32, {2}};
  info.kind = kind;
  return info;
}

//===----------------------------------------------------------------------===//
// Sparsity
//===----------------------------------------------------------------------===//

// A pruned tensor is the state `<p>` of a mask-kind state `<p>.mask`.
TEST(PruningTest, PrunedTensorsAreTheMaskedStates) {
  std::vector<StateInfo> states = {
      state("fc1.weight", StateKind::Parameter),
      state("fc1.bias", StateKind::Parameter),
      state("fc2.weight", StateKind::Parameter),
      state("fc2.weight.mask", StateKind::Mask),
      state("fc1.weight.mask", StateKind::Mask),
      // Not a mask's kind, or no state of the stem's name.
      state("fc1.bias.mask", StateKind::Buffer),
      state("orphan.mask", StateKind::Mask),
      state("fc2.weight.maskx", StateKind::Mask),
      state("pruning.step", StateKind::Step),
  };
  EXPECT_THAT(getPrunedTensors(states),
              ElementsAre("fc2.weight", "fc1.weight"));
  EXPECT_TRUE(getPrunedTensors({states[0], states[1]}).empty());
}

TEST(PruningTest, CountsExactZeros) {
  EXPECT_EQ(countZeros(DType::F32,
                       floatBytes({0.0f, -0.0f, 1e-30f, 2.0f, NAN, 0.0f})),
            3);
  std::vector<int64_t> ints = {0, 5, 0, -1};
  EXPECT_EQ(countZeros(DType::I64,
                       llvm::ArrayRef<uint8_t>(
                           reinterpret_cast<const uint8_t *>(ints.data()), 32)),
            2);
  // bf16: 0x8000 is -0, 0x0001 a denormal.
  std::vector<uint8_t> bf16 = {0x00, 0x80, 0x01, 0x00, 0x00, 0x00};
  EXPECT_EQ(countZeros(DType::BF16, bf16), 2);
  EXPECT_EQ(countZeros(DType::F32, {}), 0);
}

TEST(PruningTest, OverallSparsityWeighsByElements) {
  SparsityReport report;
  EXPECT_TRUE(report.empty());
  EXPECT_EQ(report.overall(), 0);
  report.tensors.push_back({"fc1.weight", 3, 4});
  report.tensors.push_back({"fc2.weight", 1, 16});
  report.tensors.push_back({"empty", 0, 0});
  EXPECT_EQ(report.overall(), 4.0 / 20.0);
  EXPECT_EQ(report.tensors[0].fraction(), 0.75);
  EXPECT_EQ(report.tensors[2].fraction(), 0);
  EXPECT_THAT(report.fractions(),
              ElementsAre(std::make_pair(std::string("fc1.weight"), 0.75),
                          std::make_pair(std::string("fc2.weight"), 1.0 / 16),
                          std::make_pair(std::string("empty"), 0.0)));
}

//===----------------------------------------------------------------------===//
// A model as mlopt-prune leaves it
//===----------------------------------------------------------------------===//

/// 3 -> 4 -> ReLU -> 2, both weights and the first bias masked (the masks
/// are written by the tests; mlopt-prune would compute them).
const char *const kMaskedMlp = R"mlir(
mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.uniform<low = -1.0, high = 1.0> {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable
    init #mlopt.uniform<low = 0.5, high = 1.0> {mlopt.masked_by = @fc1.bias.mask}
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
    init #mlopt.uniform<low = -1.0, high = 1.0> {mlopt.masked_by = @fc2.weight.mask}
mlopt.state @fc2.bias : tensor<2xf32> parameter trainable
    init #mlopt.uniform<low = -1.0, high = 1.0>
mlopt.state @fc1.weight.mask : tensor<4x3xf32> mask init #mlopt.ones
mlopt.state @fc1.bias.mask : tensor<4xf32> mask init #mlopt.ones
mlopt.state @fc2.weight.mask : tensor<2x4xf32> mask init #mlopt.ones

func.func @loss(%x: tensor<5x3xf32> {mlopt.input},
                %y: tensor<5xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1r = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<4x3xf32>
  %w1 = mlopt.apply_mask %w1r, %m1 : tensor<4x3xf32>
  %b1r = mlopt.state_read @fc1.bias : tensor<4xf32>
  %mb1 = mlopt.state_read @fc1.bias.mask : tensor<4xf32>
  %b1 = mlopt.apply_mask %b1r, %mb1 : tensor<4xf32>
  %w2r = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %m2 = mlopt.state_read @fc2.weight.mask : tensor<2x4xf32>
  %w2 = mlopt.apply_mask %w2r, %m2 : tensor<2x4xf32>
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

class PrunedModelTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto parsed = Model::parse(kMaskedMlp, "masked_mlp.mlir");
    ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    model = std::move(*parsed);
    session = compile(*model);
    ASSERT_TRUE(session);
  }

  static std::unique_ptr<Session> compile(const Model &model) {
    SessionOptions options;
    options.backend = "reference";
    auto compiled = Session::compile(model, options);
    EXPECT_TRUE(bool(compiled)) << llvm::toString(compiled.takeError());
    if (!compiled)
      return nullptr;
    EXPECT_EQ(errorOf((*compiled)->init(5)), "<success>");
    return std::move(*compiled);
  }

  void write(Session &target, llvm::StringRef name,
             const std::vector<float> &values) {
    ASSERT_EQ(errorOf(target.writeState(name, floatBytes(values))),
              "<success>");
  }

  std::vector<float> read(Session &source, llvm::StringRef name) {
    auto bytes = source.readState(name);
    EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    return bytes ? toFloats(*bytes) : std::vector<float>();
  }

  /// The weights with their masks applied, as training leaves them.
  void applyMasks() {
    for (const char *name : {"fc1.weight", "fc1.bias", "fc2.weight"}) {
      std::vector<float> value = read(*session, name);
      std::vector<float> mask = read(*session, std::string(name) + ".mask");
      for (size_t i = 0; i < value.size(); ++i)
        value[i] *= mask[i];
      write(*session, name, value);
    }
  }

  StepResult evalStep(Session &target) {
    std::vector<float> x = {1, 2, 3, -1, 0, 1, 0.5, -2, 1, 3, 3, -3, 0, 1, 1};
    std::vector<int64_t> y = {0, 1, 1, 0, 1};
    auto result =
        target.evalStep({viewTensor("x", DType::F32, {5, 3}, x.data()),
                         viewTensor("y", DType::I64, {5}, y.data())});
    EXPECT_TRUE(bool(result)) << llvm::toString(result.takeError());
    return result ? *result : StepResult();
  }

  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
};

TEST_F(PrunedModelTest, MeasuresTheSparsityOfTheMaskedWeights) {
  write(*session, "fc1.weight.mask", {1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1});
  write(*session, "fc2.weight.mask", {1, 1, 1, 1, 1, 1, 1, 0});
  applyMasks();
  auto report = measureSparsity(*session);
  ASSERT_TRUE(bool(report)) << llvm::toString(report.takeError());
  // fc1.bias is masked too (all ones here): it is a pruned tensor as well.
  ASSERT_EQ(report->tensors.size(), 3u);
  EXPECT_EQ(report->tensors[0].name, "fc1.weight");
  EXPECT_EQ(report->tensors[0].zeros, 5);
  EXPECT_EQ(report->tensors[0].elements, 12);
  EXPECT_EQ(report->tensors[1].name, "fc1.bias");
  EXPECT_EQ(report->tensors[1].zeros, 0);
  EXPECT_EQ(report->tensors[2].name, "fc2.weight");
  EXPECT_EQ(report->tensors[2].zeros, 1);
  EXPECT_EQ(report->overall(), 6.0 / 24.0);
}

// Whole neurons pruned (rows of fc1 and their bias entries) are removed:
// fc1 keeps rows 0 and 2, fc2 its input columns 0 and 2, and the finalized
// model evaluates to the masked model's loss and accuracy.
TEST_F(PrunedModelTest, FinalizeRemovesPrunedNeurons) {
  write(*session, "fc1.weight.mask", {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0});
  write(*session, "fc1.bias.mask", {1, 0, 1, 0});
  write(*session, "fc2.weight.mask", {1, 1, 0, 1, 1, 1, 1, 1});
  applyMasks();
  StepResult masked = evalStep(*session);
  std::vector<float> w1 = read(*session, "fc1.weight");
  std::vector<float> w2 = read(*session, "fc2.weight");

  auto finalized = finalizePrunedModel(*model, {}, *session);
  ASSERT_TRUE(bool(finalized)) << llvm::toString(finalized.takeError());
  EXPECT_THAT(finalized->finalization.removedStates,
              ::testing::IsSupersetOf(
                  {"fc1.weight.mask", "fc1.bias.mask", "fc2.weight.mask"}));
  std::map<std::string, TensorData> tensors;
  for (const TensorData &tensor : finalized->tensors)
    tensors[tensor.spec.name] = tensor;
  ASSERT_EQ(tensors.size(), 4u);
  EXPECT_EQ(tensors["fc1.weight"].spec.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(toFloats(tensors["fc1.weight"].bytes),
            (std::vector<float>{w1[0], w1[1], w1[2], w1[6], w1[7], w1[8]}));
  EXPECT_EQ(tensors["fc1.bias"].spec.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(tensors["fc2.weight"].spec.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(toFloats(tensors["fc2.weight"].bytes),
            (std::vector<float>{w2[0], 0, w2[4], w2[6]}));
  EXPECT_EQ(tensors["fc2.bias"].spec.shape, (std::vector<int64_t>{2}));

  // The finalized model is a model of its own, with the same results.
  auto finalModel = Model::fromModule(*finalized->module);
  ASSERT_TRUE(bool(finalModel)) << llvm::toString(finalModel.takeError());
  std::unique_ptr<Session> finalSession = compile(**finalModel);
  ASSERT_TRUE(finalSession);
  for (const StateInfo &info : finalSession->getStates())
    EXPECT_NE(info.kind, StateKind::Mask) << info.spec.name;
  ASSERT_EQ(errorOf(loadFinalizedTensors(*finalized, *finalSession)),
            "<success>");
  StepResult result = evalStep(*finalSession);
  EXPECT_NEAR(result.loss, masked.loss, 1e-6 * std::abs(masked.loss));
  ASSERT_EQ(result.metrics.size(), 1u);
  EXPECT_EQ(result.metrics[0], masked.metrics[0]);

  // Written out: a model file and a state_dict that matches it.
  TempDir dir;
  std::string modelPath = dir.file("finalized.mlir");
  std::string checkpointPath = dir.file("finalized.safetensors");
  ASSERT_EQ(errorOf(saveFinalizedModel(*finalized, modelPath, checkpointPath)),
            "<success>");
  auto reloaded = Model::load(modelPath);
  ASSERT_TRUE(bool(reloaded)) << llvm::toString(reloaded.takeError());
  std::unique_ptr<Session> reloadedSession = compile(**reloaded);
  ASSERT_TRUE(reloadedSession);
  auto loaded =
      loadCheckpoint(*reloadedSession, checkpointPath, CheckpointUse::Evaluate);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(evalStep(*reloadedSession).loss, result.loss);
  auto file = SafetensorsFile::open(checkpointPath);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->tensors().size(), 4u);
  EXPECT_EQ(file->lookup("fc2.weight")->spec.shape,
            (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(file->metadata().count("mlopt.step"), 0u);
}

// Unstructured masks are folded into the weights; no shape changes.
TEST_F(PrunedModelTest, FinalizeFoldsScatteredMasks) {
  write(*session, "fc1.weight.mask", {1, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1});
  write(*session, "fc2.weight.mask", {0, 1, 1, 1, 1, 1, 1, 0});
  std::vector<float> w1 = read(*session, "fc1.weight");
  StepResult masked = evalStep(*session);
  // The weights are not multiplied here: finalization folds the masks in.
  auto finalized = finalizePrunedModel(*model, {}, *session);
  ASSERT_TRUE(bool(finalized)) << llvm::toString(finalized.takeError());
  ASSERT_EQ(finalized->tensors.size(), 4u);
  const TensorData &fc1 = finalized->tensors[0];
  EXPECT_EQ(fc1.spec.name, "fc1.weight");
  EXPECT_EQ(fc1.spec.shape, (std::vector<int64_t>{4, 3}));
  std::vector<float> expected = w1;
  for (int i : {1, 3, 8})
    expected[i] = 0;
  EXPECT_EQ(toFloats(fc1.bytes), expected);

  auto finalModel = Model::fromModule(*finalized->module);
  ASSERT_TRUE(bool(finalModel)) << llvm::toString(finalModel.takeError());
  std::unique_ptr<Session> finalSession = compile(**finalModel);
  ASSERT_TRUE(finalSession);
  ASSERT_EQ(errorOf(loadFinalizedTensors(*finalized, *finalSession)),
            "<success>");
  EXPECT_NEAR(evalStep(*finalSession).loss, masked.loss,
              1e-6 * std::abs(masked.loss));
}

TEST(PruningFinalizeTest, ModelWithoutMasksIsAnError) {
  auto model =
      Model::load(std::string(MLOPT_EXAMPLES_DIR) + "/toy_linear.mlir");
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "reference";
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  ASSERT_FALSE(bool((*session)->init(0)));
  EXPECT_THAT(errorOf(finalizePrunedModel(**model, {}, **session)),
              HasSubstr("the model has no pruning masks"));
  auto sparsity = measureSparsity(**session);
  ASSERT_TRUE(bool(sparsity));
  EXPECT_TRUE(sparsity->empty());
}

} // namespace
