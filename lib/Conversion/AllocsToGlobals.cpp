//===- AllocsToGlobals.cpp - plan an entry point's buffers once -----------===//
//
// A training step must not allocate parameter-sized buffers on every call
// (DESIGN section 2): its static temporaries become module globals.
//
// Buffers whose live ranges in their block do not overlap share one global
// (same type and alignment), so the memory is closer to the temporaries'
// peak than to their sum. One-shot bufferization reuses a buffer only where
// many ops write into one shared tensor.empty, and that sharing makes its
// analysis quadratic (mlopt-externalize-state gives every empty one use);
// here the reuse costs one walk over each buffer's uses and a sort.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <limits>
#include <queue>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTALLOCSTOGLOBALS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
constexpr unsigned kLiveToEnd = std::numeric_limits<unsigned>::max();

/// A buffer and the positions (in its block) of the first and last op that
/// uses it or a value derived from it; the use itself where it is the only
/// one at that position and an operand of the op there (not of an op nested
/// in it, not through a derived value).
struct LiveRange {
  memref::AllocOp alloc;
  unsigned first = kLiveToEnd;
  unsigned last = 0;
  OpOperand *firstUse = nullptr;
  OpOperand *lastUse = nullptr;
};

/// Whether `op`'s results carry no address of its operands: a load's
/// results are data. Everything else (views, casts, the pointer extraction
/// behind the BLAS calls, index arithmetic on it, calls) is followed.
bool yieldsOnlyData(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  return effects && effects.onlyHasEffect<MemoryEffects::Read>() &&
         llvm::none_of(op->getResultTypes(), llvm::IsaPred<BaseMemRefType>);
}

/// The live range of `alloc` in `block`: every use of the buffer and of the
/// values derived from it, as the position of its ancestor in `block`. A
/// use elsewhere, or a derived value that is returned, keeps the buffer
/// live to the end.
LiveRange computeLiveRange(memref::AllocOp alloc, Block &block,
                           const llvm::DenseMap<Operation *, unsigned> &order,
                           Operation *func) {
  LiveRange range;
  range.alloc = alloc;
  range.last = order.lookup(alloc);
  // Uses at the first and last position; single direct ones are recorded.
  unsigned numFirst = 0, numLast = 0;
  auto record = [&](unsigned position, OpOperand *use) {
    if (position < range.first) {
      range.first = position;
      numFirst = 0;
    }
    if (position == range.first && numFirst++ == 0)
      range.firstUse = use;
    if (position > range.last) {
      range.last = position;
      numLast = 0;
    }
    if (position == range.last && numLast++ == 0)
      range.lastUse = use;
  };
  SmallVector<Value> worklist = {alloc.getResult()};
  llvm::DenseSet<Value> seen = {alloc.getResult()};
  auto follow = [&](ValueRange values) {
    for (Value value : values)
      if (seen.insert(value).second)
        worklist.push_back(value);
  };
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      Operation *ancestor = block.findAncestorOpInBlock(*user);
      if (!ancestor || isa<func::ReturnOp>(user)) {
        record(order.lookup(alloc), nullptr);
        record(kLiveToEnd, nullptr);
        continue;
      }
      bool direct = ancestor == user && value == alloc.getResult();
      record(order.lookup(ancestor), direct ? &use : nullptr);
      if (!yieldsOnlyData(user))
        follow(user->getResults());
      // A value yielded out of a nested region lives on in the parent's
      // results.
      if (user->hasTrait<OpTrait::IsTerminator>() &&
          user->getParentOp() != func)
        follow(user->getParentOp()->getResults());
    }
  }
  if (range.first == kLiveToEnd) // no uses
    range.first = range.last;
  if (numFirst != 1)
    range.firstUse = nullptr;
  if (numLast != 1)
    range.lastUse = nullptr;
  return range;
}

/// Whether the op at `read`, the last use of one buffer, may write the
/// first use of another, `write`, into the same memory: an all-parallel
/// linalg op that reads the one element of `read` it writes to `write`
/// (equal permutation maps) and ignores `write`'s old contents. One-shot
/// bufferization makes such elementwise ops in place the same way.
bool canWriteInPlace(OpOperand *read, OpOperand *write) {
  if (!read || !write || read->getOwner() != write->getOwner())
    return false;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(read->getOwner());
  if (!linalgOp || !linalgOp.hasPureBufferSemantics() ||
      linalgOp.getNumParallelLoops() != linalgOp.getNumLoops() ||
      !linalgOp.isDpsInput(read) || !linalgOp.isDpsInit(write) ||
      linalgOp.payloadUsesValueFromOperand(write))
    return false;
  AffineMap map = linalgOp.getMatchingIndexingMap(read);
  return map.isPermutation() && map == linalgOp.getMatchingIndexingMap(write);
}

/// Whether the pass turns `alloc` into a global.
bool isPlannable(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !alloc.getDynamicSizes().empty() || !alloc.getSymbolOperands().empty())
    return false;
  // A returned buffer must stay distinct from one call to the next.
  return llvm::none_of(alloc->getUsers(), llvm::IsaPred<func::ReturnOp>);
}

struct AllocsToGlobalsPass
    : mlopt::impl::MLOptAllocsToGlobalsBase<AllocsToGlobalsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      unsigned numGlobals = 0;
      auto createGlobal = [&](memref::AllocOp alloc) {
        OpBuilder builder(module.getBodyRegion());
        builder.setInsertionPoint(func);
        std::string name = ("__mlopt_buffer_" + func.getSymName() + "_" +
                            llvm::Twine(numGlobals++))
                               .str();
        auto global = memref::GlobalOp::create(
            builder, alloc.getLoc(), name, builder.getStringAttr("private"),
            alloc.getType(), builder.getUnitAttr(), /*constant=*/false,
            alloc.getAlignmentAttr());
        symbols.insert(global);
        return global;
      };
      // Only allocations in the function's own body run once per call.
      for (Block &block : func.getBody()) {
        llvm::DenseMap<Operation *, unsigned> order;
        SmallVector<LiveRange> ranges;
        for (Operation &op : block) {
          order[&op] = order.size();
          if (auto alloc = dyn_cast<memref::AllocOp>(op);
              alloc && isPlannable(alloc))
            ranges.push_back({alloc, 0, 0});
        }
        for (LiveRange &range : ranges)
          range = computeLiveRange(range.alloc, block, order, func);
        llvm::stable_sort(ranges, [](const LiveRange &a, const LiveRange &b) {
          return a.first < b.first;
        });

        // Linear scan: a global whose last user precedes a buffer's first
        // one is free for it.
        using Key = std::pair<Type, Attribute>;
        llvm::DenseMap<Key, SmallVector<memref::GlobalOp>> free;
        using Busy = std::pair<unsigned, unsigned>; // (last, index in ranges)
        std::priority_queue<Busy, std::vector<Busy>, std::greater<Busy>> busy;
        SmallVector<memref::GlobalOp> assigned(ranges.size());
        auto keyOf = [](memref::AllocOp alloc) -> Key {
          return {alloc.getType(), alloc.getAlignmentAttr()};
        };
        for (auto [i, range] : llvm::enumerate(ranges)) {
          while (!busy.empty() && busy.top().first < range.first) {
            free[keyOf(ranges[busy.top().second].alloc)].push_back(
                assigned[busy.top().second]);
            busy.pop();
          }
          Key key = keyOf(range.alloc);
          auto &pool = free[key];
          if (!pool.empty()) {
            assigned[i] = pool.pop_back_val();
          } else {
            // A buffer last read, elementwise, by the op that first writes
            // this one.
            SmallVector<Busy> ending;
            while (!busy.empty() && busy.top().first == range.first) {
              ending.push_back(busy.top());
              busy.pop();
            }
            for (Busy &entry : ending) {
              const LiveRange &other = ranges[entry.second];
              if (!assigned[i] && keyOf(other.alloc) == key &&
                  canWriteInPlace(other.lastUse, range.firstUse))
                assigned[i] = assigned[entry.second];
              else
                busy.push(entry);
            }
            if (!assigned[i])
              assigned[i] = createGlobal(range.alloc);
          }
          busy.push({range.last, static_cast<unsigned>(i)});
        }

        for (auto [range, global] : llvm::zip(ranges, assigned)) {
          memref::AllocOp alloc = range.alloc;
          OpBuilder builder(alloc);
          auto use = memref::GetGlobalOp::create(
              builder, alloc.getLoc(), alloc.getType(), global.getSymName());
          alloc.replaceAllUsesWith(use.getResult());
          alloc.erase();
        }
      }
    }
  }
};
} // namespace
