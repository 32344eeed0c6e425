//===- QuantizedModelBench.cpp - int8 against f32 model forwards ----------===//
//
// Compiles two models for the CPU, each in f32 and in int8 through
// mlopt-quantize (dynamic: activations quantized per batch, as PyTorch's
// quantize_dynamic; static: stored activation parameters), and times
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

/// Median ms of @predict_step over `repetitions`, after two warm-up calls;
/// a negative value after printing the error.
double timeForward(const Model &model, llvm::StringRef passes,
                   int repetitions) {
  SessionOptions options;
  options.backend = "cpu";
  options.pipeline.batchSize = kBatch;
  if (!passes.empty()) {
    auto builder = parsePassBuilder(passes, llvm::errs());
    if (failed(builder))
      return -1;
    options.pipeline.modelPasses.push_back(*builder);
  }
  auto session = Session::compile(model, options);
  if (!session) {
    llvm::errs() << llvm::toString(session.takeError()) << "\n";
    return -1;
  }
  if (auto error = (*session)->init(0)) {
    llvm::errs() << llvm::toString(std::move(error)) << "\n";
    return -1;
  }
  const ArgumentInfo *input = (*session)->getSignature().getInput();
  ArrayRef<int64_t> shape = input->type.getShape();
  std::vector<float> x(input->type.getNumElements());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (float &value : x)
    value = dist(rng);
  TensorRef view = viewTensor(input->name, DType::F32, shape, x.data());
  std::vector<double> ms;
  for (int r = 0; r < repetitions + 2; ++r) {
    auto begin = std::chrono::steady_clock::now();
    auto prediction = (*session)->predict({view});
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
    const char *passes;
  } modes[] = {{"int8 dynamic", "mlopt-quantize{mode=dynamic}"},
               {"int8 static",
                "mlopt-quantize{mode=static},mlopt-quantize{mode=convert}"}};

  llvm::outs() << llvm::formatv("\n{0,-30} {1,-13} {2,-11} {3,9} {4,9}\n",
                                "model", "mode", "int8 path", "ms", "f32/mode");
  for (const Case &c : cases) {
    double f32Ms = timeForward(*c.model, "", repetitions);
    if (f32Ms < 0)
      return 1;
    llvm::outs() << llvm::formatv(
        "{0,-30} {1,-13} {2,-11} {3,9:f3} {4,8:f2}x\n", c.label, "f32", "-",
        f32Ms, 1.0);
    for (const Mode &mode : modes) {
      // The compiled code asks for the path at every call.
      for (Int8KernelPath path : availableInt8KernelPaths()) {
        if (path == Int8KernelPath::Scalar)
          continue;
        setInt8KernelPath(path);
        double ms = timeForward(*c.model, mode.passes, repetitions);
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
