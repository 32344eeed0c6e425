//===- LossScaling.cpp - scaled backward, finite check, skipped steps -----===//
//
// mlopt-loss-scaling: seeds @train_step's reverse sweep with the loss scale,
// unscales the gradients, checks them for infs and NaNs once, hands the
// verdict to mlopt-optimizer (a `mlopt.grads_finite` result), restores the
// state the step wrote before on a skipped step, and updates the scale as
// GradScaler does (with DeepSpeed's hysteresis and floor).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/LossScaling.h"
#include "TrainStep.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTLOSSSCALING
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

Value mlopt::agreeOnNonFiniteAcrossRanks(OpBuilder &builder, Location loc,
                                         Value localNonFinite,
                                         int64_t gradShards) {
  // Whole gradients: this process's verdict is everyone's (LossScaling.h).
  if (gradShards <= 0)
    return localNonFinite;
  // Each rank checked its chunks: NaN on one rank makes the sum NaN on all.
  return AllReduceOp::create(builder, loc, ReduceKind::Sum,
                             ValueRange{localNonFinite},
                             static_cast<uint64_t>(gradShards))
      .getResult(0);
}

namespace {

/// Validated options.
struct ScalerConfig {
  bool dynamic = true;
  double initScale = 65536.0;
  double growthFactor = 2.0;
  double backoffFactor = 0.5;
  int64_t growthInterval = 2000;
  int64_t hysteresis = 1;
  double minScale = 1.0;
};

struct MLOptLossScalingPass
    : mlopt::impl::MLOptLossScalingBase<MLOptLossScalingPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  FailureOr<ScalerConfig> buildConfig();
};

} // namespace

FailureOr<ScalerConfig> MLOptLossScalingPass::buildConfig() {
  ModuleOp module = getOperation();
  auto error = [&]() { return module.emitError("mlopt-loss-scaling: "); };
  auto positive = [](double value) {
    return std::isfinite(value) && value > 0.0;
  };
  ScalerConfig config;
  if (mode == "dynamic") {
    config.dynamic = true;
  } else if (mode == "static") {
    config.dynamic = false;
  } else {
    error() << "unknown mode '" << mode << "' (expected dynamic or static)";
    return failure();
  }
  if (!positive(initScale)) {
    error() << "invalid init-scale " << initScale
            << " (needs a finite scale > 0)";
    return failure();
  }
  if (!std::isfinite(growthFactor) || !(growthFactor > 1.0)) {
    error() << "invalid growth-factor " << growthFactor << " (needs > 1)";
    return failure();
  }
  if (!(backoffFactor > 0.0 && backoffFactor < 1.0)) {
    error() << "invalid backoff-factor " << backoffFactor
            << " (needs 0 < backoff-factor < 1)";
    return failure();
  }
  if (growthInterval < 1) {
    error() << "invalid growth-interval "
            << static_cast<int64_t>(growthInterval) << " (needs >= 1)";
    return failure();
  }
  if (hysteresis < 1) {
    error() << "invalid hysteresis " << static_cast<int64_t>(hysteresis)
            << " (needs >= 1; 1 backs off at every overflow)";
    return failure();
  }
  if (!positive(minScale) || minScale > initScale) {
    error() << "invalid min-scale " << minScale
            << " (needs 0 < min-scale <= init-scale " << initScale << ")";
    return failure();
  }
  config.initScale = initScale;
  config.growthFactor = growthFactor;
  config.backoffFactor = backoffFactor;
  config.growthInterval = growthInterval;
  config.hysteresis = hysteresis;
  config.minScale = minScale;
  return config;
}

/// The seed of the reverse sweep that mlopt-autodiff marked.
static FailureOr<ConstantOp> findLossCotangent(func::FuncOp trainStep) {
  ConstantOp seed;
  WalkResult walk = trainStep.walk([&](Operation *op) {
    if (!op->hasAttr(MLOptDialect::kLossCotangentAttrName))
      return WalkResult::advance();
    if (seed) {
      op->emitError("mlopt-loss-scaling: a second op marked '")
          << MLOptDialect::kLossCotangentAttrName
          << "' (the reverse sweep has one seed)";
      return WalkResult::interrupt();
    }
    seed = dyn_cast<ConstantOp>(op);
    if (op->getParentOp() != trainStep.getOperation()) {
      op->emitError("mlopt-loss-scaling: the loss cotangent must be in the "
                    "body of @")
          << trainStep.getSymName() << ", not in a nested region";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!seed) {
    trainStep.emitError("mlopt-loss-scaling: @")
        << trainStep.getSymName() << " has no mlopt.constant marked '"
        << MLOptDialect::kLossCotangentAttrName
        << "' (the seed of mlopt-autodiff's reverse sweep) to scale";
    return failure();
  }
  return seed;
}

void MLOptLossScalingPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<ScalerConfig> maybeConfig = buildConfig();
  if (failed(maybeConfig))
    return signalPassFailure();
  const ScalerConfig &config = *maybeConfig;
  FailureOr<func::FuncOp> maybeTrainStep = findTrainStep(
      module, "mlopt-loss-scaling", ": loss scaling scales its gradients",
      /*requireOneBlock=*/true);
  if (failed(maybeTrainStep))
    return signalPassFailure();
  func::FuncOp trainStep = *maybeTrainStep;
  auto returnOp = cast<func::ReturnOp>(trainStep.front().getTerminator());
  MLIRContext *context = &getContext();

  // The gradients, in result order.
  SmallVector<unsigned> gradIndices;
  SmallVector<Attribute> gradStates;
  // The ranks the gradients are sharded over (mlopt-data-parallel{zero=1});
  // 0 when they are whole. A shard's type is its chunk's, not the state's.
  int64_t gradShards = 0;
  for (unsigned i = 0, e = trainStep.getNumResults(); i < e; ++i) {
    if (auto ref = trainStep.getResultAttrOfType<FlatSymbolRefAttr>(
            i, MLOptDialect::kGradOfAttrName)) {
      gradIndices.push_back(i);
      gradStates.push_back(ref);
      auto shards = trainStep.getResultAttrOfType<IntegerAttr>(
          i, MLOptDialect::kGradShardAttrName);
      gradShards = std::max<int64_t>(gradShards, shards ? shards.getInt() : 0);
    }
    if (trainStep.getResultAttr(i, MLOptDialect::kGradsFiniteAttrName)) {
      trainStep.emitError("mlopt-loss-scaling: result #")
          << i << " is already marked '" << MLOptDialect::kGradsFiniteAttrName
          << "' (the pass ran before)";
      return signalPassFailure();
    }
    auto metric = trainStep.getResultAttrOfType<StringAttr>(
        i, MLOptDialect::kMetricAttrName);
    if (metric &&
        llvm::is_contained({kLossScaleMetricName, kSkippedMetricName,
                            kNonFiniteGradMetricName, kScaleAtFloorMetricName},
                           metric.getValue())) {
      trainStep.emitError("mlopt-loss-scaling: result #")
          << i << " is already a metric named '" << metric.getValue()
          << "', a name this pass returns";
      return signalPassFailure();
    }
  }
  if (gradIndices.empty()) {
    trainStep.emitError("mlopt-loss-scaling: @")
        << trainStep.getSymName() << " returns no gradients (results marked '"
        << MLOptDialect::kGradOfAttrName
        << "'): loss scaling runs after mlopt-autodiff and before "
           "mlopt-optimizer";
    return signalPassFailure();
  }
  FailureOr<ConstantOp> maybeSeed = findLossCotangent(trainStep);
  if (failed(maybeSeed))
    return signalPassFailure();
  ConstantOp seed = *maybeSeed;
  auto lossType = dyn_cast<RankedTensorType>(seed.getType());
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType())) {
    seed.emitError("mlopt-loss-scaling: the loss cotangent must be a 0-d "
                   "float tensor, got ")
        << seed.getType();
    return signalPassFailure();
  }

  // The states, after the last existing one.
  SymbolTable symbols(module);
  SmallVector<StringRef, 4> newStates = {kLossScaleStateName};
  if (config.dynamic)
    newStates.push_back(kGrowthTrackerStateName);
  bool withHysteresis = config.dynamic && config.hysteresis > 1;
  if (withHysteresis)
    newStates.push_back(kHysteresisStateName);
  newStates.push_back(kSkippedStepsStateName);
  for (StringRef name : newStates)
    if (Operation *clash = symbols.lookup(name)) {
      clash->emitError("mlopt-loss-scaling: symbol @")
          << name << " already exists";
      return signalPassFailure();
    }
  // State that @train_step writes already (masks, rng): restored when the
  // step is skipped.
  llvm::SetVector<StringAttr> writtenStates;
  trainStep.walk([&](StateWriteOp write) {
    writtenStates.insert(write.getStateAttr().getAttr());
  });

  Operation *lastState = nullptr;
  for (auto state : module.getOps<StateOp>())
    lastState = state;
  OpBuilder moduleBuilder(context);
  if (lastState)
    moduleBuilder.setInsertionPointAfter(lastState);
  else
    moduleBuilder.setInsertionPointToStart(module.getBody());
  auto i64Scalar = RankedTensorType::get({}, IntegerType::get(context, 64));
  auto f32Scalar = RankedTensorType::get({}, Float32Type::get(context));
  auto f64 = Float64Type::get(context);
  llvm::StringMap<StateOp> states;
  auto addState = [&](StringRef name, RankedTensorType type,
                      InitializerAttrInterface init) {
    auto state =
        StateOp::create(moduleBuilder, module.getLoc(), name, type,
                        StateKind::LossScale, /*trainable=*/false, init);
    symbols.insert(state, moduleBuilder.getInsertionPoint());
    states[name] = state;
  };
  auto zeros = ZerosInitAttr::get(context);
  addState(kLossScaleStateName, f32Scalar,
           ConstantInitAttr::get(context, llvm::APFloat(config.initScale)));
  if (config.dynamic)
    addState(kGrowthTrackerStateName, i64Scalar, zeros);
  if (withHysteresis)
    addState(kHysteresisStateName, i64Scalar,
             ConstantInitAttr::get(context, llvm::APFloat(static_cast<double>(
                                                config.hysteresis))));
  addState(kSkippedStepsStateName, i64Scalar, zeros);

  // At the start of the step: the scale, and the state to restore.
  Location loc = trainStep.getLoc();
  Block &body = trainStep.front();
  OpBuilder b = OpBuilder::atBlockBegin(&body);
  MLOptBuilder entry(b, loc);
  auto read = [&](OpBuilder &builder, StringRef name,
                  RankedTensorType type) -> Value {
    return StateReadOp::create(builder, loc, type, name);
  };
  Value scale = read(b, kLossScaleStateName, f32Scalar);
  llvm::MapVector<StringAttr, Value> previousValues;
  for (StringAttr name : writtenStates) {
    auto state = symbols.lookup<StateOp>(name);
    if (!state) {
      trainStep.emitError("mlopt-loss-scaling: @")
          << trainStep.getSymName() << " writes unknown state @"
          << name.getValue();
      return signalPassFailure();
    }
    previousValues[name] = read(b, name.getValue(), state.getTensorType());
  }
  // The reverse sweep starts from the scale: the gradients of scale * loss.
  Value scaledSeed = entry.cast(scale, lossType.getElementType());
  seed.getResult().replaceAllUsesWith(scaledSeed);
  seed.erase();

  // Before the return: unscale, check, update.
  b.setInsertionPoint(returnOp);
  MLOptBuilder mb(b, loc);
  Value scaleF64 = mb.cast(scale, f64);
  Value invScale = mb.div(mb.constant(f64, 1.0), scaleF64);
  Value zeroF32 = mb.constant(f32Scalar.getElementType(), 0.0);
  SmallVector<Value> nonFinite;
  Value total;
  for (unsigned index : gradIndices) {
    Value grad = returnOp.getOperand(index);
    Type element = cast<RankedTensorType>(grad.getType()).getElementType();
    Value unscaled = mb.mul(grad, mb.cast(invScale, element));
    returnOp.setOperand(index, unscaled);
    // 0 for finite elements, NaN for an inf or a NaN; the sum keeps NaN.
    // This needs IEEE arithmetic (no fast-math "no NaNs" in the lowering);
    // unittests/Runtime/LossScalingTest.cpp checks it on every backend.
    Value check =
        mb.cast(mb.sumAll(mb.mul(unscaled, mb.constantLike(unscaled, 0.0))),
                f32Scalar.getElementType());
    nonFinite.push_back(check);
    total = total ? mb.add(total, check) : check;
  }
  Value agreed = agreeOnNonFiniteAcrossRanks(b, loc, total, gradShards);
  Value finite = mb.compare(ComparePredicate::EQ, agreed, zeroF32);

  // The first non-finite gradient (this process's), for the diagnostic.
  Value firstBad = mb.constant(f64, -1.0);
  for (int64_t i = static_cast<int64_t>(nonFinite.size()) - 1; i >= 0; --i)
    firstBad =
        mb.select(mb.compare(ComparePredicate::NE, nonFinite[i], zeroF32),
                  mb.constant(f64, static_cast<double>(i)), firstBad);
  Value zeroF64 = mb.constant(f64, 0.0), oneF64 = mb.constant(f64, 1.0);
  Value skipped = mb.select(finite, zeroF64, oneF64);

  // The scale update.
  auto write = [&](Value value, StringRef name) {
    StateWriteOp::create(b, loc, value, name);
  };
  Value atFloor = skipped;
  if (config.dynamic) {
    Value tracker = mb.cast(read(b, kGrowthTrackerStateName, i64Scalar), f64);
    Value counted = mb.add(tracker, oneF64);
    Value grow = mb.compare(
        ComparePredicate::GE, counted,
        mb.constant(f64, static_cast<double>(config.growthInterval)));
    // As GradScaler, a growth that would overflow the f32 scale keeps it.
    Value up = mb.mul(scaleF64, mb.constant(f64, config.growthFactor));
    Value upFits = mb.compare(
        ComparePredicate::LE, up,
        mb.constant(f64,
                    static_cast<double>(std::numeric_limits<float>::max())));
    Value grown = mb.select(grow, mb.select(upFits, up, scaleF64), scaleF64);
    Value backedOff =
        mb.maximum(mb.mul(scaleF64, mb.constant(f64, config.backoffFactor)),
                   mb.constant(f64, config.minScale));
    Value floorIfSkipped =
        mb.select(mb.compare(ComparePredicate::LE, scaleF64,
                             mb.constant(f64, config.minScale)),
                  oneF64, zeroF64);
    Value onOverflow = backedOff;
    if (withHysteresis) {
      Value left = mb.cast(read(b, kHysteresisStateName, i64Scalar), f64);
      Value backOff = mb.compare(ComparePredicate::LE, left, oneF64);
      onOverflow = mb.select(backOff, backedOff, scaleF64);
      floorIfSkipped = mb.select(backOff, floorIfSkipped, zeroF64);
      Value refilled = mb.select(
          grow, mb.constant(f64, static_cast<double>(config.hysteresis)), left);
      Value used = mb.select(backOff, left, mb.sub(left, oneF64));
      write(mb.cast(mb.select(finite, refilled, used),
                    i64Scalar.getElementType()),
            kHysteresisStateName);
    }
    atFloor = mb.select(finite, zeroF64, floorIfSkipped);
    Value newScale = mb.select(finite, grown, onOverflow);
    write(mb.cast(newScale, f32Scalar.getElementType()), kLossScaleStateName);
    Value newTracker =
        mb.select(finite, mb.select(grow, zeroF64, counted), zeroF64);
    write(mb.cast(newTracker, i64Scalar.getElementType()),
          kGrowthTrackerStateName);
  }
  Value skippedSteps =
      mb.add(mb.cast(read(b, kSkippedStepsStateName, i64Scalar), f64), skipped);
  write(mb.cast(skippedSteps, i64Scalar.getElementType()),
        kSkippedStepsStateName);

  // A skipped step leaves what the step wrote before as it was.
  for (auto [name, previous] : previousValues) {
    Value current =
        read(b, name.getValue(), cast<RankedTensorType>(previous.getType()));
    write(mb.select(finite, current, previous), name.getValue());
  }

  // The verdict for mlopt-optimizer, then the metrics.
  auto unit = UnitAttr::get(context);
  SmallVector<std::pair<Value, NamedAttribute>> results = {
      {finite, NamedAttribute(
                   StringAttr::get(context, MLOptDialect::kGradsFiniteAttrName),
                   unit)}};
  auto metric = [&](StringRef name) {
    return NamedAttribute(
        StringAttr::get(context, MLOptDialect::kMetricAttrName),
        StringAttr::get(context, name));
  };
  results.push_back({scaleF64, metric(kLossScaleMetricName)});
  results.push_back({skipped, metric(kSkippedMetricName)});
  results.push_back({firstBad, metric(kNonFiniteGradMetricName)});
  results.push_back({atFloor, metric(kScaleAtFloorMetricName)});
  for (auto [value, attr] : results) {
    unsigned index = trainStep.getNumResults();
    if (failed(trainStep.insertResult(index, value.getType(),
                                      DictionaryAttr::get(context, {attr})))) {
      trainStep.emitError("mlopt-loss-scaling: cannot add a result");
      return signalPassFailure();
    }
    returnOp->insertOperands(returnOp->getNumOperands(), value);
  }
  trainStep->setAttr(MLOptDialect::kCheckedGradsAttrName,
                     ArrayAttr::get(context, gradStates));
}
