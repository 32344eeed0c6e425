//===- train_toy_linear.cpp - train a model through the mlopt API ---------===//
//
// Loads a model file (examples/toy_linear.mlir: nn.Linear(10, 1) + MSE),
// compiles its training step for the CPU and trains it 100 steps on batches
// of a fixed linear teacher held in this program's own memory.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/Session.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <vector>

using namespace mlir::mlopt::runtime;

/// A small deterministic generator of uniform floats in [-1, 1).
static float nextUniform(uint64_t &state) {
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  return static_cast<float>(state >> 40) / static_cast<float>(1 << 23) - 1.0f;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: train-toy-linear MODEL.mlir\n";
    return 2;
  }
  auto model = Model::load(argv[1]);
  if (!model) {
    llvm::errs() << "error: " << llvm::toString(model.takeError()) << "\n";
    return 1;
  }
  const ModelSignature &signature = (*model)->getSignature();
  const ArgumentInfo *input = signature.getInput();
  const ArgumentInfo *label = signature.getLabel();
  if (!input || !label || input->type.getRank() != 2 ||
      label->type.getShape() !=
          llvm::ArrayRef<int64_t>{signature.batchSize, 1}) {
    llvm::errs() << "error: expected a model taking x[B, F] and y[B, 1]\n";
    return 1;
  }

  SessionOptions options;
  options.backend = "cpu";
  options.pipeline.optimizer.optimizer = "sgd";
  options.pipeline.optimizer.lr = 0.05;
  options.pipeline.optimizer.momentum = 0.9;
  auto session = Session::compile(**model, options);
  if (!session) {
    llvm::errs() << "error: " << llvm::toString(session.takeError()) << "\n";
    return 1;
  }
  if (llvm::Error error = (*session)->init(/*seed=*/0)) {
    llvm::errs() << "error: " << llvm::toString(std::move(error)) << "\n";
    return 1;
  }

  int64_t batch = signature.batchSize;
  int64_t features = input->type.getDimSize(1);
  std::vector<float> teacher(features);
  uint64_t state = 42;
  for (float &weight : teacher)
    weight = nextUniform(state);
  std::vector<float> x(batch * features), y(batch);
  double firstLoss = 0, loss = 0;
  for (int step = 1; step <= 100; ++step) {
    for (int64_t n = 0; n < batch; ++n) {
      y[n] = 0.5f;
      for (int64_t k = 0; k < features; ++k) {
        x[n * features + k] = nextUniform(state);
        y[n] += teacher[k] * x[n * features + k];
      }
    }
    // Views of this program's buffers: the runtime reads them in place.
    auto result = (*session)->trainStep(
        {viewTensor("x", DType::F32, {batch, features}, x.data()),
         viewTensor("y", DType::F32, {batch, 1}, y.data())});
    if (!result) {
      llvm::errs() << "error: " << llvm::toString(result.takeError()) << "\n";
      return 1;
    }
    loss = result->loss;
    if (step == 1)
      firstLoss = loss;
    if (step % 10 == 0)
      llvm::outs() << "step " << step << ": loss " << loss << "\n";
  }
  auto weight = (*session)->readState("fc.weight");
  if (!weight) {
    llvm::errs() << "error: " << llvm::toString(weight.takeError()) << "\n";
    return 1;
  }
  llvm::outs() << "trained " << (*model)->getName() << ": loss " << firstLoss
               << " -> " << loss << "\n";
  // Exit status for scripts: did training learn the teacher?
  return loss < firstLoss * 1e-2 ? 0 : 1;
}
