//===- DatasetSpec.cpp - data sets named on the command line --------------===//

#include "mlopt/Runtime/DatasetSpec.h"
#include "RuntimeError.h"

#include "mlopt/Runtime/ThreadPool.h"

#include "mlopt/Support/CounterHash.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
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

void runtime::fillStandardNormal(llvm::MutableArrayRef<float> out,
                                 uint64_t seed, uint64_t stream) {
  // counter_hash::randomNormal with the stream's key hashed once instead of
  // twice per element: bits(seed, stream, i) = mix(mix(seed ^ stream) + i).
  const uint64_t streamKey = counter_hash::splitmix64(seed ^ stream);
  auto uniform = [&](uint64_t index) {
    uint64_t bits = counter_hash::splitmix64(streamKey + index);
    return static_cast<double>(bits >> (64 - counter_hash::kUniformBits)) *
           counter_hash::kUniformScale;
  };
  // Each value depends on its index only, so chunks may run in any order.
  parallelFor(static_cast<int64_t>(out.size()), /*grain=*/1 << 14,
              [&](int64_t begin, int64_t end) {
                constexpr double kPi = 3.14159265358979323846;
                for (int64_t i = begin; i < end; ++i) {
                  double u1 = uniform(2 * uint64_t(i));
                  double u2 = uniform(2 * uint64_t(i) + 1);
                  out[i] =
                      static_cast<float>(std::sqrt(-2.0 * std::log(1.0 - u1)) *
                                         std::cos(2.0 * kPi * u2));
                }
              });
}

/// `synthetic[:N]`: standard-normal inputs shaped like the model's and labels
/// from a fixed random linear teacher over the last dimension (float labels)
/// or the argmax of a 10-way teacher (class labels), so training can learn
/// them. The samples are generated on the runtime's thread pool; every value
/// is computed in the same order as one thread would, so the data set does
/// not depend on the number of threads.
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
  fillStandardNormal(inputs, kSeed, 1 + streamOffset);
  std::vector<int64_t> sampleShape(inShape.begin(), inShape.end());
  // The teachers' products below accumulate each output over k in
  // ascending order, as a plain loop does; the loops run k outside the
  // outputs so that the inner loop is contiguous (and vectorizes) without
  // changing any sum.

  if (!isa<FloatType>(label.type.getElementType())) {
    constexpr int64_t kClasses = 10;
    if (label.type.getRank() != 1)
      return makeError("synthetic class labels need a label argument [N]");
    std::vector<double> teacher(inElements * kClasses);
    for (size_t i = 0; i < teacher.size(); ++i)
      teacher[i] = counter_hash::randomNormal(kSeed, 100, i);
    std::vector<int64_t> labels(count);
    parallelFor(count, /*grain=*/64, [&](int64_t begin, int64_t end) {
      for (int64_t n = begin; n < end; ++n) {
        double scores[kClasses] = {};
        const float *x = inputs.data() + n * inElements;
        for (int64_t k = 0; k < inElements; ++k)
          for (int64_t c = 0; c < kClasses; ++c)
            scores[c] += x[k] * teacher[k * kClasses + c];
        // The first of equal scores wins, as with a strict > scan.
        double best = -INFINITY;
        for (int64_t c = 0; c < kClasses; ++c)
          if (scores[c] > best) {
            best = scores[c];
            labels[n] = c;
          }
      }
    });
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
  parallelFor(count * rows, /*grain=*/std::max<int64_t>(1, 4096 / outputs),
              [&](int64_t begin, int64_t end) {
                std::vector<double> values(outputs);
                for (int64_t r = begin; r < end; ++r) {
                  std::copy(bias.begin(), bias.end(), values.begin());
                  const float *x = inputs.data() + r * features;
                  // Four k per pass over the outputs (the products still
                  // added one by one, k ascending): a quarter of the loads
                  // and stores of `values`.
                  int64_t k = 0;
                  for (; k + 4 <= features; k += 4) {
                    double x0 = x[k], x1 = x[k + 1], x2 = x[k + 2],
                           x3 = x[k + 3];
                    const double *t0 = teacher.data() + k * outputs;
                    const double *t1 = t0 + outputs, *t2 = t1 + outputs,
                                 *t3 = t2 + outputs;
                    for (int64_t j = 0; j < outputs; ++j) {
                      double value = values[j];
                      value += x0 * t0[j];
                      value += x1 * t1[j];
                      value += x2 * t2[j];
                      value += x3 * t3[j];
                      values[j] = value;
                    }
                  }
                  for (; k < features; ++k) {
                    double xk = x[k];
                    const double *t = teacher.data() + k * outputs;
                    for (int64_t j = 0; j < outputs; ++j)
                      values[j] += xk * t[j];
                  }
                  for (int64_t j = 0; j < outputs; ++j)
                    labels[r * outputs + j] = static_cast<float>(values[j]);
                }
              });
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

/// Copies rows `indices` of a row-major array of `rowBytes`-byte rows into
/// `out`, one memcpy per row. (On the runtime pool this was slower on a
/// loaded 2-CPU machine: the caller waited for preempted helpers.)
static void gatherRows(const uint8_t *rows, size_t rowBytes,
                       ArrayRef<int64_t> indices, uint8_t *out) {
  for (int64_t index : indices) {
    std::memcpy(out, rows + static_cast<size_t>(index) * rowBytes, rowBytes);
    out += rowBytes;
  }
}

void runtime::fillBatch(const Dataset &dataset, const ModelSignature &signature,
                        ArrayRef<int64_t> indices, BatchBuffers &buffers) {
  const ArgumentInfo &label = *signature.getLabel();
  // Gathered straight into the argument bytes, which keep their memory from
  // one batch to the next: no allocation, no zeroing, one copy per row.
  size_t inputRow = dataset.sampleNumElements() * sizeof(float);
  buffers.inputs.resize(indices.size() * inputRow);
  gatherRows(reinterpret_cast<const uint8_t *>(dataset.inputs().data()),
             inputRow, indices, buffers.inputs.data());
  if (dataset.hasClassLabels()) {
    ArrayRef<int64_t> classes = dataset.classLabels();
    if (label.type.getElementType().isInteger(64)) {
      buffers.labels.resize(indices.size() * sizeof(int64_t));
      gatherRows(reinterpret_cast<const uint8_t *>(classes.data()),
                 sizeof(int64_t), indices, buffers.labels.data());
    } else {
      buffers.labels.resize(indices.size() * sizeof(int32_t));
      for (auto [row, index] : llvm::enumerate(indices)) {
        int32_t narrow = static_cast<int32_t>(classes[index]);
        std::memcpy(buffers.labels.data() + row * sizeof(int32_t), &narrow,
                    sizeof(int32_t));
      }
    }
  } else {
    size_t labelRow = dataset.labelNumElements() * sizeof(float);
    buffers.labels.resize(indices.size() * labelRow);
    gatherRows(reinterpret_cast<const uint8_t *>(dataset.floatLabels().data()),
               labelRow, indices, buffers.labels.data());
  }
  // The tensor descriptions are built once per signature; only the byte
  // views are refreshed (a resize may have moved the buffers).
  bool described = buffers.arguments.size() == signature.arguments.size();
  for (auto [ref, arg] : llvm::zip(buffers.arguments, signature.arguments))
    described = described && ref.spec.name == arg.name &&
                ref.spec.dtype == dtypeOf(arg.type.getElementType()) &&
                ArrayRef<int64_t>(ref.spec.shape) == arg.type.getShape();
  if (!described) {
    buffers.arguments.clear();
    for (const ArgumentInfo &arg : signature.arguments) {
      TensorRef ref;
      ref.spec.name = arg.name;
      ref.spec.dtype = *dtypeOf(arg.type.getElementType());
      ref.spec.shape.assign(arg.type.getShape().begin(),
                            arg.type.getShape().end());
      buffers.arguments.push_back(std::move(ref));
    }
  }
  for (auto [ref, arg] : llvm::zip(buffers.arguments, signature.arguments))
    ref.bytes = arg.isLabel ? buffers.labels : buffers.inputs;
}
