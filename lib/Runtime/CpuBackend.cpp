//===- CpuBackend.cpp - training as JIT-compiled CPU code -----------------===//

#include "mlopt/Runtime/CpuBackend.h"

#include "mlopt/Runtime/CpuExecutable.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;

std::string runtime::cpuLoweringPipeline() {
  return "mlopt-lower-to-cpu{matmul=" + CpuCompileOptions().matmul + "}";
}

namespace {

class CpuBackend final : public Backend {
public:
  CpuBackend(std::unique_ptr<CpuExecutable> executable,
             std::vector<StateInfo> manifest)
      : executable(std::move(executable)), stateInfos(std::move(manifest)) {}

  llvm::ArrayRef<StateInfo> manifest() const override { return stateInfos; }

  Error initialize(uint64_t seed) override { return executable->init(seed); }

  Expected<std::vector<double>>
  trainStep(llvm::ArrayRef<TensorRef> arguments) override {
    return run("train_step", arguments);
  }

  Expected<std::vector<double>>
  evalStep(llvm::ArrayRef<TensorRef> arguments) override {
    return run("eval_step", arguments);
  }

  Expected<std::vector<uint8_t>> readState(StringRef name) override {
    HostBuffer *buffer = executable->getState(name);
    if (!buffer)
      return llvm::createStringError("no state tensor '" + name.str() + "'");
    const uint8_t *bytes = static_cast<const uint8_t *>(buffer->data());
    return std::vector<uint8_t>(bytes, bytes + buffer->getNumBytes());
  }

  Error writeState(StringRef name, llvm::ArrayRef<uint8_t> bytes) override {
    HostBuffer *buffer = executable->getState(name);
    if (!buffer)
      return llvm::createStringError("no state tensor '" + name.str() + "'");
    if (static_cast<int64_t>(bytes.size()) != buffer->getNumBytes())
      return llvm::createStringError(
          "state tensor '" + name.str() + "' takes " +
          std::to_string(buffer->getNumBytes()) + " bytes, got " +
          std::to_string(bytes.size()));
    std::memcpy(buffer->data(), bytes.data(), bytes.size());
    return Error::success();
  }

private:
  /// Copies the batch into buffers of the entry point's argument types; the
  /// buffers are reused from step to step.
  Expected<std::vector<double>> run(StringRef name,
                                    llvm::ArrayRef<TensorRef> arguments) {
    const EntryPoint *entry = executable->getEntryPoint(name);
    if (!entry)
      return llvm::createStringError("the module has no @" + name.str());
    if (entry->argumentTypes.size() != arguments.size())
      return llvm::createStringError(
          "@" + name.str() + " takes " +
          std::to_string(entry->argumentTypes.size()) + " arguments, got " +
          std::to_string(arguments.size()));
    std::vector<HostBuffer> &buffers = argumentBuffers[name];
    if (buffers.empty())
      for (RankedTensorType type : entry->argumentTypes)
        buffers.emplace_back(type);
    std::vector<const HostBuffer *> pointers;
    for (auto [buffer, argument] : llvm::zip(buffers, arguments)) {
      if (static_cast<int64_t>(argument.bytes.size()) != buffer.getNumBytes())
        return llvm::createStringError(
            "@" + name.str() + ": argument '" + argument.spec.name + "' has " +
            std::to_string(argument.bytes.size()) + " bytes, expected " +
            std::to_string(buffer.getNumBytes()));
      std::memcpy(buffer.data(), argument.bytes.data(), argument.bytes.size());
      pointers.push_back(&buffer);
    }
    return name == "train_step" ? executable->trainStep(pointers)
                                : executable->evalStep(pointers);
  }

  std::unique_ptr<CpuExecutable> executable;
  std::vector<StateInfo> stateInfos;
  llvm::StringMap<std::vector<HostBuffer>> argumentBuffers;
};

} // namespace

Expected<std::unique_ptr<Backend>> runtime::createCpuBackend(ModuleOp module) {
  Expected<std::vector<StateInfo>> manifest = readManifest(module);
  if (!manifest)
    return manifest.takeError();
  Expected<std::unique_ptr<CpuExecutable>> executable =
      CpuExecutable::compile(module);
  if (!executable)
    return executable.takeError();
  return std::make_unique<CpuBackend>(std::move(*executable),
                                      std::move(*manifest));
}
