//===- DatasetSpec.cpp - data sets named on the command line --------------===//

#include "mlopt/Runtime/DatasetSpec.h"
#include "RuntimeError.h"

#include "mlopt/Support/CounterHash.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::makeError;

static int64_t sampleElements(RankedTensorType type) {
  return type.getNumElements() / type.getDimSize(0);
}

/// `synthetic[:N]`: standard-normal inputs shaped like the model's and labels
/// from a fixed random linear teacher over the last dimension (float labels)
/// or the argmax of a 10-way teacher (class labels), so training can learn
/// them.
Expected<Dataset> runtime::makeSyntheticDataset(StringRef spec,
                                                const ModelSignature &signature,
                                                uint64_t streamOffset) {
  int64_t count = 1024;
  StringRef rest = spec.drop_front(StringRef("synthetic").size());
  if (rest.consume_front(":") && (rest.getAsInteger(10, count) || count < 1))
    return makeError("bad synthetic data set '" + spec +
                     "': expected synthetic:N");
  const ArgumentInfo &input = *signature.getInput();
  const ArgumentInfo &label = *signature.getLabel();
  ArrayRef<int64_t> inShape = input.type.getShape().drop_front();
  int64_t inElements = sampleElements(input.type);
  int64_t features = inShape.empty() ? 1 : inShape.back();
  // Inputs and labels as f32: refuse a count that cannot fit before
  // allocating (synthetic:1000000000000).
  int64_t perSample = inElements + sampleElements(label.type);
  int64_t bytes = 0;
  if (llvm::MulOverflow(count, perSample, bytes) ||
      llvm::MulOverflow(bytes, int64_t(sizeof(float)), bytes))
    bytes = std::numeric_limits<int64_t>::max();
  if (Error error = checkAllocation(bytes, "data set '" + spec + "'"))
    return std::move(error);
  std::vector<float> inputs(count * inElements);
  constexpr uint64_t kSeed = 0x5eed;
  for (size_t i = 0; i < inputs.size(); ++i)
    inputs[i] = static_cast<float>(
        counter_hash::randomNormal(kSeed, 1 + streamOffset, i));
  std::vector<int64_t> sampleShape(inShape.begin(), inShape.end());

  if (!isa<FloatType>(label.type.getElementType())) {
    constexpr int64_t kClasses = 10;
    if (label.type.getRank() != 1)
      return makeError("synthetic class labels need a label argument [N]");
    std::vector<double> teacher(inElements * kClasses);
    for (size_t i = 0; i < teacher.size(); ++i)
      teacher[i] = counter_hash::randomNormal(kSeed, 100, i);
    std::vector<int64_t> labels(count);
    for (int64_t n = 0; n < count; ++n) {
      double best = -INFINITY;
      for (int64_t c = 0; c < kClasses; ++c) {
        double score = 0;
        for (int64_t k = 0; k < inElements; ++k)
          score += inputs[n * inElements + k] * teacher[k * kClasses + c];
        if (score > best) {
          best = score;
          labels[n] = c;
        }
      }
    }
    return Dataset::createClassification("synthetic", sampleShape,
                                         std::move(inputs), std::move(labels),
                                         kClasses);
  }
  ArrayRef<int64_t> outShape = label.type.getShape().drop_front();
  int64_t outputs = outShape.empty() ? 1 : outShape.back();
  if (outShape.drop_back() != inShape.drop_back())
    return makeError("synthetic data needs input and label samples that "
                     "differ only in the last dimension");
  int64_t rows = inElements / features;
  std::vector<float> labels(count * rows * outputs);
  double scale = 1.0 / std::sqrt(static_cast<double>(features));
  std::vector<double> bias(outputs), teacher(features * outputs);
  for (int64_t j = 0; j < outputs; ++j)
    bias[j] = 0.5 * counter_hash::randomNormal(kSeed, 200, j);
  for (size_t i = 0; i < teacher.size(); ++i)
    teacher[i] = scale * counter_hash::randomNormal(kSeed, 300, i);
  for (int64_t r = 0; r < count * rows; ++r)
    for (int64_t j = 0; j < outputs; ++j) {
      double value = bias[j];
      for (int64_t k = 0; k < features; ++k)
        value += inputs[r * features + k] * teacher[k * outputs + j];
      labels[r * outputs + j] = static_cast<float>(value);
    }
  return Dataset::createRegression(
      "synthetic", sampleShape, std::move(inputs),
      std::vector<int64_t>(outShape.begin(), outShape.end()),
      std::move(labels));
}

bool runtime::isSyntheticSpec(StringRef spec) {
  return spec == "synthetic" || spec.starts_with("synthetic:");
}

std::vector<std::string> runtime::getDatasetSpecFiles(StringRef spec,
                                                      Split split) {
  if (spec.empty() || isSyntheticSpec(spec))
    return {};
  auto [first, second] = spec.split(':');
  if (!second.empty())
    return {first.str(), second.str()};
  Expected<DatasetFiles> files = resolveDatasetFiles(spec, split);
  if (!files) {
    llvm::consumeError(files.takeError());
    return {};
  }
  return {files->inputs, files->labels};
}

Expected<Dataset> runtime::loadDatasetSpec(StringRef spec, Split split,
                                           const ModelSignature &signature) {
  if (!signature.getInput() || !signature.getLabel())
    return makeError("data sets feed models with one mlopt.input and one "
                     "mlopt.label argument");
  if (isSyntheticSpec(spec))
    return makeSyntheticDataset(spec, signature, split == Split::Test ? 7 : 0);
  auto [first, second] = spec.split(':');
  if (second.empty())
    return loadNamedDataset(spec, split);
  if (first.ends_with(".npy") && second.ends_with(".npy"))
    return loadNpyDataset(first, second, std::nullopt);
  return loadIdxDataset(first, second, std::nullopt);
}

/// Checks that `dataset` can feed the model and reshapes its samples.
Error runtime::fitDataset(Dataset &dataset, const ModelSignature &signature) {
  if (!signature.getInput() || !signature.getLabel())
    return makeError("data sets feed models with one mlopt.input and one "
                     "mlopt.label argument");
  const ArgumentInfo &input = *signature.getInput();
  const ArgumentInfo &label = *signature.getLabel();
  if (!input.type.getElementType().isF32())
    return makeError("mlopt-run feeds f32 inputs, but the model's input is " +
                     llvm::Twine(llvm::formatv("{0}", input.type).str()));
  if (dataset.sampleNumElements() != sampleElements(input.type))
    return makeError(dataset.name() + ": samples have " +
                     llvm::Twine(dataset.sampleNumElements()) +
                     " elements but the model's input takes " +
                     llvm::Twine(sampleElements(input.type)));
  ArrayRef<int64_t> shape = input.type.getShape().drop_front();
  if (Error error = dataset.reshapeSamples(shape))
    return error;
  Type labelElement = label.type.getElementType();
  if (isa<FloatType>(labelElement)) {
    if (dataset.hasClassLabels() || !labelElement.isF32())
      return makeError(dataset.name() + ": the model takes f32 labels of " +
                       "shape [N, ...]; the data set has class labels");
    if (dataset.labelNumElements() != sampleElements(label.type))
      return makeError(dataset.name() + ": labels have " +
                       llvm::Twine(dataset.labelNumElements()) +
                       " elements per sample but the model takes " +
                       llvm::Twine(sampleElements(label.type)));
    return Error::success();
  }
  if (!dataset.hasClassLabels() || label.type.getRank() != 1)
    return makeError(dataset.name() +
                     ": the model takes class labels [N]; the data set has " +
                     "float labels");
  if (!labelElement.isInteger(64) && !labelElement.isInteger(32))
    return makeError("mlopt-run feeds i64 or i32 class labels");
  if (signature.numClasses) {
    ArrayRef<int64_t> labels = dataset.classLabels();
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0 || labels[i] >= *signature.numClasses)
        return makeError(dataset.name() + ": label " + llvm::Twine(labels[i]) +
                         " of sample " + llvm::Twine(i) + " is outside [0, " +
                         llvm::Twine(*signature.numClasses) +
                         ") (the model's classes)");
  }
  return Error::success();
}

void runtime::fillBatch(const Dataset &dataset, const ModelSignature &signature,
                        ArrayRef<int64_t> indices, BatchBuffers &buffers) {
  const ArgumentInfo &input = *signature.getInput();
  const ArgumentInfo &label = *signature.getLabel();
  std::vector<float> inputValues(input.type.getNumElements());
  dataset.gatherInputs(indices, inputValues);
  buffers.inputs.resize(inputValues.size() * sizeof(float));
  std::memcpy(buffers.inputs.data(), inputValues.data(), buffers.inputs.size());
  if (dataset.hasClassLabels()) {
    std::vector<int64_t> labels(indices.size());
    dataset.gatherClassLabels(indices, labels);
    if (label.type.getElementType().isInteger(64)) {
      buffers.labels.resize(labels.size() * 8);
      std::memcpy(buffers.labels.data(), labels.data(), buffers.labels.size());
    } else {
      std::vector<int32_t> narrow(labels.begin(), labels.end());
      buffers.labels.resize(narrow.size() * 4);
      std::memcpy(buffers.labels.data(), narrow.data(), buffers.labels.size());
    }
  } else {
    std::vector<float> labels(label.type.getNumElements());
    dataset.gatherFloatLabels(indices, labels);
    buffers.labels.resize(labels.size() * sizeof(float));
    std::memcpy(buffers.labels.data(), labels.data(), buffers.labels.size());
  }
  buffers.arguments.clear();
  for (const ArgumentInfo &arg : signature.arguments) {
    TensorRef ref;
    ref.spec.name = arg.name;
    ref.spec.dtype = *dtypeOf(arg.type.getElementType());
    ref.spec.shape.assign(arg.type.getShape().begin(),
                          arg.type.getShape().end());
    ref.bytes = arg.isLabel ? buffers.labels : buffers.inputs;
    buffers.arguments.push_back(std::move(ref));
  }
}
