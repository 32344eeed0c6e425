//===- CpuBackend.cpp - training as JIT-compiled CPU code -----------------===//

#include "mlopt/Runtime/CpuBackend.h"

#include "mlopt/Runtime/CpuExecutable.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;

CpuCompileOptions runtime::toCompileOptions(const BackendOptions &options) {
  CpuCompileOptions result;
  result.matmul = options.matmul;
  result.parallelLoops = options.parallelLoops;
  result.approximateMath = options.approximateMath;
  result.cacheDir = options.cacheDir;
  result.useCache = options.useCache;
  return result;
}

namespace {

class CpuBackend final : public Backend {
public:
  CpuBackend(std::unique_ptr<CpuExecutable> executable,
             std::vector<StateInfo> manifest)
      : executable(std::move(executable)), stateInfos(std::move(manifest)) {}

  llvm::ArrayRef<StateInfo> manifest() const override { return stateInfos; }

  Error initialize(uint64_t seed) override { return executable->init(seed); }

  std::optional<BufferBytes>
  getBufferBytes(llvm::StringRef name) const override {
    return executable->getBufferBytes(name);
  }

  bool isLoadedFromCache() const override {
    return executable->isLoadedFromCache();
  }

  Expected<std::vector<double>>
  trainStep(llvm::ArrayRef<TensorRef> arguments) override {
    return run("train_step", arguments);
  }

  Expected<std::vector<double>>
  evalStep(llvm::ArrayRef<TensorRef> arguments) override {
    return run("eval_step", arguments);
  }

  bool hasCalibrateStep() const override {
    return executable->getEntryPoint("calibrate_step") != nullptr;
  }

  Expected<std::vector<double>>
  calibrateStep(llvm::ArrayRef<TensorRef> arguments) override {
    return run("calibrate_step", arguments);
  }

  bool hasPredictStep() const override {
    return executable->getEntryPoint("predict_step") != nullptr;
  }

  Expected<TensorData> predictStep(llvm::ArrayRef<TensorRef> inputs) override {
    Expected<std::vector<HostBuffer>> results = call("predict_step", inputs);
    if (!results)
      return results.takeError();
    std::optional<DType> dtype =
        results->size() == 1
            ? dtypeOf(results->front().getType().getElementType())
            : std::nullopt;
    if (!dtype)
      return llvm::createStringError(
          "@predict_step must return one tensor of a supported dtype");
    const HostBuffer &result = results->front();
    TensorData prediction;
    prediction.spec.name = "prediction";
    prediction.spec.dtype = *dtype;
    prediction.spec.shape.assign(result.getType().getShape().begin(),
                                 result.getType().getShape().end());
    const uint8_t *bytes = static_cast<const uint8_t *>(result.data());
    prediction.bytes.assign(bytes, bytes + result.getNumBytes());
    return prediction;
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
  /// Passes the caller's batch memory straight to the compiled code after
  /// checking each argument's dtype and shape.
  Expected<std::vector<double>> run(StringRef name,
                                    llvm::ArrayRef<TensorRef> arguments) {
    Expected<std::vector<HostBuffer>> results = call(name, arguments);
    if (!results)
      return results.takeError();
    return CpuExecutable::toScalars(*results);
  }

  Expected<std::vector<HostBuffer>> call(StringRef name,
                                         llvm::ArrayRef<TensorRef> arguments) {
    const EntryPoint *entry = executable->getEntryPoint(name);
    if (!entry)
      return llvm::createStringError("the module has no @" + name.str());
    if (entry->argumentTypes.size() != arguments.size())
      return llvm::createStringError(
          "@" + name.str() + " takes " +
          std::to_string(entry->argumentTypes.size()) + " arguments, got " +
          std::to_string(arguments.size()));
    std::vector<const void *> data;
    for (auto [type, argument] : llvm::zip(entry->argumentTypes, arguments)) {
      std::optional<DType> dtype = dtypeOf(type.getElementType());
      if (!dtype || argument.spec.dtype != *dtype ||
          ArrayRef<int64_t>(argument.spec.shape) != type.getShape() ||
          static_cast<int64_t>(argument.bytes.size()) !=
              type.getNumElements() * getElementByteSize(type.getElementType()))
        return llvm::createStringError(
            "@" + name.str() + ": argument '" + argument.spec.name + "' is " +
            formatTensorType(argument.spec.dtype, argument.spec.shape) + " (" +
            std::to_string(argument.bytes.size()) + " bytes), expected " +
            (dtype ? formatTensorType(*dtype, type.getShape())
                   : std::string("an unsupported type")));
      data.push_back(argument.bytes.data());
    }
    return executable->callWithData(name, data);
  }

  std::unique_ptr<CpuExecutable> executable;
  std::vector<StateInfo> stateInfos;
};

} // namespace

Expected<std::unique_ptr<Backend>>
runtime::createCpuBackend(ModuleOp module, const BackendOptions &options) {
  Expected<std::vector<StateInfo>> manifest = readManifest(module);
  if (!manifest)
    return manifest.takeError();
  Expected<std::unique_ptr<CpuExecutable>> executable =
      CpuExecutable::compile(module, toCompileOptions(options));
  if (!executable)
    return executable.takeError();
  return std::make_unique<CpuBackend>(std::move(*executable),
                                      std::move(*manifest));
}
