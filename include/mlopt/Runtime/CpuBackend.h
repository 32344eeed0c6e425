//===- CpuBackend.h - training as JIT-compiled CPU code ---------*- C++ -*-===//

#ifndef MLOPT_RUNTIME_CPUBACKEND_H
#define MLOPT_RUNTIME_CPUBACKEND_H

#include "mlopt/Runtime/Backend.h"

#include <string>

namespace mlir::mlopt::runtime {

/// The pipeline that lowers a training module for the CPU backend, in
/// mlopt-opt syntax.
std::string cpuLoweringPipeline();

/// Lowers a clone of `module` (a training module: init, train_step,
/// eval_step and the manifest) to LLVM and JIT-compiles it for the host,
/// reusing the on-disk compile cache.
llvm::Expected<std::unique_ptr<Backend>> createCpuBackend(ModuleOp module);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CPUBACKEND_H
