//===- OutlineChunks.cpp - split huge functions into chunk functions ------===//
//
// LLVM optimizes and compiles one function at a time, and several of its
// passes are quadratic in the size of the function they run on: the loop
// passes (IndVarSimplify, LoopRotate, LoopFullUnroll) spend time per loop
// that grows with the function (a 2,000-op chain's train step: 19 s of O3,
// 4x per doubling), the schedulers per instruction of a basic block. A
// generated model with thousands of ops gives one function thousands of
// loop nests. Cutting it into functions of a bounded number of ops makes
// the LLVM side linear; the extra cost is one call per chunk and step.
//
// A cut is placed only where no buffer other than a function argument, a
// global or a constant is live across it, so chunks exchange scalars only
// (and buffers they can name themselves): buffer deallocation and the
// calling convention see nothing new.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTOUTLINECHUNKS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
/// The ops a chunk is measured in: each becomes a loop nest or a call.
bool isStructured(Operation &op) {
  return op.getNumRegions() != 0 ||
         isa<linalg::LinalgOp, CallOpInterface, memref::CopyOp>(op);
}

/// The operations in `op`, itself and nested ones: a loop nest's payload
/// is straight-line code once LLVM unrolls short loops, and its passes and
/// schedulers are quadratic in the size of a basic block.
size_t countOps(Operation &op) {
  size_t count = 0;
  op.walk([&](Operation *) { ++count; });
  return count;
}

/// Values a chunk recreates rather than receives: side-effect free ops
/// of such operands or none (constants, memref.get_global, and the
/// memref.view of a planned buffer at a constant offset into its arena,
/// mlopt-allocs-to-globals).
bool isRematerializable(Value value, unsigned depth = 0) {
  Operation *op = value.getDefiningOp();
  return op && depth < 4 && op->getNumRegions() == 0 &&
         op->getNumResults() == 1 && isMemoryEffectFree(op) &&
         llvm::all_of(op->getOperands(), [&](Value operand) {
           return isRematerializable(operand, depth + 1);
         });
}

/// A copy of the rematerializable `value` and what it is made of at the
/// builder's insertion point; `copies` holds what was recreated there.
Value rematerialize(OpBuilder &builder, Value value, IRMapping &copies) {
  if (Value copy = copies.lookupOrNull(value))
    return copy;
  Operation *op = value.getDefiningOp();
  for (Value operand : op->getOperands())
    rematerialize(builder, operand, copies);
  Operation *copy = builder.clone(*op, copies);
  return copy->getResult(0);
}

class Outliner {
public:
  Outliner(func::FuncOp func, SymbolTable &symbols)
      : func(func), body(func.getBody().front()), symbols(symbols) {}

  /// Cuts the body into chunks of about `chunkSize` structured ops or
  /// `maxOps` operations, whichever comes first, that read about
  /// `maxArguments` values from before them at most.
  void run(unsigned chunkSize, unsigned maxOps, unsigned maxArguments) {
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (auto [i, op] : llvm::enumerate(ops))
      position[op] = i;
    // The last position at which each buffer defined so far is used.
    SmallVector<std::pair<size_t, size_t>> chunks; // [begin, end)
    size_t begin = 0, structured = 0, numOps = 0, bufferEnd = 0;
    // The values the current chunk reads from before it.
    llvm::DenseSet<Value> arguments;
    for (auto [i, op] : llvm::enumerate(ops)) {
      for (Value result : op->getResults())
        if (isa<BaseMemRefType>(result.getType()) &&
            !isRematerializable(result))
          bufferEnd = std::max(bufferEnd, lastUse(result));
      structured += isStructured(*op);
      numOps += countOps(*op);
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands()) {
          auto arg = dyn_cast<BlockArgument>(operand);
          if (arg ? arg.getOwner() == &body
                  : positionOf(operand.getDefiningOp()) < begin &&
                        !isRematerializable(operand))
            arguments.insert(operand);
        }
      });
      // A call passes a memref as 3 + 2 * rank scalars, and LLVM's
      // CalledValuePropagation is quadratic in a call's arguments.
      if ((structured >= chunkSize || numOps >= maxOps ||
           arguments.size() >= maxArguments) &&
          bufferEnd <= i) {
        chunks.push_back({begin, i + 1});
        begin = i + 1;
        structured = 0;
        numOps = 0;
        arguments.clear();
      }
    }
    if (begin < ops.size())
      chunks.push_back({begin, ops.size()});
    if (chunks.size() < 2)
      return;
    for (auto [index, chunk] : llvm::enumerate(chunks))
      outline(ArrayRef(ops).slice(chunk.first, chunk.second - chunk.first),
              index);
  }

private:
  /// Position of the op in the body that holds `op`; the terminator and
  /// anything not in the body count as the end.
  size_t positionOf(Operation *op) const {
    Operation *ancestor = body.findAncestorOpInBlock(*op);
    auto it = ancestor ? position.find(ancestor) : position.end();
    return it == position.end() ? std::numeric_limits<size_t>::max()
                                : it->second;
  }

  size_t lastUse(Value value) const {
    size_t last = 0;
    for (Operation *user : value.getUsers())
      last = std::max(last, positionOf(user));
    return last;
  }

  void outline(ArrayRef<Operation *> chunk, size_t index) {
    size_t first = position.lookup(chunk.front());
    size_t last = position.lookup(chunk.back());
    auto isInside = [&](Value value) {
      if (auto arg = dyn_cast<BlockArgument>(value))
        return arg.getOwner() != &body;
      size_t at = positionOf(value.getDefiningOp());
      return at >= first && at <= last;
    };
    // Values from before the chunk, with their uses in it.
    llvm::MapVector<Value, SmallVector<OpOperand *>> liveIns;
    for (Operation *op : chunk)
      op->walk([&](Operation *nested) {
        for (OpOperand &operand : nested->getOpOperands())
          if (!isInside(operand.get()))
            liveIns[operand.get()].push_back(&operand);
      });
    // Values of the chunk used after it.
    SmallVector<Value> liveOuts;
    for (Operation *op : chunk)
      for (Value result : op->getResults())
        if (llvm::any_of(result.getUsers(), [&](Operation *user) {
              return positionOf(user) > last;
            }))
          liveOuts.push_back(result);

    SmallVector<Value> arguments;
    for (auto &[value, uses] : liveIns)
      if (!isRematerializable(value))
        arguments.push_back(value);
    SmallVector<Value> results;
    for (Value value : liveOuts)
      if (!isRematerializable(value))
        results.push_back(value);

    OpBuilder builder(func);
    Location loc = chunk.front()->getLoc();
    auto type = builder.getFunctionType(ValueRange(arguments).getTypes(),
                                        ValueRange(results).getTypes());
    auto chunkFunc = func::FuncOp::create(
        builder, loc, (func.getSymName() + "_chunk" + llvm::Twine(index)).str(),
        type);
    chunkFunc.setPrivate();
    MLIRContext *ctx = func.getContext();
    chunkFunc->setAttr("llvm.linkage",
                       LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    chunkFunc->setAttr("passthrough", builder.getArrayAttr(
                                          {builder.getStringAttr("noinline")}));
    symbols.insert(chunkFunc);

    Block *entry = chunkFunc.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    unsigned numArgs = 0;
    IRMapping copiesInside;
    for (auto &[value, uses] : liveIns) {
      Value replacement = isRematerializable(value)
                              ? rematerialize(builder, value, copiesInside)
                              : Value(entry->getArgument(numArgs++));
      for (OpOperand *use : uses)
        use->set(replacement);
    }
    Operation *next = chunk.back()->getNextNode();
    entry->getOperations().splice(entry->end(), body.getOperations(),
                                  chunk.front()->getIterator(),
                                  next->getIterator());
    builder.setInsertionPointToEnd(entry);
    func::ReturnOp::create(builder, loc, results);

    // The call in the chunk's place; later uses read its results or
    // recreate what the chunk recreated.
    builder.setInsertionPoint(next);
    auto call = func::CallOp::create(builder, loc, chunkFunc, arguments);
    unsigned numResults = 0;
    IRMapping copiesAfter;
    for (Value value : liveOuts) {
      Value replacement = isRematerializable(value)
                              ? rematerialize(builder, value, copiesAfter)
                              : Value(call.getResult(numResults++));
      value.replaceUsesWithIf(replacement, [&](OpOperand &use) {
        return !chunkFunc->isProperAncestor(use.getOwner());
      });
    }
  }

  func::FuncOp func;
  Block &body;
  SymbolTable &symbols;
  llvm::DenseMap<Operation *, size_t> position;
};

struct OutlineChunksPass
    : public mlir::mlopt::impl::MLOptOutlineChunksBase<OutlineChunksPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    unsigned size = std::max(1u, chunkSize.getValue());
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal() || !llvm::hasSingleElement(func.getBody()))
        continue;
      Block &body = func.getBody().front();
      size_t structured = llvm::count_if(body, isStructured);
      size_t numOps = 0;
      for (Operation &op : body)
        numOps += countOps(op);
      if (structured > threshold || numOps > opThreshold)
        Outliner(func, symbols)
            .run(size, std::max(1u, maxOps.getValue()),
                 std::max(1u, maxArguments.getValue()));
    }
  }
};
} // namespace
