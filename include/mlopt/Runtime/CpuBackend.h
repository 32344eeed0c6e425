//===- CpuBackend.h - training as JIT-compiled CPU code ---------*- C++ -*-===//

#ifndef MLOPT_RUNTIME_CPUBACKEND_H
#define MLOPT_RUNTIME_CPUBACKEND_H

#include "mlopt/Runtime/Backend.h"
#include "mlopt/Runtime/CpuExecutable.h"

#include <string>

namespace mlir::mlopt::runtime {

/// The CPU compile options that `options` ask for.
CpuCompileOptions toCompileOptions(const BackendOptions &options);

/// Lowers a clone of `module` (a training module: init, train_step,
/// eval_step and the manifest) with mlopt-lower-to-cpu and JIT-compiles it
/// for the host, reusing the on-disk compile cache.
llvm::Expected<std::unique_ptr<Backend>>
createCpuBackend(ModuleOp module, const BackendOptions &options = {});

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CPUBACKEND_H
