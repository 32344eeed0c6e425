//===- QuantizedModelBench.cpp - int8 against f32 model forwards ----------===//
//
// Compiles two models for the CPU, each in f32 and in int8 through
// mlopt-quantize (dynamic: activations quantized per batch, as PyTorch's
// quantize_dynamic; static: activation parameters calibrated on 10 batches
// of random pixels; each with 8- and 7-bit activations, "a7", which take
// the AVX2 kernel's faster exact path), from nn.Linear's initial weights
// (realistic scales: the int8 kernels' speed depends on the values), and
// times
// @predict_step (the forward) at batch 256:
//   - the Fashion-MNIST MLP 784-256-10 (examples/mlp.mlir);
//   - one 1024x1024 linear layer.
// Prints the CPU features, the int8 kernel path and, per model and mode,
// the median ms and the ratio f32/int8 (> 1: int8 is faster).
//   mlopt-bench-quantized-model [examples/mlp.mlir] [repetitions]
//
//===----------------------------------------------------------------------===//

#include "mlopt/InitAll.h"
#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Runtime/Metrics.h"
#include "mlopt/Runtime/Quantization.h"
#include "mlopt/Runtime/Session.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;

namespace {

constexpr int64_t kBatch = 256;

/// One linear layer in -> out over `kBatch` rows, with a cross-entropy loss
/// so that the model has the usual signature.
std::string linearModel(int64_t in, int64_t out) {
  return llvm::formatv(R"mlir(
mlopt.state @fc.weight : tensor<{1}x{0}xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<{1}xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = {0}>
func.func @loss(%x: tensor<{2}x{0}xf32> {{mlopt.input},
                %y: tensor<{2}xi64> {{mlopt.label}) -> tensor<f32>
    attributes {{mlopt.loss} {{
  %w = mlopt.state_read @fc.weight : tensor<{1}x{0}xf32>
  %b = mlopt.state_read @fc.bias : tensor<{1}xf32>
  %h = mlopt.linear %x, %w, %b
      : (tensor<{2}x{0}xf32>, tensor<{1}x{0}xf32>, tensor<{1}xf32>)
      -> tensor<{2}x{1}xf32>
  %l = mlopt.cross_entropy %h, %y
      : (tensor<{2}x{1}xf32>, tensor<{2}xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir",
                       in, out, kBatch)
      .str();
}

/// Inputs uniform in [0, 1) (the data loader's pixel range) and labels 0,
/// for `session`'s loss function; the views point into `storage`.
std::vector<TensorRef> makeBatch(Session &session,
                                 std::vector<std::vector<uint8_t>> &storage,
                                 uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<TensorRef> views;
  storage.clear();
  storage.reserve(session.getSignature().arguments.size());
  for (const ArgumentInfo &argument : session.getSignature().arguments) {
    int64_t elements = argument.type.getNumElements();
    if (argument.isLabel) {
      storage.emplace_back(elements * sizeof(int64_t), 0);
      views.push_back(viewTensor(argument.name, DType::I64,
                                 argument.type.getShape(),
                                 storage.back().data()));
      continue;
    }
    storage.emplace_back(elements * sizeof(float));
    auto *values = reinterpret_cast<float *>(storage.back().data());
    for (int64_t i = 0; i < elements; ++i)
      values[i] = dist(rng);
    views.push_back(viewTensor(argument.name, DType::F32,
                               argument.type.getShape(), values));
  }
  return views;
}

/// Median ms of @predict_step over `repetitions`, after two warm-up calls;
/// a negative value after printing the error.
double timeForward(Session &session, int repetitions) {
  std::vector<std::vector<uint8_t>> storage;
  std::vector<TensorRef> batch = makeBatch(session, storage, 1);
  std::vector<TensorRef> inputs;
  for (size_t i = 0; i < batch.size(); ++i)
    if (!session.getSignature().arguments[i].isLabel)
      inputs.push_back(batch[i]);
  std::vector<double> ms;
  for (int r = 0; r < repetitions + 2; ++r) {
    auto begin = std::chrono::steady_clock::now();
    auto prediction = session.predict(inputs);
    double elapsed = std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - begin)
                         .count();
    if (!prediction) {
      llvm::errs() << llvm::toString(prediction.takeError()) << "\n";
      return -1;
    }
    if (r >= 2)
      ms.push_back(elapsed);
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

/// Exits with the error's message.
template <typename T> T take(llvm::Expected<T> value) {
  if (!value) {
    llvm::errs() << "mlopt-bench-quantized-model: "
                 << llvm::toString(value.takeError()) << "\n";
    std::exit(1);
  }
  return std::move(*value);
}

void check(llvm::Error error) {
  if (error) {
    llvm::errs() << "mlopt-bench-quantized-model: "
                 << llvm::toString(std::move(error)) << "\n";
    std::exit(1);
  }
}

SessionOptions cpuOptions(llvm::StringRef passes) {
  SessionOptions options;
  options.backend = "cpu";
  options.pipeline.batchSize = kBatch;
  if (!passes.empty()) {
    auto builder = parsePassBuilder(passes, llvm::errs());
    if (failed(builder))
      std::exit(1);
    options.pipeline.modelPasses.push_back(*builder);
  }
  return options;
}

/// An int8 session of `model` with realistic tensors: the float model's
/// initial weights (nn.Linear's), quantized dynamically, or statically
/// after 10 calibration batches of random pixels.
struct Int8Session {
  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
};

Int8Session quantize(const Model &model, bool dynamic, int64_t bits) {
  Int8ConversionOptions conversion;
  conversion.activationBits = bits;
  std::string prepare =
      llvm::formatv("mlopt-quantize{{mode=static activation-bits={0}}", bits)
          .str();
  SessionOptions options = cpuOptions(dynamic ? "" : prepare);
  std::unique_ptr<Session> floatSession =
      take(Session::compile(model, options));
  check(floatSession->init(0));
  if (!dynamic) {
    std::vector<std::vector<uint8_t>> storage;
    for (uint32_t batch = 0; batch < 10; ++batch)
      take(floatSession->calibrateStep(
          makeBatch(*floatSession, storage, 100 + batch)));
  }
  QuantizedModel quantized = take(quantizeModel(
      model, options.pipeline.modelPasses, *floatSession, dynamic, conversion));
  Int8Session result;
  result.model = take(Model::fromModule(*quantized.module));
  result.session = take(Session::compile(*result.model, cpuOptions("")));
  check(result.session->init(0));
  check(loadQuantizedTensors(quantized, *result.session));
  return result;
}

} // namespace

int main(int argc, char **argv) {
  std::string mlpPath = argc > 1 ? argv[1] : "examples/mlp.mlir";
  int repetitions = argc > 2 ? std::atoi(argv[2]) : 50;
  if (repetitions <= 0) {
    llvm::errs() << "mlopt-bench-quantized-model: repetitions must be "
                    "positive\n";
    return 1;
  }
  // The model-level slot is given as text naming registered passes.
  registerAllPasses();
  HostCpu cpu = detectHostCpu();
  llvm::outs() << "CPU: " << cpu.name << ",";
  for (const auto &[feature, present] : cpu.features)
    llvm::outs() << " " << feature << (present ? "" : "(no)");
  llvm::outs() << "\nint8 kernel paths on this CPU:";
  for (Int8KernelPath path : availableInt8KernelPaths())
    llvm::outs() << " " << getInt8KernelPathName(path);
  llvm::outs() << " (default "
               << getInt8KernelPathName(getDefaultInt8KernelPath()) << ")\n";

  auto mlp = Model::load(mlpPath);
  if (!mlp) {
    llvm::errs() << llvm::toString(mlp.takeError()) << "\n";
    return 1;
  }
  auto linear = Model::parse(linearModel(1024, 1024), "linear-1024");
  if (!linear) {
    llvm::errs() << llvm::toString(linear.takeError()) << "\n";
    return 1;
  }
  struct Case {
    const char *label;
    const Model *model;
  } cases[] = {{"MLP 784-256-10, batch 256", mlp->get()},
               {"linear 1024x1024, batch 256", linear->get()}};
  struct Mode {
    const char *label;
    bool dynamic;
    int64_t bits;
  } modes[] = {{"int8 dynamic", true, 8},
               {"int8 dyn a7", true, 7},
               {"int8 static", false, 8},
               {"int8 stat a7", false, 7}};

  llvm::outs() << llvm::formatv("\n{0,-30} {1,-13} {2,-11} {3,9} {4,9}\n",
                                "model", "mode", "int8 path", "ms", "f32/mode");
  for (const Case &c : cases) {
    std::unique_ptr<Session> floatSession =
        take(Session::compile(*c.model, cpuOptions("")));
    check(floatSession->init(0));
    double f32Ms = timeForward(*floatSession, repetitions);
    if (f32Ms < 0)
      return 1;
    llvm::outs() << llvm::formatv(
        "{0,-30} {1,-13} {2,-11} {3,9:f3} {4,8:f2}x\n", c.label, "f32", "-",
        f32Ms, 1.0);
    for (const Mode &mode : modes) {
      Int8Session int8 = quantize(*c.model, mode.dynamic, mode.bits);
      // The compiled code asks for the path at every call.
      for (Int8KernelPath path : availableInt8KernelPaths()) {
        if (path == Int8KernelPath::Scalar)
          continue;
        setInt8KernelPath(path);
        double ms = timeForward(*int8.session, repetitions);
        if (ms < 0)
          return 1;
        llvm::outs() << llvm::formatv(
            "{0,-30} {1,-13} {2,-11} {3,9:f3} {4,8:f2}x\n", c.label, mode.label,
            getInt8KernelPathName(path), ms, f32Ms / ms);
      }
      setInt8KernelPath(getDefaultInt8KernelPath());
    }
  }
  return 0;
}
