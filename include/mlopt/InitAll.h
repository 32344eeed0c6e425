//===- InitAll.h - register every mlopt dialect and pass --------*- C++ -*-===//

#ifndef MLOPT_INITALL_H
#define MLOPT_INITALL_H

#include "mlopt/Conversion/Passes.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Transforms/Passes.h"
#include "mlopt/Transforms/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"

namespace mlir::mlopt {

/// Registers the mlopt dialect and the upstream dialects a model uses.
inline void registerAllDialects(DialectRegistry &registry) {
  registry.insert<MLOptDialect, func::FuncDialect>();
}

/// Registers every mlopt pass and pipeline.
inline void registerAllPasses() {
  registerMLOptPasses();
  registerMLOptPipelines();
  registerMLOptConversionPasses();
  registerMLOptConversionPipelines();
}

} // namespace mlir::mlopt

#endif // MLOPT_INITALL_H
