//===- CollectiveKernels.cpp - the collectives in a world of one ----------===//
//
// The reference evaluator runs one rank. There every collective is the
// identity: the sum, mean, max or min over one rank is the value itself,
// gathering or scattering over one rank keeps the whole tensor, and rank 0
// is every root. Ops built for more ranks, and send/recv (which need a
// peer), are reported as located errors.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

/// The operands, unchanged, as the results, or a located error when the op
/// was built for more than one rank.
static FailureOr<SmallVector<Tensor>>
evaluateInWorldOfOne(Operation *op, int64_t ranks,
                     ArrayRef<const Tensor *> operands) {
  if (ranks != 1)
    return op->emitError("the reference evaluator runs one rank; '")
           << op->getName() << "' is for " << ranks << " ranks";
  SmallVector<Tensor> results;
  for (const Tensor *operand : operands)
    results.push_back(*operand);
  return results;
}

KernelResults
reference::evaluateCollectiveOp(Operation *op,
                                ArrayRef<const Tensor *> operands) {
  return llvm::TypeSwitch<Operation *, KernelResults>(op)
      .Case<AllReduceOp, AllGatherOp, ReduceScatterOp, BroadcastOp, ReduceOp,
            LocalShardOp, SendOp, RecvOp>(
          [&](auto collective) -> KernelResults {
            return evaluateInWorldOfOne(op, collective.getRanks(), operands);
          })
      .Default([](Operation *) { return std::nullopt; });
}
