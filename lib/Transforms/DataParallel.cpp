//===- DataParallel.cpp - bucketed gradient averaging, ZeRO-1 -------------===//
//
// mlopt-data-parallel: makes @train_step one rank of a data-parallel group.
// The gradients are averaged across ranks by one collective per bucket
// (DDP's bucket_cap_mb), each placed right after the op that makes the
// bucket's last gradient; with zero=1 the collective is a reduce-scatter of
// the flattened, zero-padded gradients and each gradient result becomes
// this rank's chunk. The loss and the float metrics are averaged before the
// return. The IR it produces: docs/DataParallel.md.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/DataParallel.h"
#include "TrainStep.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <algorithm>
#include <cmath>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTDATAPARALLEL
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

static constexpr double kBytesPerMiB = 1024.0 * 1024.0;

//===----------------------------------------------------------------------===//
// Buckets and bytes (DataParallel.h)
//===----------------------------------------------------------------------===//

int64_t mlopt::getTensorBytes(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  int64_t bits = shaped.getElementTypeBitWidth();
  return shaped.getNumElements() * ((bits + 7) / 8);
}

/// Whether `a` comes before `b` in the body of the function: block arguments
/// first (by number), then op results by the position of their op and by
/// result number.
static bool definedBefore(Value a, Value b) {
  auto argA = dyn_cast<BlockArgument>(a), argB = dyn_cast<BlockArgument>(b);
  if (argA || argB) {
    if (argA && argB)
      return argA.getArgNumber() < argB.getArgNumber();
    return static_cast<bool>(argA);
  }
  auto resultA = cast<OpResult>(a), resultB = cast<OpResult>(b);
  Operation *opA = resultA.getOwner(), *opB = resultB.getOwner();
  if (opA == opB)
    return resultA.getResultNumber() < resultB.getResultNumber();
  return opA->isBeforeInBlock(opB);
}

SmallVector<unsigned>
mlopt::getGradientsInBackwardOrder(func::FuncOp trainStep) {
  SmallVector<unsigned> indices;
  for (unsigned i = 0, e = trainStep.getNumResults(); i < e; ++i)
    if (trainStep.getResultAttr(i, MLOptDialect::kGradOfAttrName))
      indices.push_back(i);
  if (indices.empty() || trainStep.isExternal())
    return indices;
  Operation *terminator = trainStep.front().getTerminator();
  std::stable_sort(indices.begin(), indices.end(), [&](unsigned a, unsigned b) {
    return definedBefore(terminator->getOperand(a), terminator->getOperand(b));
  });
  return indices;
}

SmallVector<GradientBucket> mlopt::planGradientBuckets(func::FuncOp trainStep,
                                                       double firstBucketMb,
                                                       double bucketMb) {
  SmallVector<GradientBucket> buckets;
  GradientBucket current;
  for (unsigned index : getGradientsInBackwardOrder(trainStep)) {
    current.resultIndices.push_back(index);
    current.bytes += getTensorBytes(trainStep.getResultTypes()[index]);
    double capMb = buckets.empty() ? firstBucketMb : bucketMb;
    if (static_cast<double>(current.bytes) >= capMb * kBytesPerMiB) {
      buckets.push_back(std::move(current));
      current = GradientBucket();
    }
  }
  if (!current.resultIndices.empty())
    buckets.push_back(std::move(current));
  return buckets;
}

int64_t mlopt::getCommunicatedBytesPerStep(func::FuncOp trainStep) {
  int64_t bytes = 0;
  trainStep.walk([&](Operation *op) { bytes += getCommunicatedBytes(op); });
  return bytes;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

struct MLOptDataParallelPass
    : mlopt::impl::MLOptDataParallelBase<MLOptDataParallelPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  LogicalResult checkOptions();
};

} // namespace

LogicalResult MLOptDataParallelPass::checkOptions() {
  ModuleOp module = getOperation();
  auto error = [&]() { return module.emitError("mlopt-data-parallel: "); };
  auto positive = [](double value) {
    return std::isfinite(value) && value > 0.0;
  };
  if (ranks < 1) {
    error() << "invalid ranks " << static_cast<int64_t>(ranks)
            << " (needs the number of data-parallel ranks, >= 1)";
    return failure();
  }
  if (!positive(bucketMb)) {
    error() << "invalid bucket-mb " << bucketMb
            << " (needs a finite size in MiB > 0)";
    return failure();
  }
  if (!positive(firstBucketMb)) {
    error() << "invalid first-bucket-mb " << firstBucketMb
            << " (needs a finite size in MiB > 0)";
    return failure();
  }
  if (zero != 0 && zero != 1) {
    error() << "invalid zero " << static_cast<int64_t>(zero)
            << " (expected 0, no sharding, or 1, ZeRO stage 1)";
    return failure();
  }
  return success();
}

/// Whether `type` is a ranked tensor of floats.
static bool isFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

void MLOptDataParallelPass::runOnOperation() {
  if (failed(checkOptions()))
    return signalPassFailure();
  ModuleOp module = getOperation();
  FailureOr<func::FuncOp> maybeTrainStep = findTrainStep(
      module, "mlopt-data-parallel",
      ": data parallelism averages its gradients", /*requireOneBlock=*/true);
  if (failed(maybeTrainStep))
    return signalPassFailure();
  func::FuncOp trainStep = *maybeTrainStep;
  MLIRContext *context = &getContext();
  StringRef name = trainStep.getSymName();

  if (trainStep->hasAttr(MLOptDialect::kDataParallelRanksAttrName)) {
    trainStep.emitError("mlopt-data-parallel: @")
        << name << " is already marked '"
        << MLOptDialect::kDataParallelRanksAttrName
        << "' (the pass ran before)";
    return signalPassFailure();
  }
  for (unsigned i = 0, e = trainStep.getNumResults(); i < e; ++i)
    if (trainStep.getResultAttr(i, MLOptDialect::kGradsFiniteAttrName)) {
      trainStep.emitError("mlopt-data-parallel: result #")
          << i << " of @" << name << " is marked '"
          << MLOptDialect::kGradsFiniteAttrName
          << "': mlopt-loss-scaling ran first, but its finite check must see "
             "the averaged gradients (run mlopt-data-parallel before it)";
      return signalPassFailure();
    }
  SmallVector<GradientBucket> buckets =
      planGradientBuckets(trainStep, firstBucketMb, bucketMb);
  if (buckets.empty()) {
    trainStep.emitError("mlopt-data-parallel: @")
        << name << " returns no gradients (results marked '"
        << MLOptDialect::kGradOfAttrName
        << "'): data parallelism runs after mlopt-autodiff and before "
           "mlopt-optimizer";
    return signalPassFailure();
  }

  for (const GradientBucket &bucket : buckets)
    for (unsigned index : bucket.resultIndices) {
      auto type = dyn_cast<RankedTensorType>(trainStep.getResultTypes()[index]);
      if (!type || !type.hasStaticShape() ||
          !isa<FloatType>(type.getElementType())) {
        trainStep.emitError("mlopt-data-parallel: result #")
            << index << " of @" << name << ", the gradient of "
            << trainStep.getResultAttr(index, MLOptDialect::kGradOfAttrName)
            << ", must be a statically shaped float tensor to be averaged, got "
            << trainStep.getResultTypes()[index];
        return signalPassFailure();
      }
    }

  auto returnOp = cast<func::ReturnOp>(trainStep.front().getTerminator());
  OpBuilder builder(context);
  auto mean = ReduceKind::Mean;
  auto numRanks = static_cast<uint64_t>(static_cast<int64_t>(ranks));
  Operation *previousCollective = nullptr;
  for (const GradientBucket &bucket : buckets) {
    // Right after the op that makes the bucket's last gradient (and after
    // the previous bucket's collective, so the buckets keep their order).
    Operation *anchor =
        returnOp.getOperand(bucket.resultIndices.back()).getDefiningOp();
    if (previousCollective &&
        (!anchor || !previousCollective->isBeforeInBlock(anchor)))
      anchor = previousCollective;
    if (anchor)
      builder.setInsertionPointAfter(anchor);
    else
      builder.setInsertionPointToStart(&trainStep.front());
    // Located at the op that completes the bucket.
    Value last = returnOp.getOperand(bucket.resultIndices.back());
    Location loc = last.getDefiningOp() ? last.getDefiningOp()->getLoc()
                                        : trainStep.getLoc();
    MLOptBuilder mb(builder, loc);

    SmallVector<Value> operands;
    for (unsigned index : bucket.resultIndices) {
      Value grad = returnOp.getOperand(index);
      if (zero == 0) {
        operands.push_back(grad);
        continue;
      }
      // Flattened and zero-padded to a multiple of `ranks` elements.
      auto type = cast<RankedTensorType>(grad.getType());
      int64_t numel = type.getNumElements();
      int64_t chunk = llvm::divideCeil(numel, static_cast<int64_t>(ranks));
      Type element = type.getElementType();
      Value flat = mb.reshape(grad, RankedTensorType::get({numel}, element));
      if (int64_t padding = chunk * ranks - numel; padding > 0) {
        Value zeros = mb.splat(RankedTensorType::get({padding}, element), 0.0);
        flat = ConcatOp::create(builder, loc, ValueRange{flat, zeros},
                                /*dim=*/0);
      }
      operands.push_back(flat);
    }
    Operation *collective;
    if (zero == 0)
      collective = AllReduceOp::create(builder, loc, mean, operands, numRanks);
    else
      collective = ReduceScatterOp::create(builder, loc, mean, operands,
                                           /*dim=*/0, numRanks);
    for (auto [index, averaged] :
         llvm::zip_equal(bucket.resultIndices, collective->getResults())) {
      returnOp.setOperand(index, averaged);
      if (zero == 1)
        trainStep.setResultAttr(
            index, MLOptDialect::kGradShardAttrName,
            builder.getI64IntegerAttr(static_cast<int64_t>(ranks)));
    }
    previousCollective = collective;
  }

  // The loss (result #0) and the float metrics, averaged in one exchange.
  SmallVector<unsigned> reported;
  for (unsigned i = 0, e = trainStep.getNumResults(); i < e; ++i) {
    if (trainStep.getResultAttr(i, MLOptDialect::kGradOfAttrName))
      continue;
    bool lossOrMetric =
        i == 0 || trainStep.getResultAttr(i, MLOptDialect::kMetricAttrName);
    if (lossOrMetric && isFloatTensor(returnOp.getOperand(i).getType()))
      reported.push_back(i);
  }
  if (!reported.empty()) {
    builder.setInsertionPoint(returnOp);
    SmallVector<Value> values;
    for (unsigned index : reported)
      values.push_back(returnOp.getOperand(index));
    auto allReduce =
        AllReduceOp::create(builder, returnOp.getLoc(), mean, values, numRanks);
    for (auto [index, averaged] :
         llvm::zip_equal(reported, allReduce.getResults()))
      returnOp.setOperand(index, averaged);
  }

  trainStep.setFunctionType(FunctionType::get(
      context, trainStep.getArgumentTypes(), returnOp.getOperandTypes()));
  trainStep->setAttr(MLOptDialect::kDataParallelRanksAttrName,
                     builder.getI64IntegerAttr(static_cast<int64_t>(ranks)));
}
