//===- Optimizer.cpp - the optimizer update of @train_step as ops ---------===//
//
// Consumes the gradient results of @train_step: validates the options, adds
// the optimizer states, writes the update with OptimizerRules (masked for a
// state with `mlopt.masked_by`, conditional on a `mlopt.grads_finite` result
// of mlopt-loss-scaling) and drops the gradients from the function's results.
// A gradient that mlopt-data-parallel{zero=1} sharded (`mlopt.grad_shard`)
// updates this rank's shard of its parameter with optimizer states of the
// shard's size (ZeRO stage 1); the new shards are all-gathered in one
// exchange and written back as full parameters.
//
//===----------------------------------------------------------------------===//

#include "OptimizerRules.h"
#include "TrainStep.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <optional>
#include <string>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTOPTIMIZER
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::optimizer;

static constexpr StringLiteral kGradOfAttrName = MLOptDialect::kGradOfAttrName;
static constexpr StringLiteral kGradShardAttrName =
    MLOptDialect::kGradShardAttrName;
static constexpr StringLiteral kStepStateName = "optimizer.step";
/// The `mlopt.metric` name of the learning-rate result.
static constexpr StringLiteral kLrMetricName = "lr";

namespace {

/// One gradient result of @train_step and the parameter it updates.
struct GradientSlot {
  unsigned resultIndex;
  StateOp param;
  Value grad;
  /// The ranks `grad` is sharded over (`mlopt.grad_shard`): it is this
  /// rank's chunk of the flattened, zero-padded gradient. 0 when it is the
  /// whole gradient.
  int64_t shards = 0;
  SmallVector<StateOp, 2> states;
};

struct MLOptOptimizerPass
    : mlopt::impl::MLOptOptimizerBase<MLOptOptimizerPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  FailureOr<Config> buildConfig();
};

} // namespace

/// The type of one rank's chunk of `full` flattened and zero-padded to a
/// multiple of `shards` elements.
static RankedTensorType shardType(RankedTensorType full, int64_t shards) {
  int64_t chunk = llvm::divideCeilSigned(full.getNumElements(), shards);
  return RankedTensorType::get({chunk}, full.getElementType());
}

/// Checks the options like torch.optim's constructors do.
FailureOr<Config> MLOptOptimizerPass::buildConfig() {
  ModuleOp module = getOperation();
  auto error = [&]() { return module.emitError("mlopt-optimizer: "); };
  auto finite = [](double value) { return std::isfinite(value); };

  Config config;
  if (optimizer == "sgd") {
    config.algorithm = Algorithm::SGD;
  } else if (optimizer == "adam") {
    config.algorithm = Algorithm::Adam;
  } else if (optimizer == "adamw") {
    config.algorithm = Algorithm::AdamW;
  } else {
    error() << "unknown optimizer '" << optimizer
            << "' (expected sgd, adam or adamw)";
    return failure();
  }

  if (schedule == "constant") {
    config.schedule = Schedule::Constant;
  } else if (schedule == "step") {
    config.schedule = Schedule::Step;
  } else if (schedule == "cosine") {
    config.schedule = Schedule::Cosine;
  } else {
    error() << "unknown schedule '" << schedule
            << "' (expected constant, step or cosine)";
    return failure();
  }

  if (!(lr > 0.0) || !finite(lr)) {
    error() << "invalid learning rate " << lr << " (needs lr > 0)";
    return failure();
  }
  config.lr = lr;
  if (!finite(weightDecay)) {
    error() << "invalid weight-decay " << weightDecay;
    return failure();
  }
  // A negative weight decay selects the optimizer's PyTorch default.
  if (weightDecay >= 0.0)
    config.weightDecay = weightDecay;
  else
    config.weightDecay = config.algorithm == Algorithm::AdamW ? 0.01 : 0.0;

  if (config.algorithm == Algorithm::SGD) {
    if (!(momentum >= 0.0) || !finite(momentum)) {
      error() << "invalid momentum " << momentum << " (needs momentum >= 0)";
      return failure();
    }
    if (!finite(dampening)) {
      error() << "invalid dampening " << dampening;
      return failure();
    }
    if (nesterov && (momentum <= 0.0 || dampening != 0.0)) {
      error() << "nesterov momentum requires a momentum and zero dampening "
                 "(got momentum "
              << momentum << ", dampening " << dampening << ")";
      return failure();
    }
    config.momentum = momentum;
    config.dampening = dampening;
    config.nesterov = nesterov;
  } else {
    for (auto [name, beta] : {std::pair<StringRef, double>{"beta1", beta1},
                              std::pair<StringRef, double>{"beta2", beta2}}) {
      if (!(beta >= 0.0 && beta < 1.0)) {
        error() << "invalid " << name << " " << beta << " (needs 0 <= " << name
                << " < 1)";
        return failure();
      }
    }
    if (!(eps > 0.0) || !finite(eps)) {
      error() << "invalid eps " << eps << " (needs eps > 0)";
      return failure();
    }
    config.beta1 = beta1;
    config.beta2 = beta2;
    config.eps = eps;
  }

  if (!(maxGradNorm >= 0.0) || !finite(maxGradNorm)) {
    error() << "invalid max-grad-norm " << maxGradNorm
            << " (needs >= 0; 0 disables clipping)";
    return failure();
  }
  config.maxGradNorm = maxGradNorm;

  if (warmupSteps < 0) {
    error() << "invalid warmup-steps " << static_cast<int64_t>(warmupSteps)
            << " (needs >= 0)";
    return failure();
  }
  config.warmupSteps = warmupSteps;
  if (config.schedule == Schedule::Step) {
    if (stepSize < 1) {
      error() << "the step schedule needs step-size >= 1, got "
              << static_cast<int64_t>(stepSize);
      return failure();
    }
    if (!(gamma > 0.0) || !finite(gamma)) {
      error() << "the step schedule needs gamma > 0, got " << gamma;
      return failure();
    }
    config.stepSize = stepSize;
    config.gamma = gamma;
  }
  if (config.schedule == Schedule::Cosine) {
    if (totalSteps < 1) {
      error() << "the cosine schedule needs total-steps >= 1, got "
              << static_cast<int64_t>(totalSteps);
      return failure();
    }
    if (!(minLr >= 0.0) || !finite(minLr)) {
      error() << "the cosine schedule needs min-lr >= 0, got " << minLr;
      return failure();
    }
    config.totalSteps = totalSteps;
    config.minLr = minLr;
  }
  return config;
}

void MLOptOptimizerPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<Config> maybeConfig = buildConfig();
  if (failed(maybeConfig))
    return signalPassFailure();
  const Config &config = *maybeConfig;

  FailureOr<func::FuncOp> maybeTrainStep =
      findTrainStep(module, "mlopt-optimizer", "",
                    /*requireOneBlock=*/false);
  if (failed(maybeTrainStep))
    return signalPassFailure();
  func::FuncOp trainStep = *maybeTrainStep;

  SymbolTable symbols(module);
  if (Operation *existing = symbols.lookup(kStepStateName)) {
    existing->emitError("mlopt-optimizer already ran on this module (@")
        << kStepStateName << " exists)";
    return signalPassFailure();
  }
  if (trainStep.isExternal() || !trainStep.getBody().hasOneBlock()) {
    trainStep.emitError("mlopt-optimizer: @")
        << trainStep.getSymName() << " must have a body of one block";
    return signalPassFailure();
  }
  auto returnOp =
      dyn_cast<func::ReturnOp>(trainStep.getBody().front().getTerminator());
  if (!returnOp) {
    trainStep.emitError("mlopt-optimizer: @")
        << trainStep.getSymName() << " must end with func.return";
    return signalPassFailure();
  }

  // The gradient results and the parameters they belong to.
  SmallVector<GradientSlot> slots;
  llvm::StringSet<> seen;
  for (unsigned i = 0, e = trainStep.getNumResults(); i < e; ++i) {
    Attribute attr = trainStep.getResultAttr(i, kGradOfAttrName);
    if (!attr)
      continue;
    auto ref = dyn_cast<FlatSymbolRefAttr>(attr);
    if (!ref) {
      trainStep.emitError("result #")
          << i << ": '" << kGradOfAttrName
          << "' must be a flat symbol reference, got " << attr;
      return signalPassFailure();
    }
    auto param = symbols.lookup<StateOp>(ref.getValue());
    if (!param) {
      trainStep.emitError("result #")
          << i << " is the gradient of unknown state " << ref;
      return signalPassFailure();
    }
    if (!param.getTrainable()) {
      trainStep.emitError("result #") << i << " is the gradient of state "
                                      << ref << ", which is not trainable";
      return signalPassFailure();
    }
    int64_t shards = 0;
    if (Attribute shardAttr = trainStep.getResultAttr(i, kGradShardAttrName)) {
      auto count = dyn_cast<IntegerAttr>(shardAttr);
      if (!count || count.getInt() < 1) {
        trainStep.emitError("result #")
            << i << ": '" << kGradShardAttrName
            << "' must be an integer >= 1, got " << shardAttr;
        return signalPassFailure();
      }
      shards = count.getInt();
      RankedTensorType expected = shardType(param.getTensorType(), shards);
      if (trainStep.getResultTypes()[i] != expected) {
        trainStep.emitError("result #")
            << i << " of type " << trainStep.getResultTypes()[i]
            << " is a shard over " << shards << " ranks of the gradient of "
            << "state " << ref << " of type " << param.getType()
            << ", which has type " << expected;
        return signalPassFailure();
      }
    } else if (trainStep.getResultTypes()[i] != param.getType()) {
      trainStep.emitError("result #")
          << i << " of type " << trainStep.getResultTypes()[i]
          << " is the gradient of state " << ref << " of type "
          << param.getType();
      return signalPassFailure();
    }
    if (!seen.insert(ref.getValue()).second) {
      trainStep.emitError("result #")
          << i << " is a second gradient of state " << ref;
      return signalPassFailure();
    }
    // Every rank updates its chunk of every parameter, or none: the
    // gradients are all sharded over the same ranks or none is.
    if (!slots.empty() && slots.front().shards != shards) {
      auto describe = [](int64_t count) {
        return count ? "sharded over " + std::to_string(count) + " ranks"
                     : std::string("not sharded");
      };
      trainStep.emitError("mlopt-optimizer: the gradient result #")
          << i << " is " << describe(shards) << " but result #"
          << slots.front().resultIndex << " is "
          << describe(slots.front().shards) << " ('" << kGradShardAttrName
          << "')";
      return signalPassFailure();
    }
    slots.push_back({i, param, returnOp.getOperand(i), shards, {}});
  }
  // The ranks the gradients are sharded over; 0 when they are whole.
  int64_t gradShards = slots.empty() ? 0 : slots.front().shards;

  // mlopt-loss-scaling's verdict: the update applies only when it holds.
  std::optional<unsigned> finiteIndex;
  for (unsigned i = 0, e = trainStep.getNumResults(); i < e; ++i) {
    if (!trainStep.getResultAttr(i, MLOptDialect::kGradsFiniteAttrName))
      continue;
    if (finiteIndex) {
      trainStep.emitError("mlopt-optimizer: results #")
          << *finiteIndex << " and #" << i << " are both marked '"
          << MLOptDialect::kGradsFiniteAttrName << "'";
      return signalPassFailure();
    }
    finiteIndex = i;
  }
  Value applyUpdate = finiteIndex ? returnOp.getOperand(*finiteIndex) : Value();

  for (unsigned i = 0, e = trainStep.getNumResults(); i < e; ++i) {
    auto metric = trainStep.getResultAttrOfType<StringAttr>(
        i, MLOptDialect::kMetricAttrName);
    if (metric && metric.getValue() == kLrMetricName) {
      trainStep.emitError("mlopt-optimizer: result #")
          << i << " is already a metric named '" << kLrMetricName
          << "', the name of the learning rate this pass returns";
      return signalPassFailure();
    }
  }

  // New states go right after the last existing one, in gradient order, with
  // the step counter last.
  SmallVector<StringRef, 2> suffixes = stateSuffixes(config);
  Operation *lastState = nullptr;
  for (auto state : module.getOps<StateOp>())
    lastState = state;
  OpBuilder moduleBuilder(module.getContext());
  if (lastState)
    moduleBuilder.setInsertionPointAfter(lastState);
  else
    moduleBuilder.setInsertionPointToStart(module.getBody());
  auto zeros = ZerosInitAttr::get(module.getContext());
  auto stateName = [](StateOp param, StringRef suffix) {
    return ("optimizer." + param.getSymName() + "." + suffix).str();
  };
  // Check every name before the module changes.
  for (GradientSlot &slot : slots) {
    for (StringRef suffix : suffixes) {
      std::string name = stateName(slot.param, suffix);
      if (Operation *clash = symbols.lookup(name)) {
        clash->emitError("mlopt-optimizer: symbol @")
            << name << " already exists";
        return signalPassFailure();
      }
    }
  }
  auto addState = [&](StringRef name, RankedTensorType type,
                      StateKind kind) -> StateOp {
    auto state = StateOp::create(moduleBuilder, module.getLoc(), name, type,
                                 kind, /*trainable=*/false, zeros);
    symbols.insert(state, moduleBuilder.getInsertionPoint());
    return state;
  };
  for (GradientSlot &slot : slots) {
    for (StringRef suffix : suffixes) {
      RankedTensorType type = slot.param.getTensorType();
      if (slot.shards)
        type = shardType(type, slot.shards);
      StateOp state = addState(stateName(slot.param, suffix), type,
                               StateKind::OptimizerState);
      // This rank's chunk of the state PyTorch would hold whole.
      if (slot.shards) {
        state->setAttr(MLOptDialect::kShardOfAttrName,
                       FlatSymbolRefAttr::get(slot.param.getSymNameAttr()));
        state->setAttr(MLOptDialect::kShardRanksAttrName,
                       moduleBuilder.getI64IntegerAttr(slot.shards));
      }
      slot.states.push_back(state);
    }
  }
  OpBuilder b(returnOp);
  StateOp stepState =
      addState(kStepStateName, RankedTensorType::get({}, b.getI64Type()),
               StateKind::Step);

  // The update, before the return.
  Emitter emitter(b, trainStep.getLoc());
  auto read = [&](StateOp state) -> Value {
    return StateReadOp::create(b, trainStep.getLoc(), state.getType(),
                               state.getSymName());
  };
  // Every state this pass writes keeps its value, bit for bit, on a step
  // whose gradients are not all finite: no update, no step, no schedule.
  auto write = [&](Value value, Value previous, StateOp state) {
    if (applyUpdate)
      value =
          SelectOp::create(b, trainStep.getLoc(), applyUpdate, value, previous);
    StateWriteOp::create(b, trainStep.getLoc(), value, state.getSymName());
  };
  Value step = read(stepState);
  SmallVector<Value> grads;
  for (GradientSlot &slot : slots)
    grads.push_back(slot.grad);
  if (config.maxGradNorm > 0.0)
    grads = clipGradNorm(emitter, grads, config.maxGradNorm, gradShards);

  // A pruned weight stays pruned whatever momentum or weight decay say.
  auto writeParam = [&](GradientSlot &slot, Value newParam, Value param) {
    if (auto maskName = slot.param->getAttrOfType<FlatSymbolRefAttr>(
            MLOptDialect::kMaskedByAttrName))
      if (auto mask = symbols.lookup<StateOp>(maskName.getValue()))
        newParam =
            ApplyMaskOp::create(b, trainStep.getLoc(), newParam, read(mask));
    write(newParam, param, slot.param);
  };
  // A sharded parameter whose new shard awaits the all-gather.
  struct PendingShard {
    GradientSlot *slot;
    Value param;
    Value newShard;
  };
  SmallVector<PendingShard> pending;

  UpdateRules rules(emitter, config, step);
  for (auto [slot, grad] : llvm::zip_equal(slots, grads)) {
    Value param = read(slot.param);
    // This rank's chunk of the flattened, zero-padded parameter, which the
    // gradient shard and the optimizer states line up with.
    Value updated = param;
    if (slot.shards) {
      RankedTensorType type = slot.param.getTensorType();
      int64_t numel = type.getNumElements();
      int64_t padded =
          shardType(type, slot.shards).getNumElements() * slot.shards;
      Type element = type.getElementType();
      updated = emitter.reshape(param, RankedTensorType::get({numel}, element));
      if (padded > numel) {
        Value zeros = emitter.splat(
            RankedTensorType::get({padded - numel}, element), 0.0);
        updated = ConcatOp::create(b, trainStep.getLoc(),
                                   ValueRange{updated, zeros}, /*dim=*/0);
      }
      updated =
          LocalShardOp::create(b, trainStep.getLoc(), updated,
                               /*dim=*/0, static_cast<uint64_t>(slot.shards));
    }
    SmallVector<Value, 2> states;
    for (StateOp state : slot.states)
      states.push_back(read(state));
    ParamUpdate update = rules.update(updated, grad, states);
    if (slot.shards)
      pending.push_back({&slot, param, update.param});
    else
      writeParam(slot, update.param, param);
    for (auto [state, value, previous] :
         llvm::zip_equal(slot.states, update.states, states))
      write(value, previous, state);
  }
  // Every rank's new shards in one exchange, each back to its parameter's
  // shape: the padding is cut off, then the mask and the verdict apply to
  // the whole parameter as without sharding.
  if (!pending.empty()) {
    SmallVector<Value> newShards;
    for (const PendingShard &shard : pending)
      newShards.push_back(shard.newShard);
    auto gather =
        AllGatherOp::create(b, trainStep.getLoc(), newShards,
                            /*dim=*/0, static_cast<uint64_t>(gradShards));
    for (auto [shard, gathered] :
         llvm::zip_equal(pending, gather.getResults())) {
      RankedTensorType type = shard.slot->param.getTensorType();
      int64_t numel = type.getNumElements();
      Value full = gathered;
      if (cast<RankedTensorType>(full.getType()).getNumElements() > numel)
        full =
            SliceOp::create(b, trainStep.getLoc(), full, ArrayRef<int64_t>{0},
                            ArrayRef<int64_t>{numel}, ArrayRef<int64_t>{1});
      writeParam(*shard.slot, emitter.reshape(full, type), shard.param);
    }
  }
  write(rules.nextStep(), step, stepState);

  // The learning rate this step applied, as an extra metric result.
  Value appliedLr = emitter.asF64(rules.appliedLearningRate());

  // The gradients are consumed: drop them from the return and the signature.
  llvm::BitVector erase(trainStep.getNumResults());
  for (const GradientSlot &slot : slots)
    erase.set(slot.resultIndex);
  if (finiteIndex)
    erase.set(*finiteIndex);
  SmallVector<Value> kept;
  for (auto [i, operand] : llvm::enumerate(returnOp.getOperands()))
    if (!erase.test(i))
      kept.push_back(operand);
  returnOp->setOperands(kept);
  if (failed(trainStep.eraseResults(erase))) {
    trainStep.emitError("mlopt-optimizer: cannot remove the gradient results");
    return signalPassFailure();
  }
  unsigned lrIndex = trainStep.getNumResults();
  returnOp->insertOperands(returnOp->getNumOperands(), appliedLr);
  auto metricAttr = b.getNamedAttr(MLOptDialect::kMetricAttrName,
                                   b.getStringAttr(kLrMetricName));
  if (failed(trainStep.insertResult(lrIndex, appliedLr.getType(),
                                    b.getDictionaryAttr(metricAttr)))) {
    trainStep.emitError("mlopt-optimizer: cannot add the learning-rate result");
    return signalPassFailure();
  }
}
