//===- BackendRegistry.cpp - the backends a session can compile for -------===//

#include "mlopt/Runtime/Backend.h"
#include "mlopt/Runtime/CpuBackend.h"

#include "llvm/ADT/StringExtras.h"

#include <map>
#include <mutex>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;

namespace {
struct Registry {
  std::mutex mutex;
  std::map<std::string, BackendInfo, std::less<>> backends;
};
} // namespace

/// The registry with the built-in backends; other backends (the GPU) add
/// themselves through registerBackend().
static Registry &getRegistry() {
  static Registry *registry = [] {
    auto *result = new Registry;
    BackendInfo reference;
    reference.name = "reference";
    reference.description =
        "interprets the training module with the reference evaluator";
    reference.buildLowering = [](OpPassManager &, const BackendOptions &) {
      return llvm::Error::success();
    };
    reference.create = [](ModuleOp module, const BackendOptions &) {
      return createReferenceBackend(module);
    };
    result->backends[reference.name] = std::move(reference);

    BackendInfo cpu;
    cpu.name = "cpu";
    cpu.description = "native code for the host CPU through LLVM (JIT, with "
                      "an on-disk compile cache)";
    cpu.buildLowering = [](OpPassManager &pm, const BackendOptions &options) {
      return buildCpuLowering(pm, toCompileOptions(options));
    };
    cpu.create = [](ModuleOp module, const BackendOptions &options) {
      return createCpuBackend(module, options);
    };
    result->backends[cpu.name] = std::move(cpu);
    return result;
  }();
  return *registry;
}

void runtime::registerBackend(BackendInfo info) {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  std::string name = info.name;
  registry.backends[name] = std::move(info);
}

llvm::Expected<const BackendInfo &>
runtime::lookupBackend(llvm::StringRef name) {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto it = registry.backends.find(name);
  if (it != registry.backends.end())
    return it->second;
  std::vector<std::string> names;
  for (const auto &entry : registry.backends)
    names.push_back(entry.first);
  return llvm::createStringError("unknown backend '" + name +
                                 "' (registered: " + llvm::join(names, ", ") +
                                 ")");
}

std::vector<std::string> runtime::getRegisteredBackends() {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  std::vector<std::string> names;
  for (const auto &entry : registry.backends)
    names.push_back(entry.first);
  return names;
}
