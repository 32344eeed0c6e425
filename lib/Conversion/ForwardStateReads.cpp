//===- ForwardStateReads.cpp - one read per state value -------------------===//
//
// The training-step passes read a parameter again where they use it (the
// optimizer reads what the loss already read), with writes of other states
// in between. A state read has a memory effect: CSE merges two reads only
// after scanning the ops between them for a write, and caches the scan per
// first read, so N parameters cost N scans of O(N) ops (4,000 parameters:
// 2.4 s of CSE, 3.8x per doubling). Forwarding each read to the value the
// block already holds leaves CSE no reads to merge; it is what
// mlopt-externalize-state does with every read later on.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTFORWARDSTATEREADS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
/// Forwards the reads of `block` in one walk over its ops.
void forwardReads(Block &block) {
  // State -> its value at this point of the block.
  llvm::DenseMap<Attribute, Value> current;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto read = dyn_cast<StateReadOp>(op)) {
      auto [it, inserted] =
          current.try_emplace(read.getStateAttr(), read.getResult());
      if (!inserted && it->second.getType() == read.getType()) {
        read.replaceAllUsesWith(it->second);
        read.erase();
      }
      continue;
    }
    if (auto write = dyn_cast<StateWriteOp>(op)) {
      current[write.getStateAttr()] = write.getValue();
      continue;
    }
    // Anything else that may write memory (a call, a region holding state
    // accesses) may change any state.
    if (!isMemoryEffectFree(&op))
      current.clear();
  }
}

struct ForwardStateReadsPass
    : public mlir::mlopt::impl::MLOptForwardStateReadsBase<
          ForwardStateReadsPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation()->walk([](Block *block) { forwardReads(*block); });
  }
};
} // namespace
