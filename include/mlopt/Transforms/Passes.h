//===- Passes.h - mlopt training-step passes --------------------*- C++ -*-===//

#ifndef MLOPT_TRANSFORMS_PASSES_H
#define MLOPT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::mlopt {

#define GEN_PASS_DECL
#include "mlopt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mlopt/Transforms/Passes.h.inc"

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_PASSES_H
