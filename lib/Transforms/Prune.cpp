//===- Prune.cpp - pruning masks as state, applied in the forward pass ----===//
//
// mlopt-prune (issue #10): validates the options and the targets, adds a
// mask state per pruned weight and the step counter, recomputes the masks
// with mlopt.prune_mask at the start of the loss function and applies them
// where the model reads the weights. Every method is a choice of scores and
// of groups for prune_mask's one rule; the sharding rules of the consuming
// ops say which states are weights, which dimension they contract and which
// bias follows a pruned output neuron.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"
#include "mlopt/Support/CounterHash.h"
#include "mlopt/Transforms/Passes.h"
#include "mlopt/Transforms/PruneFinalize.h"
#include "mlopt/Transforms/Pruning.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Regex.h"

#include <cmath>
#include <map>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTPRUNE
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {

enum class Method { L1, Random, Ln, Nm };

/// The validated options.
struct Config {
  Method method = Method::L1;
  bool global = false;
  bool gradual = false;
  /// `amount`, when given: a fraction or a count (at most one is set).
  std::optional<double> fraction;
  std::optional<int64_t> count;
  /// gradual: the explicit `final-sparsity`.
  std::optional<double> finalSparsity;
  double initialSparsity = 0.0;
  int64_t startStep = 0, endStep = 0, frequency = 1;
  double norm = 2.0;
  int64_t dim = 0;
  int64_t n = 2, m = 4;
  int64_t seed = 0;
};

/// A state masked along with a structurally pruned weight (linear's bias),
/// and its dimension that the weight's pruned slices map to.
struct Bias {
  StateOp state;
  int64_t dim;
};

/// One pruned weight.
struct Target {
  StateOp state;
  /// ln: the pruned dimension; nm: the dimension of the groups of m (the
  /// reduction dimension). Normalized to [0, rank).
  int64_t dim = 0;
  /// ln with dim 0: the biases masked with the rows.
  SmallVector<Bias, 1> biases;
  /// The mask states, created before the rewrite.
  StateOp mask;
  SmallVector<StateOp, 1> biasMasks;
};

struct MLOptPrunePass : mlopt::impl::MLOptPruneBase<MLOptPrunePass> {
  using Base::Base;
  void runOnOperation() override;

private:
  FailureOr<Config> buildConfig();
};

} // namespace

static RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

FailureOr<Config> MLOptPrunePass::buildConfig() {
  ModuleOp module = getOperation();
  auto error = [&]() { return module.emitError("mlopt-prune: "); };
  Config config;

  if (method == "l1") {
    config.method = Method::L1;
  } else if (method == "random") {
    config.method = Method::Random;
  } else if (method == "ln") {
    config.method = Method::Ln;
  } else if (method == "nm") {
    config.method = Method::Nm;
  } else {
    error() << "unknown method '" << method
            << "' (expected l1, random, ln or nm)";
    return failure();
  }
  if (scope == "tensor") {
    config.global = false;
  } else if (scope == "global") {
    config.global = true;
  } else {
    error() << "unknown scope '" << scope << "' (expected tensor or global)";
    return failure();
  }
  if (schedule == "oneshot") {
    config.gradual = false;
  } else if (schedule == "gradual") {
    config.gradual = true;
  } else {
    error() << "unknown schedule '" << schedule
            << "' (expected oneshot or gradual)";
    return failure();
  }
  if (config.global &&
      (config.method == Method::Ln || config.method == Method::Nm)) {
    error() << "scope=global ranks single entries and needs method l1 or "
               "random, got "
            << method;
    return failure();
  }

  // amount: a fraction when it is written like one, else a count.
  StringRef text = StringRef(amount).trim();
  if (!text.empty()) {
    if (config.method == Method::Nm) {
      error() << "method nm prunes (m - n) / m of every group; it takes no "
                 "amount (got '"
              << text << "')";
      return failure();
    }
    if (text.find_first_of(".eE") != StringRef::npos) {
      double value;
      if (text.getAsDouble(value)) {
        error() << "amount '" << text << "' is not a number";
        return failure();
      }
      if (!(value >= 0.0 && value <= 1.0)) {
        error() << "amount " << text
                << " is a fraction outside [0, 1] (write a count without a "
                   "decimal point)";
        return failure();
      }
      config.fraction = value;
    } else {
      int64_t value;
      if (text.getAsInteger(10, value)) {
        error() << "amount '" << text
                << "' is neither a fraction nor an integer count";
        return failure();
      }
      if (value < 0) {
        error() << "amount " << value << " is a negative count";
        return failure();
      }
      config.count = value;
    }
  }

  if (startStep < 0) {
    error() << "start-step must be >= 0, got "
            << static_cast<int64_t>(startStep);
    return failure();
  }
  config.startStep = startStep;
  config.endStep = startStep;
  if (config.gradual) {
    if (config.method == Method::Nm) {
      error() << "method nm has a fixed sparsity (m - n) / m and cannot "
                 "follow schedule=gradual";
      return failure();
    }
    if (endStep < startStep) {
      error() << "schedule=gradual needs end-step >= start-step (got "
                 "start-step "
              << static_cast<int64_t>(startStep) << ", end-step "
              << static_cast<int64_t>(endStep) << ")";
      return failure();
    }
    if (frequency < 1) {
      error() << "frequency must be >= 1, got "
              << static_cast<int64_t>(frequency);
      return failure();
    }
    if ((endStep - startStep) % frequency != 0) {
      error() << "end-step - start-step = "
              << static_cast<int64_t>(endStep - startStep)
              << " is not a multiple of the frequency "
              << static_cast<int64_t>(frequency)
              << ", so the last update would not reach the final sparsity";
      return failure();
    }
    if (!(initialSparsity >= 0.0 && initialSparsity <= 1.0)) {
      error() << "initial-sparsity " << initialSparsity
              << " lies outside [0, 1]";
      return failure();
    }
    if (finalSparsity >= 0.0 || std::isnan(finalSparsity)) {
      if (!text.empty()) {
        error() << "give the final sparsity once: amount '" << text
                << "' and final-sparsity " << finalSparsity;
        return failure();
      }
      if (!(finalSparsity <= 1.0)) {
        error() << "final-sparsity " << finalSparsity << " lies outside [0, 1]";
        return failure();
      }
      config.finalSparsity = static_cast<double>(finalSparsity);
    } else if (text.empty()) {
      error() << "schedule=gradual needs final-sparsity (or amount)";
      return failure();
    }
    config.initialSparsity = initialSparsity;
    config.endStep = endStep;
    config.frequency = frequency;
  } else if (text.empty() && config.method != Method::Nm) {
    error() << "method " << method << " needs an amount";
    return failure();
  }

  if (config.method == Method::Ln) {
    if (!(norm > 0.0)) {
      error() << "norm must be > 0 (or inf), got " << norm;
      return failure();
    }
    config.norm = norm;
    config.dim = dim;
  }
  if (config.method == Method::Nm) {
    if (m < 1) {
      error() << "m must be >= 1, got " << static_cast<int64_t>(m);
      return failure();
    }
    if (n < 0 || n > m) {
      error() << "n:m needs 0 <= n <= m, got " << static_cast<int64_t>(n) << ":"
              << static_cast<int64_t>(m);
      return failure();
    }
    config.n = n;
    config.m = m;
  }
  config.seed = seed;
  return config;
}

//===----------------------------------------------------------------------===//
// What the ops say about a state
//===----------------------------------------------------------------------===//

/// The reads of `state` in `func`, in program order.
static SmallVector<StateReadOp> readsOf(func::FuncOp func, StateOp state) {
  SmallVector<StateReadOp> reads;
  func.walk([&](StateReadOp read) {
    if (read.getState() == state.getSymName())
      reads.push_back(read);
  });
  return reads;
}

/// The dimension of `use`'s operand that its op contracts: one that maps to
/// a reduction factor of the op's sharding rule which another operand
/// shares (linear's and matmul's inner dimension), in an op with a
/// non-scalar result (a loss reduces its operands to a scalar).
static std::optional<int64_t> contractedDim(OpOperand &use) {
  Operation *op = use.getOwner();
  auto sharding = dyn_cast<ShardingOpInterface>(op);
  if (!sharding || llvm::none_of(op->getResultTypes(), [](Type type) {
        auto ranked = dyn_cast<RankedTensorType>(type);
        return ranked && ranked.getRank() > 0;
      }))
    return std::nullopt;
  ShardingRule rule = sharding.getShardingRule();
  unsigned index = use.getOperandNumber();
  if (index >= rule.operands.size())
    return std::nullopt;
  for (auto [dim, factors] : llvm::enumerate(rule.operands[index])) {
    for (int64_t factor : factors) {
      if (rule.factors[factor].kind != FactorKind::Reduction)
        continue;
      for (unsigned other = 0, e = rule.operands.size(); other < e; ++other)
        if (other != index && rule.getOperandDim(other, factor))
          return static_cast<int64_t>(dim);
    }
  }
  return std::nullopt;
}

/// The dimension of `state` that an op of `loss` contracts, if any.
static std::optional<int64_t> contractedDimOf(func::FuncOp loss,
                                              StateOp state) {
  for (StateReadOp read : readsOf(loss, state))
    for (OpOperand &use : read->getUses())
      if (std::optional<int64_t> dim = contractedDim(use))
        return dim;
  return std::nullopt;
}

static bool isFloatParameter(StateOp state) {
  return state.getKind() == StateKind::Parameter &&
         isa<FloatType>(state.getTensorType().getElementType());
}

/// The states that the ops consuming `weight` add after their reduction
/// along the slices of its dimension `dim` (linear's bias for the rows): a
/// post-reduction operand read from a floating-point parameter that maps to
/// the pass-through factor of the weight's `dim`.
static SmallVector<Bias, 1> findBiases(func::FuncOp loss, StateOp weight,
                                       int64_t dim, SymbolTable &symbols) {
  SmallVector<Bias, 1> biases;
  for (StateReadOp read : readsOf(loss, weight)) {
    for (OpOperand &use : read->getUses()) {
      auto sharding = dyn_cast<ShardingOpInterface>(use.getOwner());
      if (!sharding)
        continue;
      ShardingRule rule = sharding.getShardingRule();
      std::optional<int64_t> factor =
          rule.getOperandSplitFactor(use.getOperandNumber(), dim);
      if (!factor || rule.factors[*factor].kind != FactorKind::PassThrough)
        continue;
      for (unsigned operand : rule.postReductionOperands) {
        auto biasRead =
            use.getOwner()->getOperand(operand).getDefiningOp<StateReadOp>();
        if (!biasRead)
          continue;
        auto bias = symbols.lookup<StateOp>(biasRead.getState());
        std::optional<int64_t> biasDim = rule.getOperandDim(operand, *factor);
        if (!bias || bias == weight || !biasDim || !isFloatParameter(bias) ||
            llvm::any_of(biases,
                         [&](const Bias &b) { return b.state == bias; }))
          continue;
        biases.push_back({bias, *biasDim});
      }
    }
  }
  return biases;
}

//===----------------------------------------------------------------------===//
// Emitting the masks
//===----------------------------------------------------------------------===//

namespace {

/// Builds the mask computation at the start of the loss function.
class MaskEmitter {
public:
  MaskEmitter(OpBuilder &builder, Location loc, const Config &config,
              Value step)
      : b(builder, loc), config(config), step(step) {}

  /// The sparsity and update flag of the schedule that ends at `final`.
  std::pair<Value, Value> schedule(double final);

  /// The current value of `state`.
  Value read(StateOp state);
  /// The unstructured scores of `weight` (l1, nm: |w|; random: uniform
  /// numbers of the stream of `mask`), of its shape.
  Value elementScores(StateOp weight, StateOp mask);
  /// ln: one score per slice along `dim`, a 1-D tensor.
  Value sliceScores(Value weight, int64_t dim);
  /// ln: the current mask of each slice along `dim` (0 when all of it is
  /// pruned), a 1-D tensor.
  Value sliceMask(Value mask, int64_t dim);
  /// `scores` with -1 where `previous` is 0, below every score.
  Value keepPruned(Value scores, Value previous);
  /// `value` as one group: `[1, N]`.
  Value asOneGroup(Value value);
  /// nm: `value` as groups of m along `dim`, `[N / m, m]`, and back.
  Value toNmGroups(Value value, int64_t dim);
  Value fromNmGroups(Value groups, RankedTensorType type, int64_t dim);
  /// ln: a per-slice mask `[1, K]` expanded to `type`, along `dim`.
  Value expandSliceMask(Value sliceMask, RankedTensorType type, int64_t dim);
  Value pruneMask(Value scores, double final, Value previous);

  MLOptBuilder b;

private:
  const Config &config;
  Value step;
  std::map<double, std::pair<Value, Value>> schedules;
};

} // namespace

std::pair<Value, Value> MaskEmitter::schedule(double final) {
  auto it = schedules.find(final);
  if (it != schedules.end())
    return it->second;
  double initial = config.gradual ? config.initialSparsity : final;
  int64_t frequency = config.gradual ? config.frequency : 1;
  auto op = SparsityScheduleOp::create(b.getBuilder(), b.getLoc(), step,
                                       initial, final, config.startStep,
                                       config.endStep, frequency);
  std::pair<Value, Value> result{op.getSparsity(), op.getUpdate()};
  schedules[final] = result;
  return result;
}

Value MaskEmitter::read(StateOp state) {
  return StateReadOp::create(b.getBuilder(), b.getLoc(), state.getType(),
                             state.getSymName());
}

Value MaskEmitter::elementScores(StateOp weight, StateOp mask) {
  if (config.method != Method::Random)
    return b.abs(read(weight));
  OpBuilder &builder = b.getBuilder();
  auto seedType = RankedTensorType::get({}, builder.getI64Type());
  Value seed = ConstantOp::create(
      builder, b.getLoc(),
      DenseElementsAttr::get(seedType, ArrayRef<int64_t>{config.seed}));
  auto uniform = UniformInitAttr::get(b.getContext(), llvm::APFloat(0.0),
                                      llvm::APFloat(1.0));
  // The I64Attr stream is the u64 hash reinterpreted, as in @init.
  auto stream = builder.getI64IntegerAttr(
      static_cast<int64_t>(counter_hash::fnv1a64(mask.getSymName())));
  return InitialValueOp::create(builder, b.getLoc(), weight.getType(), seed,
                                uniform, stream);
}

/// Every dimension of a rank-`rank` tensor but `dim`.
static SmallVector<int64_t> otherDims(int64_t rank, int64_t dim) {
  SmallVector<int64_t> dims;
  for (int64_t d = 0; d < rank; ++d)
    if (d != dim)
      dims.push_back(d);
  return dims;
}

Value MaskEmitter::sliceScores(Value weight, int64_t dim) {
  RankedTensorType type = tensorTypeOf(weight);
  SmallVector<int64_t> dims = otherDims(type.getRank(), dim);
  Value magnitude = b.abs(weight);
  if (std::isinf(config.norm)) {
    if (dims.empty())
      return magnitude;
    return MaxOp::create(b.getBuilder(), b.getLoc(), magnitude,
                         b.getBuilder().getDenseI64ArrayAttr(dims));
  }
  // sum |w|^p orders the slices as the L_p norm does.
  Value powered = magnitude;
  if (config.norm == 2.0)
    powered = b.mul(magnitude, magnitude);
  else if (config.norm != 1.0)
    powered = b.pow(magnitude, b.constantLike(weight, config.norm));
  return b.sum(powered, dims, /*keepDims=*/false);
}

Value MaskEmitter::sliceMask(Value mask, int64_t dim) {
  SmallVector<int64_t> dims = otherDims(tensorTypeOf(mask).getRank(), dim);
  if (dims.empty())
    return mask;
  return MaxOp::create(b.getBuilder(), b.getLoc(), mask,
                       b.getBuilder().getDenseI64ArrayAttr(dims));
}

Value MaskEmitter::keepPruned(Value scores, Value previous) {
  Value pruned =
      b.compare(ComparePredicate::EQ, previous, b.constantLike(previous, 0.0));
  return b.select(pruned, b.constantLike(scores, -1.0), scores);
}

Value MaskEmitter::asOneGroup(Value value) {
  RankedTensorType type = tensorTypeOf(value);
  return b.reshape(value, RankedTensorType::get({1, type.getNumElements()},
                                                type.getElementType()));
}

/// The permutation that moves `dim` last.
static SmallVector<int64_t> moveLast(int64_t rank, int64_t dim) {
  SmallVector<int64_t> permutation = otherDims(rank, dim);
  permutation.push_back(dim);
  return permutation;
}

Value MaskEmitter::toNmGroups(Value value, int64_t dim) {
  RankedTensorType type = tensorTypeOf(value);
  int64_t rank = type.getRank();
  if (dim != rank - 1)
    value = b.transpose(value, moveLast(rank, dim));
  return b.reshape(
      value, RankedTensorType::get({type.getNumElements() / config.m, config.m},
                                   type.getElementType()));
}

Value MaskEmitter::fromNmGroups(Value groups, RankedTensorType type,
                                int64_t dim) {
  int64_t rank = type.getRank();
  if (dim == rank - 1)
    return b.reshape(groups, type);
  SmallVector<int64_t> permutation = moveLast(rank, dim);
  SmallVector<int64_t> shape, inverse(rank);
  for (auto [i, d] : llvm::enumerate(permutation)) {
    shape.push_back(type.getDimSize(d));
    inverse[d] = static_cast<int64_t>(i);
  }
  Value moved = b.reshape(groups, type.clone(shape));
  return b.transpose(moved, inverse);
}

Value MaskEmitter::expandSliceMask(Value sliceMask, RankedTensorType type,
                                   int64_t dim) {
  SmallVector<int64_t> kept(type.getRank(), 1);
  kept[dim] = type.getDimSize(dim);
  Value cast = b.cast(sliceMask, type.getElementType());
  return b.broadcastTo(b.reshape(cast, type.clone(kept)), type);
}

Value MaskEmitter::pruneMask(Value scores, double final, Value previous) {
  auto [sparsity, update] = schedule(final);
  return PruneMaskOp::create(b.getBuilder(), b.getLoc(), scores, sparsity,
                             update, previous);
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// The fraction to prune from a group of `length` entries (of `what`, for
/// messages), checked against the schedule; errors at `state`.
static FailureOr<double> groupFraction(const Config &config, int64_t length,
                                       StringRef what, Operation *at) {
  if (config.method == Method::Nm)
    return static_cast<double>(config.m - config.n) /
           static_cast<double>(config.m);
  double fraction;
  if (config.finalSparsity) {
    fraction = *config.finalSparsity;
  } else if (config.count) {
    if (*config.count > length) {
      at->emitError("mlopt-prune: amount ")
          << *config.count << " is more than the " << length << " " << what;
      return failure();
    }
    fraction = length == 0 ? 0.0
                           : static_cast<double>(*config.count) /
                                 static_cast<double>(length);
  } else {
    fraction = *config.fraction;
  }
  if (config.gradual && fraction < config.initialSparsity) {
    at->emitError("mlopt-prune: the final sparsity ")
        << fraction << " is below initial-sparsity " << config.initialSparsity
        << "; gradual pruning only adds zeros";
    return failure();
  }
  return fraction;
}

void MLOptPrunePass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<Config> maybeConfig = buildConfig();
  if (failed(maybeConfig))
    return signalPassFailure();
  const Config &config = *maybeConfig;

  // The loss function (the dialect verifies there is at most one).
  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kLossAttrName))
      loss = func;
  if (!loss || loss.isExternal()) {
    module.emitError("mlopt-prune: no loss function with a body (marked '")
        << MLOptDialect::kLossAttrName << "') to prune the weights of";
    return signalPassFailure();
  }
  SymbolTable symbols(module);

  // The targets, in declaration order.
  SmallVector<Target> pruned;
  if (!targets.empty()) {
    llvm::Regex regex("^(" + targets + ")$");
    std::string regexError;
    if (!regex.isValid(regexError)) {
      module.emitError("mlopt-prune: invalid targets regex '")
          << targets << "': " << regexError;
      return signalPassFailure();
    }
    for (StateOp state : module.getOps<StateOp>())
      if (regex.match(state.getSymName()))
        pruned.push_back(Target{state, 0, {}, {}, {}});
    if (pruned.empty()) {
      module.emitError("mlopt-prune: targets '")
          << targets << "' match no state";
      return signalPassFailure();
    }
  } else {
    for (StateOp state : module.getOps<StateOp>())
      if (isFloatParameter(state) && contractedDimOf(loss, state))
        pruned.push_back(Target{state, 0, {}, {}, {}});
    if (pruned.empty()) {
      module.emitError("mlopt-prune: the loss function has no weight of a "
                       "linear or matmul-like op to prune (name the states "
                       "with targets=)");
      return signalPassFailure();
    }
  }

  // Biases of structured pruning: not targets themselves, not masked yet,
  // one weight each.
  llvm::DenseMap<Operation *, StateOp> biasOf;
  auto checkBiases = [&](Target &target) -> LogicalResult {
    for (Bias &bias : target.biases) {
      if (llvm::any_of(pruned,
                       [&](const Target &t) { return t.state == bias.state; }))
        return bias.state.emitError("mlopt-prune: @")
               << bias.state.getSymName()
               << " is a target and also the bias of @"
               << target.state.getSymName()
               << ", whose pruned rows mask it; leave it out of targets";
      if (auto maskedBy = bias.state->getAttr(MLOptDialect::kMaskedByAttrName))
        return bias.state.emitError("mlopt-prune: @")
               << bias.state.getSymName() << ", the bias of @"
               << target.state.getSymName() << ", is already masked by "
               << maskedBy;
      auto [it, inserted] =
          biasOf.insert({bias.state.getOperation(), target.state});
      if (!inserted)
        return bias.state.emitError("mlopt-prune: @")
               << bias.state.getSymName() << " is the bias of both @"
               << it->second.getSymName() << " and @"
               << target.state.getSymName()
               << ", which ln dim=0 would mask differently";
    }
    return success();
  };

  // Each target on its own.
  for (Target &target : pruned) {
    StateOp state = target.state;
    RankedTensorType type = state.getTensorType();
    if (state.getKind() != StateKind::Parameter) {
      state.emitError("mlopt-prune: target @")
          << state.getSymName() << " is a '"
          << stringifyStateKind(state.getKind())
          << "' state; only parameters are pruned";
      return signalPassFailure();
    }
    if (!isa<FloatType>(type.getElementType())) {
      state.emitError("mlopt-prune: target @")
          << state.getSymName() << " of type " << type
          << " is not floating-point";
      return signalPassFailure();
    }
    if (auto maskedBy = state->getAttr(MLOptDialect::kMaskedByAttrName)) {
      state.emitError("mlopt-prune: target @")
          << state.getSymName() << " is already masked by " << maskedBy;
      return signalPassFailure();
    }
    if (type.getRank() == 0) {
      state.emitError("mlopt-prune: target @")
          << state.getSymName() << " is a 0-d tensor";
      return signalPassFailure();
    }

    if (config.method == Method::Ln) {
      std::optional<int64_t> dim = normalizeDim(config.dim, type.getRank());
      if (!dim) {
        state.emitError("mlopt-prune: dim ")
            << config.dim << " is out of range for @" << state.getSymName()
            << " of rank " << type.getRank();
        return signalPassFailure();
      }
      target.dim = *dim;
      if (*dim == 0) {
        target.biases = findBiases(loss, state, 0, symbols);
        if (failed(checkBiases(target)))
          return signalPassFailure();
      }
    } else if (config.method == Method::Nm) {
      target.dim = contractedDimOf(loss, state).value_or(type.getRank() - 1);
      int64_t size = type.getDimSize(target.dim);
      if (size % config.m != 0) {
        state.emitError("mlopt-prune: n:m groups of m = ")
            << config.m << " do not divide dimension " << target.dim << " of @"
            << state.getSymName() << " (size " << size << ")";
        return signalPassFailure();
      }
    }
  }

  // The fractions per group, checked before the module changes.
  SmallVector<double> fractions;
  if (config.global) {
    int64_t total = 0;
    for (Target &target : pruned)
      total += target.state.getTensorType().getNumElements();
    FailureOr<double> fraction =
        groupFraction(config, total, "entries of all targets together", module);
    if (failed(fraction))
      return signalPassFailure();
    fractions.assign(pruned.size(), *fraction);
  } else {
    for (Target &target : pruned) {
      RankedTensorType type = target.state.getTensorType();
      std::string what;
      int64_t length;
      if (config.method == Method::Ln) {
        length = type.getDimSize(target.dim);
        what = ("slices along dim " + Twine(target.dim) + " of @" +
                target.state.getSymName())
                   .str();
      } else {
        length = type.getNumElements();
        what = ("entries of @" + target.state.getSymName()).str();
      }
      FailureOr<double> fraction =
          groupFraction(config, length, what, target.state);
      if (failed(fraction))
        return signalPassFailure();
      fractions.push_back(*fraction);
    }
  }

  // The names this pass adds.
  auto checkFree = [&](StringRef name) -> LogicalResult {
    if (Operation *clash = symbols.lookup(name))
      return clash->emitError("mlopt-prune: symbol @")
             << name << " already exists";
    return success();
  };
  for (Target &target : pruned) {
    if (failed(checkFree(getMaskStateName(target.state.getSymName()))))
      return signalPassFailure();
    for (Bias &bias : target.biases)
      if (failed(checkFree(getMaskStateName(bias.state.getSymName()))))
        return signalPassFailure();
  }
  auto i64Scalar =
      RankedTensorType::get({}, IntegerType::get(&getContext(), 64));
  auto stepState = symbols.lookup<StateOp>(kPruningStepStateName);
  bool ownsStep = !stepState;
  if (Operation *existing = symbols.lookup(kPruningStepStateName)) {
    if (!stepState || stepState.getKind() != StateKind::Step ||
        stepState.getType() != i64Scalar) {
      existing->emitError("mlopt-prune: symbol @")
          << kPruningStepStateName
          << " exists but is not the tensor<i64> step state of an earlier "
             "mlopt-prune";
      return signalPassFailure();
    }
  }

  // Last, that mlopt-prune-finalize can remove the pruned neurons.
  if (config.method == Method::Ln)
    for (Target &target : pruned)
      if (target.dim == 0 &&
          failed(checkStructuredShrink(loss, target.state, 0)))
        return signalPassFailure();

  // The rewrite: the mask states after their weights, the step counter
  // after the last state.
  MLIRContext *context = &getContext();
  auto ones = OnesInitAttr::get(context);
  auto addMask = [&](StateOp of) -> StateOp {
    OpBuilder builder(of->getContext());
    builder.setInsertionPointAfter(of);
    auto mask = StateOp::create(builder, of.getLoc(),
                                getMaskStateName(of.getSymName()), of.getType(),
                                StateKind::Mask, /*trainable=*/false, ones);
    symbols.insert(mask, builder.getInsertionPoint());
    of->setAttr(MLOptDialect::kMaskedByAttrName,
                FlatSymbolRefAttr::get(mask.getSymNameAttr()));
    return mask;
  };
  // The reads to mask, before the mask computation adds reads of its own.
  llvm::MapVector<StateReadOp, StateOp> readsToMask;
  for (Target &target : pruned) {
    for (StateReadOp read : readsOf(loss, target.state))
      readsToMask.insert({read, target.state});
    for (Bias &bias : target.biases)
      for (StateReadOp read : readsOf(loss, bias.state))
        readsToMask.insert({read, bias.state});
  }
  for (Target &target : pruned) {
    target.mask = addMask(target.state);
    for (Bias &bias : target.biases)
      target.biasMasks.push_back(addMask(bias.state));
  }
  if (ownsStep) {
    Operation *lastState = nullptr;
    for (StateOp state : module.getOps<StateOp>())
      lastState = state;
    OpBuilder builder(context);
    builder.setInsertionPointAfter(lastState);
    stepState = StateOp::create(builder, module.getLoc(), kPruningStepStateName,
                                i64Scalar, StateKind::Step, /*trainable=*/false,
                                ZerosInitAttr::get(context));
    symbols.insert(stepState, builder.getInsertionPoint());
  }

  // The mask computation at the start of the loss function.
  OpBuilder builder = OpBuilder::atBlockBegin(&loss.front());
  Location loc = loss.getLoc();
  Value step = StateReadOp::create(builder, loc, stepState.getType(),
                                   stepState.getSymName());
  MaskEmitter emitter(builder, loc, config, step);
  MLOptBuilder &b = emitter.b;
  for (double fraction : fractions)
    (void)emitter.schedule(fraction);
  llvm::DenseMap<Operation *, Value> newMasks;
  auto writeMask = [&](StateOp of, StateOp mask, Value value) {
    StateWriteOp::create(builder, loc, value, mask.getSymName());
    newMasks[of.getOperation()] = value;
  };

  if (config.global) {
    // One group of every target's flattened scores; the widest element
    // type holds them all.
    FloatType scoreType;
    for (Target &target : pruned) {
      auto type =
          cast<FloatType>(target.state.getTensorType().getElementType());
      if (!scoreType || type.getWidth() > scoreType.getWidth())
        scoreType = type;
    }
    SmallVector<Value> scores, previous;
    for (Target &target : pruned) {
      Value elements = emitter.elementScores(target.state, target.mask);
      Value mask = emitter.read(target.mask);
      Value score = emitter.keepPruned(elements, mask);
      scores.push_back(emitter.asOneGroup(b.cast(score, scoreType)));
      previous.push_back(emitter.asOneGroup(b.cast(mask, scoreType)));
    }
    auto concat = [&](ArrayRef<Value> values) -> Value {
      if (values.size() == 1)
        return values.front();
      return ConcatOp::create(builder, loc, values,
                              builder.getI64IntegerAttr(1));
    };
    Value allScores = concat(scores);
    Value allPrevious = concat(previous);
    Value all = emitter.pruneMask(allScores, fractions.front(), allPrevious);
    int64_t offset = 0;
    for (Target &target : pruned) {
      RankedTensorType type = target.state.getTensorType();
      int64_t size = type.getNumElements();
      Value slice = all;
      if (pruned.size() > 1)
        slice = SliceOp::create(
            builder, loc, all, builder.getDenseI64ArrayAttr({0, offset}),
            builder.getDenseI64ArrayAttr({1, offset + size}),
            builder.getDenseI64ArrayAttr({1, 1}));
      offset += size;
      Value mask = b.reshape(b.cast(slice, type.getElementType()), type);
      writeMask(target.state, target.mask, mask);
    }
  } else {
    for (auto [target, fraction] : llvm::zip_equal(pruned, fractions)) {
      RankedTensorType type = target.state.getTensorType();
      switch (config.method) {
      case Method::L1:
      case Method::Random: {
        Value elements = emitter.elementScores(target.state, target.mask);
        Value previous = emitter.read(target.mask);
        Value scores = emitter.keepPruned(elements, previous);
        Value groups = emitter.asOneGroup(scores);
        Value previousGroups = emitter.asOneGroup(previous);
        Value mask = emitter.pruneMask(groups, fraction, previousGroups);
        writeMask(target.state, target.mask, b.reshape(mask, type));
        break;
      }
      case Method::Nm: {
        Value elements = emitter.elementScores(target.state, target.mask);
        Value previous = emitter.read(target.mask);
        Value scores = emitter.keepPruned(elements, previous);
        Value groups = emitter.toNmGroups(scores, target.dim);
        Value previousGroups = emitter.toNmGroups(previous, target.dim);
        Value mask = emitter.pruneMask(groups, fraction, previousGroups);
        writeMask(target.state, target.mask,
                  emitter.fromNmGroups(mask, type, target.dim));
        break;
      }
      case Method::Ln: {
        Value weight = emitter.read(target.state);
        Value previous = emitter.read(target.mask);
        Value slices = emitter.sliceMask(previous, target.dim);
        Value scores =
            emitter.keepPruned(emitter.sliceScores(weight, target.dim), slices);
        Value groups = emitter.asOneGroup(scores);
        Value previousGroups = emitter.asOneGroup(slices);
        Value mask = emitter.pruneMask(groups, fraction, previousGroups);
        // Times the current mask: the kept slices keep the zeros they have
        // (a loaded unstructured mask), and with `update` false (the
        // schedule, @eval_step) the result is the current mask exactly.
        writeMask(
            target.state, target.mask,
            b.mul(emitter.expandSliceMask(mask, type, target.dim), previous));
        for (auto [bias, biasMask] :
             llvm::zip_equal(target.biases, target.biasMasks)) {
          Value current = emitter.read(biasMask);
          writeMask(bias.state, biasMask,
                    b.mul(emitter.expandSliceMask(
                              mask, bias.state.getTensorType(), bias.dim),
                          current));
        }
        break;
      }
      }
    }
  }
  if (ownsStep)
    StateWriteOp::create(builder, loc, b.increment(step),
                         stepState.getSymName());

  // Every other read of a masked state sees the new mask applied.
  for (auto [original, state] : readsToMask) {
    OpBuilder after(original->getContext());
    after.setInsertionPointAfter(original);
    auto masked =
        ApplyMaskOp::create(after, original.getLoc(), original.getResult(),
                            newMasks.lookup(state.getOperation()));
    original.getResult().replaceAllUsesExcept(masked.getResult(), masked);
  }
}
