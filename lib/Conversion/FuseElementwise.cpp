//===- FuseElementwise.cpp - fuses elementwise linalg.generic chains ------===//
//
// Upstream's linalg-fuse-elementwise-ops also propagates reshapes by
// expansion, which rewrites named contractions (the matmuls behind linear
// layers and attention) into linalg.generic: they then miss the BLAS and
// vectorization paths and run as scalar loops. This pass keeps only the
// producer-consumer fusion of elementwise generics.
//
// Compile time is linear in the length of a chain. Upstream's pairwise
// fusion builds each fused op by cloning both payloads, so a chain of N ops
// fused one link at a time clones O(N^2) operations, and the greedy driver
// revisits the growing op after every step (1,000 ops: 12 s). The common
// case (an all-parallel producer with one result and one use, a permutation
// result map and no linalg.index, into an all-parallel consumer) is fused
// here first in one walk over the ops in program order: the fused op takes
// the region of the larger of the two (O(1), no copy) and only the smaller
// payload is moved into it, so a chain costs O(N) and any tree O(N log N).
// Inputs that become identical (same value, same map) are merged at each
// step, which keeps the operand list of a chain with repeated side inputs
// bounded. What the fast path declines (reductions, index-using producers,
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

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTFUSEELEMENTWISE
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
bool isAllParallel(linalg::GenericOp op) {
  return op.getNumParallelLoops() == op.getNumLoops();
}

/// Payload facts, computed once per original op and carried over to fused
/// ops: recomputing them (a walk, or ilist::size(), which is O(n)) on the
/// growing op at every step would make a chain quadratic again.
struct PayloadInfo {
  size_t size = 0;
  bool usesIndex = false;
};

class PayloadInfoCache {
public:
  PayloadInfo get(linalg::GenericOp op) {
    auto [it, inserted] = cache.try_emplace(op);
    if (inserted)
      for (Operation &inner : op.getRegion().front()) {
        ++it->second.size;
        it->second.usesIndex |= isa<linalg::IndexOp>(inner);
      }
    return it->second;
  }
  void set(Operation *op, PayloadInfo info) { cache[op] = info; }
  void erase(Operation *op) { cache.erase(op); }

private:
  llvm::DenseMap<Operation *, PayloadInfo> cache;
};

/// The input of `consumer` whose producer the fast path fuses, if any.
OpOperand *findFusableInput(linalg::GenericOp consumer,
                            PayloadInfoCache &payloads) {
  if (!isAllParallel(consumer))
    return nullptr;
  for (OpOperand *operand : consumer.getDpsInputOperands()) {
    auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
    if (!producer || producer->getNumResults() != 1 || !producer->hasOneUse() ||
        !isAllParallel(producer) || producer.getNumDpsInits() != 1 ||
        payloads.get(producer).usesIndex ||
        !isa<RankedTensorType>(operand->get().getType()))
      continue;
    OpOperand *init = producer.getDpsInitOperand(0);
    if (!producer.getMatchingIndexingMap(init).isPermutation() ||
        !producer.getMatchingBlockArgument(init).use_empty() ||
        consumer.getMatchingIndexingMap(operand).getNumResults() !=
            producer.getNumLoops())
      continue;
    return operand;
  }
  return nullptr;
}

/// Fuses the producer of `fused` into its consumer; returns the new op.
/// Cost: O(size of the smaller payload + number of operands).
linalg::GenericOp fuseInto(RewriterBase &rewriter, OpOperand *fused,
                           PayloadInfoCache &payloads) {
  auto consumer = cast<linalg::GenericOp>(fused->getOwner());
  auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
  unsigned fusedIndex = fused->getOperandNumber();
  AffineMap consumerMap = consumer.getMatchingIndexingMap(fused);
  // Producer loops in terms of consumer loops.
  AffineMap producerLoops =
      inversePermutation(
          producer.getMatchingIndexingMap(producer.getDpsInitOperand(0)))
          .compose(consumerMap);

  // Fused inputs in upstream's order: the consumer's, with the producer's
  // (in the consumer's loops) in place of the fused one; merged where value
  // and map agree.
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  llvm::DenseMap<std::pair<Value, AffineMap>, unsigned> inputIndex;
  // Block arguments of the two payloads -> index into `inputs`.
  SmallVector<unsigned> producerArgInput, consumerArgInput;
  auto addInput = [&](Value value, AffineMap map) {
    auto [it, inserted] = inputIndex.try_emplace({value, map}, inputs.size());
    if (inserted) {
      inputs.push_back(value);
      maps.push_back(map);
    }
    return it->second;
  };
  for (OpOperand *operand : consumer.getDpsInputOperands()) {
    if (operand->getOperandNumber() != fusedIndex) {
      consumerArgInput.push_back(
          addInput(operand->get(), consumer.getMatchingIndexingMap(operand)));
      continue;
    }
    consumerArgInput.push_back(~0u);
    for (OpOperand *input : producer.getDpsInputOperands())
      producerArgInput.push_back(addInput(
          input->get(),
          producer.getMatchingIndexingMap(input).compose(producerLoops)));
  }
  for (OpOperand &init : consumer.getDpsInitsMutable())
    maps.push_back(consumer.getMatchingIndexingMap(&init));

  rewriter.setInsertionPoint(consumer);
  auto fusedOp = linalg::GenericOp::create(
      rewriter, consumer.getLoc(), consumer->getResultTypes(), inputs,
      consumer.getDpsInits(), rewriter.getAffineMapArrayAttr(maps),
      consumer.getIteratorTypes(), /*doc=*/nullptr, /*library_call=*/nullptr);

  Block &producerBlock = producer.getRegion().front();
  Block &consumerBlock = consumer.getRegion().front();
  unsigned numProducerInputs = producer.getNumDpsInputs();
  unsigned numConsumerInputs = consumer.getNumDpsInputs();
  unsigned numInits = consumer.getNumDpsInits();
  PayloadInfo consumerInfo = payloads.get(consumer);
  PayloadInfo producerInfo = payloads.get(producer);
  bool keepConsumer = consumerInfo.size >= producerInfo.size;
  Block &big = keepConsumer ? consumerBlock : producerBlock;
  Block &small = keepConsumer ? producerBlock : consumerBlock;
  unsigned oldBigArgs = big.getNumArguments();

  // New block arguments, appended after the big block's own ones: one per
  // fused input, then one per init.
  SmallVector<BlockArgument> newArgs;
  for (Value input : inputs)
    newArgs.push_back(
        big.addArgument(getElementTypeOrSelf(input.getType()), input.getLoc()));
  for (Value init : consumer.getDpsInits())
    newArgs.push_back(
        big.addArgument(getElementTypeOrSelf(init.getType()), init.getLoc()));

  // The producer's yielded value stands for the consumer's fused argument.
  auto producerYield = cast<linalg::YieldOp>(producerBlock.getTerminator());
  Value produced = producerYield.getValues()[0];
  if (auto arg = dyn_cast<BlockArgument>(produced);
      arg && arg.getOwner() == &producerBlock)
    produced = newArgs[producerArgInput[arg.getArgNumber()]];
  for (unsigned i = 0; i < numProducerInputs; ++i)
    rewriter.replaceAllUsesWith(producerBlock.getArgument(i),
                                newArgs[producerArgInput[i]]);
  for (unsigned i = 0; i < numConsumerInputs; ++i)
    rewriter.replaceAllUsesWith(
        consumerBlock.getArgument(i),
        consumerArgInput[i] == ~0u ? produced : newArgs[consumerArgInput[i]]);
  for (unsigned i = 0; i < numInits; ++i)
    rewriter.replaceAllUsesWith(
        consumerBlock.getArgument(numConsumerInputs + i),
        newArgs[inputs.size() + i]);

  // Producer payload (without its yield) first, then the consumer's.
  rewriter.eraseOp(producerYield);
  if (keepConsumer)
    big.getOperations().splice(big.begin(), small.getOperations());
  else
    big.getOperations().splice(big.end(), small.getOperations());
  big.eraseArguments(0, oldBigArgs);
  fusedOp.getRegion().takeBody(keepConsumer ? consumer.getRegion()
                                            : producer.getRegion());

  payloads.erase(consumer);
  payloads.erase(producer);
  rewriter.replaceOp(consumer, fusedOp->getResults());
  rewriter.eraseOp(producer);
  // One yield fewer; the producer has no linalg.index.
  payloads.set(fusedOp, {consumerInfo.size + producerInfo.size - 1,
                         consumerInfo.usesIndex});
  return fusedOp;
}

/// One walk in program order: producers are fused (as consumers) before
/// their users are visited, so every fusion adds an already fused producer.
void fuseChains(Operation *root) {
  SmallVector<linalg::GenericOp> generics;
  root->walk([&](linalg::GenericOp op) { generics.push_back(op); });
  IRRewriter rewriter(root->getContext());
  PayloadInfoCache payloads;
  // A fused producer precedes its consumer, so it was visited (and is never
  // met again) when it is erased; the consumer is replaced while visited.
  for (linalg::GenericOp op : generics) {
    linalg::GenericOp current = op;
    while (OpOperand *operand = findFusableInput(current, payloads))
      current = fuseInto(rewriter, operand, payloads);
  }
}

struct FuseElementwisePass
    : public mlir::mlopt::impl::MLOptFuseElementwiseBase<FuseElementwisePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    fuseChains(getOperation());
    RewritePatternSet patterns(ctx);
    // Fusing a producer with several users would recompute it per user.
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *fused) {
          Operation *producer = fused->get().getDefiningOp();
          return producer && producer->hasOneUse();
        });
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
