//===- Pruning.h - names shared by the pruning passes -----------*- C++ -*-===//
//
// The state names that `mlopt-prune` creates and that `mlopt-prune-finalize`
// and the runtime's sparsity report look for (issue #10).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_PRUNING_H
#define MLOPT_TRANSFORMS_PRUNING_H

#include "llvm/ADT/StringRef.h"

namespace mlir::mlopt {

/// The `step` state (`tensor<i64>`, initialized to zeros) that drives the
/// sparsity schedule: the number of training steps the masks have seen.
inline constexpr llvm::StringLiteral kPruningStepStateName = "pruning.step";

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_PRUNING_H
