//===- SetBatchSize.h - rewrite the model's batch dimension -----*- C++ -*-===//
//
// The rewrite of `mlopt-set-batch-size` (Passes.td) as a function, for the
// passes that bring in another model at the student's batch
// (`mlopt-distill`'s teacher).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_SETBATCHSIZE_H
#define MLOPT_TRANSFORMS_SETBATCHSIZE_H

#include "mlir/IR/BuiltinOps.h"

#include <cstdint>

namespace mlir::mlopt {

/// Sets dimension 0 of the loss function's `mlopt.input` and `mlopt.label`
/// arguments of the model `module` to `size` and propagates it through the
/// function, as `mlopt-set-batch-size{size=...}` does. On failure a located
/// error has been emitted.
LogicalResult setBatchSize(ModuleOp module, int64_t size);

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_SETBATCHSIZE_H
