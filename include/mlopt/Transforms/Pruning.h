//===- Pruning.h - names shared by the pruning passes -----------*- C++ -*-===//
//
// The state names that `mlopt-prune` creates and that `mlopt-prune-finalize`
// and the runtime's sparsity report look for (issue #10).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_PRUNING_H
#define MLOPT_TRANSFORMS_PRUNING_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::mlopt {

/// The `step` state (`tensor<i64>`, initialized to zeros) that drives the
/// sparsity schedule: the number of training steps the masks have seen.
inline constexpr llvm::StringLiteral kPruningStepStateName = "pruning.step";

/// The suffix of a mask state's name: the mask of `fc1.weight` is
/// `fc1.weight.mask` (PyTorch's `weight_mask`, in state_dict naming).
inline constexpr llvm::StringLiteral kMaskStateSuffix = ".mask";

/// The name of the mask state of the state `name`.
inline std::string getMaskStateName(llvm::StringRef name) {
  return (name + kMaskStateSuffix).str();
}

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_PRUNING_H
