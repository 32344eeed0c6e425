//===- SplitBlocksAtLoops.cpp - one block per loop nest -------------------===//
//
// convert-scf-to-cf lowers an scf op by splitting its block right after it:
// every op behind it moves to a new block (and, with pattern rollback, is
// recorded as moved). The loop lowering leaves one loop nest per linalg op
// in a function's single block, so N ops cost O(N^2) moves (4,000 loop
// nests: 0.8 s, 4x per doubling). Splitting the blocks beforehand, from the
// last scf op back, moves each op once, and leaves convert-scf-to-cf blocks
// that end right after their scf op.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTSPLITBLOCKSATLOOPS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
struct SplitBlocksAtLoopsPass
    : public mlir::mlopt::impl::MLOptSplitBlocksAtLoopsBase<
          SplitBlocksAtLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    OpBuilder builder(&getContext());
    SmallVector<Block *> blocks = llvm::map_to_vector(
        getOperation().getBody(), [](Block &block) { return &block; });
    for (Block *block : blocks) {
      if (block->empty() || !block->mightHaveTerminator())
        continue;
      Operation *terminator = block->getTerminator();
      SmallVector<Operation *> splitAfter;
      for (Operation &op : *block)
        if (op.getNumRegions() != 0 &&
            isa_and_nonnull<scf::SCFDialect>(op.getDialect()) &&
            op.getNextNode() != terminator && &op != terminator)
          splitAfter.push_back(&op);
      // From the back: each split moves only the ops up to the previous one.
      for (Operation *op : llvm::reverse(splitAfter)) {
        Block *tail = block->splitBlock(op->getNextNode());
        builder.setInsertionPointToEnd(block);
        cf::BranchOp::create(builder, op->getLoc(), tail);
      }
    }
  }
};
} // namespace
