//===- EraseDeadOps.h - erase ops with what only they used ------*- C++ -*-===//
//
// Internal to lib/Transforms: the model rewrites that remove a computation
// (finalizing pruning, the int8 conversion) erase its last ops and let the
// producers that nothing else uses go with them.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_TRANSFORMS_ERASEDEADOPS_H
#define MLOPT_LIB_TRANSFORMS_ERASEDEADOPS_H

#include "mlir/IR/Operation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::mlopt {

/// Erases `ops` (those without uses), then the ops that only they used, as
/// far as nothing else uses them and they have no effect but reads.
inline void eraseWithDeadProducers(ArrayRef<Operation *> ops) {
  SmallVector<Operation *> worklist(ops.begin(), ops.end());
  llvm::DenseSet<Operation *> erased;
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (erased.contains(op) || !op->use_empty())
      continue;
    llvm::SetVector<Operation *> producers;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        producers.insert(def);
    erased.insert(op);
    op->erase();
    for (Operation *producer : producers)
      if (!erased.contains(producer) && producer->use_empty() &&
          wouldOpBeTriviallyDead(producer))
        worklist.push_back(producer);
  }
}

} // namespace mlir::mlopt

#endif // MLOPT_LIB_TRANSFORMS_ERASEDEADOPS_H
