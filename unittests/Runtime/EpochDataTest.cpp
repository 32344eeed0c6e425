//===- EpochDataTest.cpp - synthetic data and per-step batches ------------===//
//
// What the training loop does outside the compiled step: the synthetic data
// set (generated on the thread pool, the same values as the plain loops) and
// the batches fillBatch gathers into reused buffers.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/DatasetSpec.h"
#include "mlopt/Runtime/Session.h"
#include "mlopt/Runtime/ThreadPool.h"
#include "mlopt/Support/CounterHash.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <numeric>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;

static const std::string kMlp = std::string(MLOPT_EXAMPLES_DIR) + "/mlp.mlir";
static const std::string kToyLinear =
    std::string(MLOPT_EXAMPLES_DIR) + "/toy_linear.mlir";

TEST(EpochDataTest, StandardNormalIsTheCounterHashStream) {
  // More elements than one chunk of the pool, with a ragged end.
  std::vector<float> values(200003);
  fillStandardNormal(values, 0x5eed, 1);
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(values[i],
              static_cast<float>(counter_hash::randomNormal(0x5eed, 1, i)))
        << "element " << i;
  // The number of threads does not change a value.
  int previous = setNumThreads(1);
  std::vector<float> serial(values.size());
  fillStandardNormal(serial, 0x5eed, 1);
  setNumThreads(previous);
  EXPECT_EQ(serial, values);
  // Another stream is another sample.
  std::vector<float> other(values.size());
  fillStandardNormal(other, 0x5eed, 8);
  EXPECT_NE(other, values);
}

TEST(EpochDataTest, StandardNormalHasTheMomentsOfOne) {
  std::vector<float> values(1 << 20);
  fillStandardNormal(values, 0x5eed, 1);
  double sum = 0, squares = 0;
  int64_t withinOne = 0;
  for (float value : values) {
    sum += value;
    squares += double(value) * value;
    withinOne += std::fabs(value) < 1;
  }
  double n = values.size();
  double mean = sum / n;
  double variance = squares / n - mean * mean;
  // Standard errors: 1e-3 for the mean, 1.4e-3 for the variance, 4.5e-4
  // for P(|x| < 1) = 0.6827: bounds of about 5 of them.
  EXPECT_LT(std::fabs(mean), 0.005);
  EXPECT_LT(std::fabs(variance - 1), 0.007);
  EXPECT_NEAR(withinOne / n, 0.6827, 0.0025);
}

/// The data set of `spec` for the model at `path`, fitted to it.
static std::pair<std::unique_ptr<Model>, Dataset>
loadFor(const std::string &path, StringRef spec, Split split) {
  auto model = Model::load(path);
  EXPECT_TRUE(bool(model)) << llvm::toString(model.takeError());
  auto data = loadDatasetSpec(spec, split, (*model)->getSignature());
  EXPECT_TRUE(bool(data)) << llvm::toString(data.takeError());
  EXPECT_FALSE(bool(fitDataset(*data, (*model)->getSignature())));
  return {std::move(*model), std::move(*data)};
}

// The generator before it ran on the pool, as plain loops: the same values
// today (the tests that pin figures trained on synthetic data rely on it).
TEST(EpochDataTest, SyntheticClassesAreThePlainLoopsValues) {
  auto [model, data] = loadFor(kMlp, "synthetic:300", Split::Test);
  ASSERT_EQ(data.size(), 300);
  const int64_t k = 784, classes = 10;
  std::vector<double> teacher(k * classes);
  for (size_t i = 0; i < teacher.size(); ++i)
    teacher[i] = counter_hash::randomNormal(0x5eed, 100, i);
  ArrayRef<float> inputs = data.inputs();
  for (int64_t n = 0; n < data.size(); ++n) {
    int64_t label = 0;
    double best = -INFINITY;
    for (int64_t c = 0; c < classes; ++c) {
      double score = 0;
      for (int64_t e = 0; e < k; ++e)
        score += inputs[n * k + e] * teacher[e * classes + c];
      if (score > best) {
        best = score;
        label = c;
      }
    }
    ASSERT_EQ(data.classLabels()[n], label) << "sample " << n;
  }
  // The test split's stream: 1 + 7.
  for (int64_t i = 0; i < data.size() * k; i += 997)
    ASSERT_EQ(inputs[i],
              static_cast<float>(counter_hash::randomNormal(0x5eed, 8, i)));
}

TEST(EpochDataTest, SyntheticTargetsAreThePlainLoopsValues) {
  auto [model, data] = loadFor(kToyLinear, "synthetic:100", Split::Train);
  const int64_t features = 10;
  std::vector<double> teacher(features);
  for (int64_t i = 0; i < features; ++i)
    teacher[i] = (1.0 / std::sqrt(double(features))) *
                 counter_hash::randomNormal(0x5eed, 300, i);
  double bias = 0.5 * counter_hash::randomNormal(0x5eed, 200, 0);
  ArrayRef<float> inputs = data.inputs();
  for (int64_t n = 0; n < data.size(); ++n) {
    double value = bias;
    for (int64_t e = 0; e < features; ++e)
      value += inputs[n * features + e] * teacher[e];
    ASSERT_EQ(data.floatLabels()[n], static_cast<float>(value))
        << "sample " << n;
  }
}

TEST(EpochDataTest, BatchesAreGatheredIntoReusedBuffers) {
  auto [model, data] = loadFor(kMlp, "synthetic:400", Split::Train);
  const ModelSignature &signature = model->getSignature();
  BatchOptions batching;
  batching.batchSize = signature.batchSize;
  batching.shuffle = true;
  batching.seed = 5;
  batching.dropLast = true;
  auto plan = EpochPlan::create(data.size(), batching, 2);
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  Batch batch;
  BatchBuffers buffers;
  const uint8_t *inputMemory = nullptr;
  for (int64_t b = 0; b < plan->numBatches(); ++b) {
    // The reusing overload gives the batches of the allocating one.
    plan->batch(b, batch);
    Batch fresh = plan->batch(b);
    EXPECT_EQ(batch.indices, fresh.indices);
    EXPECT_EQ(batch.numValid, fresh.numValid);
    fillBatch(data, signature, batch.indices, buffers);
    if (b == 0)
      inputMemory = buffers.inputs.data();
    // Same size every step: no new memory after the first.
    EXPECT_EQ(buffers.inputs.data(), inputMemory);
    ASSERT_EQ(buffers.arguments.size(), 2u);
    const TensorRef &x = buffers.arguments[0];
    const TensorRef &y = buffers.arguments[1];
    EXPECT_EQ(x.spec.name, signature.arguments[0].name);
    EXPECT_EQ(x.spec.shape, (std::vector<int64_t>{128, 784}));
    EXPECT_EQ(y.spec.dtype, DType::I64);
    EXPECT_EQ(x.bytes.data(), buffers.inputs.data());
    EXPECT_EQ(y.bytes.data(), buffers.labels.data());
    ASSERT_EQ(x.bytes.size(), 128u * 784 * sizeof(float));
    ASSERT_EQ(y.bytes.size(), 128u * sizeof(int64_t));
    for (auto [row, index] : llvm::enumerate(batch.indices)) {
      EXPECT_EQ(std::memcmp(x.bytes.data() + row * 784 * sizeof(float),
                            data.inputs().data() + index * 784,
                            784 * sizeof(float)),
                0)
          << "row " << row;
      int64_t label;
      std::memcpy(&label, y.bytes.data() + row * sizeof(int64_t),
                  sizeof(label));
      EXPECT_EQ(label, data.classLabels()[index]) << "row " << row;
    }
  }
}

TEST(EpochDataTest, FloatTargetsAreGatheredToo) {
  auto [model, data] = loadFor(kToyLinear, "synthetic:64", Split::Train);
  const ModelSignature &signature = model->getSignature();
  std::vector<int64_t> indices(signature.batchSize);
  std::iota(indices.rbegin(), indices.rend(), int64_t(10));
  BatchBuffers buffers;
  fillBatch(data, signature, indices, buffers);
  ASSERT_EQ(buffers.arguments.size(), 2u);
  const TensorRef &y = buffers.arguments[1];
  EXPECT_EQ(y.spec.shape, (std::vector<int64_t>{32, 1}));
  ASSERT_EQ(y.bytes.size(), 32u * sizeof(float));
  for (auto [row, index] : llvm::enumerate(indices)) {
    float value;
    std::memcpy(&value, y.bytes.data() + row * sizeof(float), sizeof(value));
    EXPECT_EQ(value, data.floatLabels()[index]);
  }
}
