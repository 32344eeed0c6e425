//===- AllocsToGlobals.cpp - plan an entry point's buffers once -----------===//
//
// A training step must not allocate parameter-sized buffers on every call
// (DESIGN section 2): its static temporaries become views of one module
// global per function, a byte arena planned at compile time.
//
// Buffers whose live ranges in their block do not overlap may take the same
// bytes, whatever their types, so the arena is close to the temporaries'
// peak, not their sum. One-shot bufferization reuses a buffer only where
// many ops write into one shared tensor.empty, and that sharing makes its
// analysis quadratic (mlopt-externalize-state gives every empty one use);
// here the reuse costs one walk over each buffer's uses and a packing that
// compares each buffer with the ones placed before it.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlopt/Conversion/BufferPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"

#include <limits>
#include <numeric>
#include <optional>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTALLOCSTOGLOBALS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
constexpr unsigned kLiveToEnd = std::numeric_limits<unsigned>::max();

/// Every buffer in the arena starts at a multiple of this (or of its own
/// larger alignment): a cache line, and the alignment the lowering gives
/// its allocations, so vector loads see what they saw before.
constexpr uint64_t kMinAlignment = 64;

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
  /// A value derived from the buffer is returned: it must stay distinct
  /// from one call to the next.
  bool escapes = false;
};

/// Whether `op`'s results carry no address of its operands: a load's
/// results are data. Everything else (views, casts, the pointer extraction
/// behind the BLAS calls, index arithmetic on it, calls) is followed.
bool yieldsOnlyData(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  return effects && effects.onlyHasEffect<MemoryEffects::Read>() &&
         llvm::none_of(op->getResultTypes(), llvm::IsaPred<BaseMemRefType>);
}

/// Whether a call may keep a pointer it receives beyond its return: the
/// communicator's functions collect a bucket's buffers (bucket_add) and
/// read and write them in a later call that names none of them.
bool mayRetainPointers(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee().starts_with("mlopt_comm_");
}

/// The live range of `alloc` in `block`: every use of the buffer and of the
/// values derived from it, as the position of its ancestor in `block`. A
/// use elsewhere, a derived value that is returned, or one handed to a call
/// that may retain it keeps the buffer live to the end.
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
      bool returned = isa<func::ReturnOp>(user);
      range.escapes |= returned;
      if (!ancestor || returned || mayRetainPointers(user)) {
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

/// Whether the pass may plan `alloc` (before its live range is known).
bool isPlannable(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  return type.hasStaticShape() && type.getLayout().isIdentity() &&
         !type.getMemorySpace() && alloc.getDynamicSizes().empty() &&
         alloc.getSymbolOperands().empty();
}

/// Bytes of one element of `type` as the lowered code lays it out, for the
/// element types the arena holds (i1 takes a byte).
std::optional<uint64_t> getElementBytes(Type type, const DataLayout &layout) {
  if (!isa<IntegerType, FloatType, IndexType>(type))
    return std::nullopt;
  return layout.getTypeSize(type).getFixedValue();
}

/// A planned buffer: its live range, size, alignment and, once packed, its
/// offset in the arena.
struct Buffer {
  LiveRange range;
  uint64_t bytes = 0;
  uint64_t alignment = kMinAlignment;
  uint64_t offset = 0;
};

bool overlapInTime(const Buffer &a, const Buffer &b) {
  return a.range.first <= b.range.last && b.range.first <= a.range.last;
}

bool overlapInMemory(uint64_t offset, uint64_t bytes, const Buffer &other) {
  return offset < other.offset + other.bytes && other.offset < offset + bytes;
}

/// Whether `later` may take `earlier`'s bytes although both are used by the
/// op where one ends and the other begins (canWriteInPlace).
bool isInPlacePair(const Buffer &earlier, const Buffer &later) {
  return earlier.range.last == later.range.first &&
         memref::AllocOp(earlier.range.alloc).getType() ==
             memref::AllocOp(later.range.alloc).getType() &&
         canWriteInPlace(earlier.range.lastUse, later.range.firstUse);
}

/// Assigns every buffer an offset such that buffers live at the same time
/// do not share a byte (except an elementwise op's input and output,
/// isInPlacePair), each at a multiple of its alignment. Greedy by size:
/// the largest first, each into the smallest gap left between the placed
/// buffers that overlap it in time, or above them all. Returns the bytes
/// the buffers span.
uint64_t packBuffers(MutableArrayRef<Buffer> buffers) {
  SmallVector<unsigned> order(buffers.size());
  std::iota(order.begin(), order.end(), 0u);
  llvm::stable_sort(order, [&](unsigned a, unsigned b) {
    if (buffers[a].bytes != buffers[b].bytes)
      return buffers[a].bytes > buffers[b].bytes;
    return buffers[a].range.first < buffers[b].range.first;
  });
  SmallVector<unsigned> placed;
  uint64_t total = 0;
  for (unsigned index : order) {
    Buffer &buffer = buffers[index];
    SmallVector<unsigned> live;
    for (unsigned other : placed)
      if (overlapInTime(buffer, buffers[other]))
        live.push_back(other);
    auto fits = [&](uint64_t offset, unsigned except) {
      return llvm::none_of(live, [&](unsigned other) {
        return other != except &&
               overlapInMemory(offset, buffer.bytes, buffers[other]);
      });
    };
    std::optional<uint64_t> chosen;
    for (unsigned other : live) {
      const Buffer &partner = buffers[other];
      if ((isInPlacePair(partner, buffer) || isInPlacePair(buffer, partner)) &&
          partner.offset % buffer.alignment == 0 &&
          fits(partner.offset, other)) {
        chosen = partner.offset;
        break;
      }
    }
    if (!chosen) {
      llvm::sort(live, [&](unsigned a, unsigned b) {
        return buffers[a].offset < buffers[b].offset;
      });
      uint64_t end = 0;
      uint64_t bestGap = std::numeric_limits<uint64_t>::max();
      for (unsigned other : live) {
        uint64_t start = llvm::alignTo(end, buffer.alignment);
        if (buffers[other].offset >= start + buffer.bytes &&
            buffers[other].offset - start < bestGap) {
          bestGap = buffers[other].offset - start;
          chosen = start;
        }
        end = std::max(end, buffers[other].offset + buffers[other].bytes);
      }
      if (!chosen)
        chosen = llvm::alignTo(end, buffer.alignment);
    }
    buffer.offset = *chosen;
    total = std::max(total, buffer.offset + buffer.bytes);
    placed.push_back(index);
  }
  return total;
}

struct AllocsToGlobalsPass
    : mlopt::impl::MLOptAllocsToGlobalsBase<AllocsToGlobalsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>()))
      if (!func.isExternal())
        planFunction(func, symbols);
  }

  void planFunction(func::FuncOp func, SymbolTable &symbols) {
    ModuleOp module = getOperation();
    DataLayout layout = DataLayout::closest(func);
    uint64_t arenaBytes = 0, temporaryBytes = 0, ownBytes = 0;
    uint64_t arenaAlignment = kMinAlignment;
    unsigned numGlobals = 0;
    auto createGlobal = [&](Location loc, MemRefType type,
                            IntegerAttr alignment, StringRef kind) {
      OpBuilder builder(module.getBodyRegion());
      builder.setInsertionPoint(func);
      std::string name = ("__mlopt_" + kind + "_" + func.getSymName() + "_" +
                          llvm::Twine(numGlobals++))
                             .str();
      auto global = memref::GlobalOp::create(
          builder, loc, name, builder.getStringAttr("private"), type,
          builder.getUnitAttr(), /*constant=*/false, alignment);
      symbols.insert(global);
      return global;
    };

    // The arena's buffers, with the position of their block's part.
    struct Planned {
      Buffer buffer;
      uint64_t base = 0;
    };
    SmallVector<Planned> inArena;
    // Only allocations in the function's own body run once per call. The
    // blocks of a body get disjoint parts of the arena: positions are
    // per block, and a buffer of one block may be used in another.
    for (Block &block : func.getBody()) {
      llvm::DenseMap<Operation *, unsigned> order;
      SmallVector<memref::AllocOp> allocs;
      for (Operation &op : block) {
        order[&op] = order.size();
        if (auto alloc = dyn_cast<memref::AllocOp>(op);
            alloc && isPlannable(alloc))
          allocs.push_back(alloc);
      }
      SmallVector<Buffer> buffers;
      for (memref::AllocOp alloc : allocs) {
        LiveRange range = computeLiveRange(alloc, block, order, func);
        if (range.escapes)
          continue;
        MemRefType type = alloc.getType();
        uint64_t alignment =
            std::max<uint64_t>(alloc.getAlignment().value_or(1), 1);
        std::optional<uint64_t> elementBytes =
            getElementBytes(type.getElementType(), layout);
        if (!elementBytes) {
          // An element type the arena does not lay out (vectors, say): a
          // global of its own, the lowering's layout.
          if (auto vector = dyn_cast<VectorType>(type.getElementType()))
            ownBytes += layout.getTypeSize(vector).getFixedValue() *
                        uint64_t(type.getNumElements());
          auto global = createGlobal(alloc.getLoc(), type,
                                     alloc.getAlignmentAttr(), "buffer");
          replaceAlloc(alloc, [&](OpBuilder &builder) {
            return memref::GetGlobalOp::create(builder, alloc.getLoc(), type,
                                               global.getSymName());
          });
          continue;
        }
        Buffer buffer;
        buffer.range = range;
        buffer.bytes = *elementBytes * uint64_t(type.getNumElements());
        buffer.alignment =
            std::max(kMinAlignment, llvm::PowerOf2Ceil(alignment));
        buffers.push_back(buffer);
      }
      uint64_t blockAlignment = kMinAlignment;
      for (Buffer &buffer : buffers)
        blockAlignment = std::max(blockAlignment, buffer.alignment);
      uint64_t base = llvm::alignTo(arenaBytes, blockAlignment);
      uint64_t spanned = packBuffers(buffers);
      arenaAlignment = std::max(arenaAlignment, blockAlignment);
      for (Buffer &buffer : buffers) {
        temporaryBytes += buffer.bytes;
        inArena.push_back({buffer, base});
      }
      if (!buffers.empty())
        arenaBytes = base + spanned;
    }

    if (!inArena.empty()) {
      // At least one byte, so that a function of empty buffers has a
      // global to view.
      auto arenaType =
          MemRefType::get({int64_t(std::max<uint64_t>(arenaBytes, 1))},
                          IntegerType::get(&getContext(), 8));
      OpBuilder attrs(&getContext());
      auto arena = createGlobal(
          func.getLoc(), arenaType,
          attrs.getI64IntegerAttr(int64_t(arenaAlignment)), "arena");
      for (Planned &planned : inArena) {
        memref::AllocOp alloc = planned.buffer.range.alloc;
        replaceAlloc(alloc, [&](OpBuilder &builder) {
          Location loc = alloc.getLoc();
          Value bytes = memref::GetGlobalOp::create(builder, loc, arenaType,
                                                    arena.getSymName());
          Value offset = arith::ConstantIndexOp::create(
              builder, loc, int64_t(planned.base + planned.buffer.offset));
          return memref::ViewOp::create(builder, loc, alloc.getType(), bytes,
                                        offset, ValueRange());
        });
      }
    }
    Builder builder(&getContext());
    func->setAttr(mlopt::kBufferBytesAttrName,
                  builder.getI64IntegerAttr(int64_t(arenaBytes + ownBytes)));
    func->setAttr(
        mlopt::kTemporaryBytesAttrName,
        builder.getI64IntegerAttr(int64_t(temporaryBytes + ownBytes)));
  }

  /// Replaces `alloc` by the value `build` creates in its place; a
  /// deallocation of it goes away with it.
  template <typename Build>
  static void replaceAlloc(memref::AllocOp alloc, Build build) {
    for (Operation *user : llvm::to_vector(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    OpBuilder builder(alloc);
    Value replacement = build(builder);
    alloc.replaceAllUsesWith(replacement);
    alloc.erase();
  }
};
} // namespace
