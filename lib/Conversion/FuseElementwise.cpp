//===- FuseElementwise.cpp - fuses elementwise linalg.generic chains ------===//
//
// Upstream's linalg-fuse-elementwise-ops also propagates reshapes by
// expansion, which rewrites named contractions (the matmuls behind linear
// layers and attention) into linalg.generic: they then miss the BLAS and
// vectorization paths and run as scalar loops. This pass keeps only the
// producer-consumer fusion of elementwise generics.
//
// Compile time is linear in the number of fused ops and their operands.
// Upstream's pairwise fusion builds each fused op by cloning both payloads,
// so a chain of N ops fused one link at a time clones O(N^2) operations and
// rebuilds an operand list that grows by one side input per link (1,000
// ops: 12 s). The common case (all-parallel producers with one result, a
// permutation result map and no linalg.index, into an all-parallel
// consumer) is fused here first, a whole group at a time: from each
// consumer, in reverse program order, one walk collects every producer it
// absorbs (a tree, or a DAG where a value feeds several ops of the group),
// and one new generic is built whose payload is every member's payload
// moved (not cloned) into one block, with the group's inputs merged where
// value and map agree. Every op and operand is visited a bounded number of
// times. What the fast path declines (reductions, index-using producers,
// multi-result producers) is left to upstream's patterns, which then see
// only a few, already fused, ops.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTFUSEELEMENTWISE
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
/// The most inputs a fusion may give one generic (unless it has more
/// already). One-shot bufferization's analysis and the LLVM passes spend
/// time per operand that grows with the operands of the op, so an op
/// reading thousands of values (the sum of thousands of parameters, the
/// backward of a long chain reading every activation) is quadratic there;
/// groups of at most this many cost one intermediate buffer each.
constexpr unsigned kMaxFusedInputs = 64;

bool isAllParallel(linalg::GenericOp op) {
  return op.getNumParallelLoops() == op.getNumLoops();
}

/// Whether the fast path may inline `producer`, read through `map` (in the
/// root's loops), into the ops that read it: one result, all-parallel, a
/// permutation result map whose init it ignores, no linalg.index.
bool isFusableProducer(linalg::GenericOp producer, AffineMap map) {
  if (producer->getNumResults() != 1 || !isAllParallel(producer) ||
      producer.getNumDpsInits() != 1 ||
      !isa<RankedTensorType>(producer->getResult(0).getType()) ||
      map.getNumResults() != producer.getNumLoops())
    return false;
  OpOperand *init = producer.getDpsInitOperand(0);
  if (!producer.getMatchingIndexingMap(init).isPermutation() ||
      !producer.getMatchingBlockArgument(init).use_empty())
    return false;
  return !producer.getRegion()
              .walk([](linalg::IndexOp) { return WalkResult::interrupt(); })
              .wasInterrupted();
}

/// The ops one fused generic replaces (the root and the producers it
/// absorbs) and that generic's inputs.
///
/// A producer is absorbed once every use of its result is an input of a
/// member, all read through one map in the root's loops: then the fused
/// payload computes it once for all of them. (A producer read by two
/// members, say a gradient feeding two backward ops that fuse, is a DAG,
/// not a tree: the count of its uses by members tells when the last one
/// has joined.) The inputs are the members' other operands, each distinct
/// (value, map) once, in upstream's order: a consumer's inputs with an
/// absorbed producer's inputs in place of its result.
struct FusionGroup {
  /// Members, producers before their users; the root last.
  SmallVector<linalg::GenericOp> members;
  /// Per member: its loops in terms of the root's.
  llvm::DenseMap<Operation *, AffineMap> loops;
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  /// (value, map in the root's loops) -> index into `inputs`.
  llvm::DenseMap<std::pair<Value, AffineMap>, unsigned> inputIndex;
};

FusionGroup collectGroup(linalg::GenericOp root) {
  FusionGroup group;
  if (!isAllParallel(root))
    return group;
  /// Per value read by members: its uses by members' inputs, its uses in
  /// all, and the map it is read through (conflicting once two differ).
  struct Reads {
    unsigned byMembers = 0;
    unsigned total = 0;
    AffineMap map;
    bool conflicting = false;
  };
  llvm::DenseMap<Value, Reads> reads;
  // Every (value, map) members read; those of absorbed producers' results
  // are not inputs.
  llvm::DenseSet<std::pair<Value, AffineMap>> pairs;
  unsigned numAbsorbed = 0;
  SmallVector<Value> worklist;
  auto forEachInput = [](linalg::GenericOp op, AffineMap loops, auto callback) {
    for (unsigned i = 0, e = op.getNumDpsInputs(); i < e; ++i) {
      // Inputs come first in a generic's operands.
      OpOperand &operand = op->getOpOperand(i);
      callback(operand.get(),
               op.getMatchingIndexingMap(&operand).compose(loops));
    }
  };
  auto addMember = [&](linalg::GenericOp op, AffineMap loops) {
    group.loops[op] = loops;
    forEachInput(op, loops, [&](Value value, AffineMap map) {
      pairs.insert({value, map});
      auto [it, first] = reads.try_emplace(value);
      Reads &read = it->second;
      if (first) {
        read.total = std::distance(value.use_begin(), value.use_end());
        read.map = map;
      }
      read.conflicting |= read.map != map;
      ++read.byMembers;
      worklist.push_back(value);
    });
  };
  addMember(root, AffineMap::getMultiDimIdentityMap(root.getNumLoops(),
                                                    root.getContext()));
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    const Reads &read = reads[value];
    if (read.byMembers != read.total || read.conflicting)
      continue;
    auto producer = value.getDefiningOp<linalg::GenericOp>();
    if (!producer || group.loops.count(producer) ||
        !isFusableProducer(producer, read.map))
      continue;
    AffineMap loops = inversePermutation(producer.getMatchingIndexingMap(
                                             producer.getDpsInitOperand(0)))
                          .compose(read.map);
    llvm::DenseSet<std::pair<Value, AffineMap>> added;
    forEachInput(producer, loops, [&](Value value, AffineMap map) {
      if (!pairs.contains({value, map}))
        added.insert({value, map});
    });
    unsigned numInputs = pairs.size() - numAbsorbed;
    unsigned fusedInputs = numInputs - 1 + added.size();
    if (fusedInputs > kMaxFusedInputs && fusedInputs > numInputs)
      continue;
    ++numAbsorbed;
    addMember(producer, loops);
  }

  // Depth-first from the root over the members' inputs: members in post
  // order (producers first), inputs as met (upstream's order).
  llvm::DenseSet<Operation *> visited = {root};
  SmallVector<std::pair<linalg::GenericOp, unsigned>> stack = {{root, 0}};
  while (!stack.empty()) {
    auto &[op, next] = stack.back();
    if (next == op.getNumDpsInputs()) {
      group.members.push_back(op);
      stack.pop_back();
      continue;
    }
    OpOperand &operand = op->getOpOperand(next++);
    Operation *producer = operand.get().getDefiningOp();
    if (producer && group.loops.count(producer)) {
      if (visited.insert(producer).second)
        stack.push_back({cast<linalg::GenericOp>(producer), 0});
      continue;
    }
    AffineMap map =
        op.getMatchingIndexingMap(&operand).compose(group.loops.lookup(op));
    if (group.inputIndex.try_emplace({operand.get(), map}, group.inputs.size())
            .second) {
      group.inputs.push_back(operand.get());
      group.maps.push_back(map);
    }
  }
  return group;
}

/// Builds one generic for `group` in place of its root and erases the
/// members: every payload op moves once, every block argument's uses are
/// replaced once.
void fuseGroup(RewriterBase &rewriter, const FusionGroup &group) {
  linalg::GenericOp root = group.members.back();
  SmallVector<AffineMap> maps(group.maps);
  for (OpOperand &init : root.getDpsInitsMutable())
    maps.push_back(root.getMatchingIndexingMap(&init));
  rewriter.setInsertionPoint(root);
  auto fused = linalg::GenericOp::create(
      rewriter, root.getLoc(), root->getResultTypes(), group.inputs,
      root.getDpsInits(), rewriter.getAffineMapArrayAttr(maps),
      root.getIteratorTypes(), /*doc=*/nullptr, /*library_call=*/nullptr);
  Block *block = new Block();
  fused.getRegion().push_back(block);
  for (Value input : group.inputs)
    block->addArgument(getElementTypeOrSelf(input.getType()), input.getLoc());
  for (Value init : root.getDpsInits())
    block->addArgument(getElementTypeOrSelf(init.getType()), init.getLoc());

  // Producers first: an input read from a member is the value its payload
  // yields.
  llvm::DenseMap<Operation *, Value> produced;
  for (linalg::GenericOp op : group.members) {
    Block &body = op.getRegion().front();
    AffineMap loops = group.loops.lookup(op);
    for (unsigned i = 0, e = op.getNumDpsInputs(); i < e; ++i) {
      OpOperand &operand = op->getOpOperand(i);
      Value replacement = produced.lookup(operand.get().getDefiningOp());
      if (!replacement) {
        AffineMap map = op.getMatchingIndexingMap(&operand).compose(loops);
        replacement =
            block->getArgument(group.inputIndex.lookup({operand.get(), map}));
      }
      body.getArgument(i).replaceAllUsesWith(replacement);
    }
    if (op != root) {
      // A producer's init is unused (isFusableProducer).
      auto yield = cast<linalg::YieldOp>(body.getTerminator());
      produced[op] = yield.getValues()[0];
      rewriter.eraseOp(yield);
    } else {
      unsigned numInputs = op.getNumDpsInputs();
      for (unsigned i = 0, e = root.getNumDpsInits(); i < e; ++i)
        body.getArgument(numInputs + i)
            .replaceAllUsesWith(block->getArgument(group.inputs.size() + i));
    }
    block->getOperations().splice(block->end(), body.getOperations());
  }
  rewriter.replaceOp(root, fused->getResults());
  // Users before their producers: each result's uses go first.
  for (linalg::GenericOp op : llvm::reverse(group.members))
    if (op != root)
      rewriter.eraseOp(op);
}

/// From the last op back, each generic not yet absorbed fuses the whole
/// group of producers it can absorb.
void fuseGroups(Operation *root) {
  SmallVector<linalg::GenericOp> generics;
  root->walk([&](linalg::GenericOp op) { generics.push_back(op); });
  IRRewriter rewriter(root->getContext());
  // Erased members; the list is never dereferenced for them.
  llvm::DenseSet<Operation *> absorbed;
  for (linalg::GenericOp op : llvm::reverse(generics)) {
    if (absorbed.contains(op))
      continue;
    FusionGroup group = collectGroup(op);
    if (group.members.size() < 2)
      continue;
    for (linalg::GenericOp member : group.members)
      absorbed.insert(member);
    fuseGroup(rewriter, group);
  }
}

struct FuseElementwisePass
    : public mlir::mlopt::impl::MLOptFuseElementwiseBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    fuseGroups(getOperation());
    RewritePatternSet patterns(ctx);
    // Fusing a producer with several users would recompute it per user.
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          auto producer = fused->get().getDefiningOp<linalg::LinalgOp>();
          if (!producer || !producer->hasOneUse())
            return false;
          auto consumer = cast<linalg::LinalgOp>(fused->getOwner());
          unsigned numInputs = consumer.getNumDpsInputs();
          unsigned fusedInputs = numInputs - 1 + producer.getNumDpsInputs();
          return fusedInputs <= kMaxFusedInputs || fusedInputs <= numInputs;
        });
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
