//===- PruneFinalize.cpp - fold pruning masks, shrink pruned neurons ------===//
//
// Finalization of pruning (issue #10): `apply_mask` is dropped, the mask
// updates of `mlopt-prune` and the mask states are erased, and the slices of
// a weight that a structured mask zeroes whole are removed from the weight
// and from the states that share their dimension (the bias, the next
// layer's input columns, or the previous layer's rows). Which dimensions
// share a slice comes from the ops' sharding rules: the factor of the
// weight's dimension is followed through the graph, downstream through
// zero-preserving ops (`MLOpt_PreservesZero`) to a sum over it, or upstream
// to the layer that produces it.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/PruneFinalize.h"
#include "EraseDeadOps.h"
#include "mlopt/Transforms/Passes.h"
#include "mlopt/Transforms/Pruning.h"

#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

#include <map>
#include <optional>
#include <set>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTPRUNEFINALIZE
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

//===----------------------------------------------------------------------===//
// The mask computation and the uses of a state's value
//===----------------------------------------------------------------------===//

static StateOp lookupState(Operation *from, FlatSymbolRefAttr name) {
  return SymbolTable::lookupNearestSymbolFrom<StateOp>(from, name);
}

/// Whether `write` maintains pruning: it writes a mask or `pruning.step`.
static bool isPruningWrite(StateWriteOp write) {
  StateOp state = lookupState(write, write.getStateAttr());
  return state && (state.getKind() == StateKind::Mask ||
                   state.getSymName() == kPruningStepStateName);
}

/// The ops of `func` that only maintain the pruning state: the writes of the
/// masks and of `pruning.step`, and the ops whose results feed nothing else
/// but them and the masks of `apply_mask` (the schedule, the scores,
/// `prune_mask`). The shrink check does not count them as uses of a weight.
static DenseSet<Operation *> collectMaskComputation(func::FuncOp func) {
  DenseSet<Operation *> ops;
  if (func.isExternal())
    return ops;
  for (Block &block : func.getBody())
    for (Operation &op : llvm::reverse(block)) {
      if (auto write = dyn_cast<StateWriteOp>(op)) {
        if (isPruningWrite(write))
          ops.insert(&op);
        continue;
      }
      if (op.getNumResults() == 0 || op.getNumRegions() != 0 ||
          !wouldOpBeTriviallyDead(&op))
        continue;
      // The new mask also feeds the apply_mask of the forward pass.
      if (llvm::all_of(op.getUses(), [&](OpOperand &use) {
            return ops.contains(use.getOwner()) ||
                   (isa<ApplyMaskOp>(use.getOwner()) &&
                    use.getOperandNumber() == 1);
          }))
        ops.insert(&op);
    }
  return ops;
}

/// The state whose value `value` is: a `state_read`, possibly through the
/// `apply_mask` that `mlopt-prune` puts on it.
static StateOp getStateOfValue(Value value) {
  if (auto masked = value.getDefiningOp<ApplyMaskOp>())
    value = masked.getInput();
  if (auto read = value.getDefiningOp<StateReadOp>())
    return lookupState(read, read.getStateAttr());
  return {};
}

/// The operands through which `func` uses the value of `state`, looking
/// through `apply_mask`'s input and skipping the `ignored` ops.
static SmallVector<OpOperand *>
getValueUses(func::FuncOp func, StateOp state,
             const DenseSet<Operation *> &ignored) {
  SmallVector<OpOperand *> uses;
  func.walk([&](StateReadOp read) {
    if (read.getState() != state.getSymName())
      return;
    for (OpOperand &use : read.getResult().getUses()) {
      Operation *user = use.getOwner();
      if (ignored.contains(user))
        continue;
      auto masked = dyn_cast<ApplyMaskOp>(user);
      if (!masked || use.getOperandNumber() != 0) {
        uses.push_back(&use);
        continue;
      }
      for (OpOperand &maskedUse : masked.getResult().getUses())
        if (!ignored.contains(maskedUse.getOwner()))
          uses.push_back(&maskedUse);
    }
  });
  return uses;
}

/// An op outside `loss` that uses `state`, if any: finalization rewrites
/// the model, before `mlopt-autodiff` derives functions from it.
static Operation *findUseOutside(func::FuncOp loss, StateOp state) {
  auto module = state->getParentOfType<ModuleOp>();
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(state.getSymNameAttr(), module);
  if (!uses)
    return nullptr;
  // `mlopt.masked_by` on another state is not a use of the value.
  for (const SymbolTable::SymbolUse &use : *uses)
    if (!isa<StateOp>(use.getUser()) && !loss->isAncestor(use.getUser()))
      return use.getUser();
  return nullptr;
}

static std::string describeUseOutside(func::FuncOp loss, StateOp state) {
  return ("uses @" + state.getSymName() + " outside the loss function @" +
          loss.getSymName() +
          ": pruning is finalized on the model, before mlopt-autodiff")
      .str();
}

/// Whether the result types of `op` can be derived again after an operand
/// shrinks: inferred (InferTypeOpInterface) or of the first operand's shape
/// (cast).
static bool canRetype(Operation *op) {
  return isa<InferTypeOpInterface>(op) ||
         (op->getNumOperands() > 0 &&
          op->hasTrait<OpTrait::SameOperandsAndResultShape>());
}

/// The single factor that `dims` is made of, if it is one.
static std::optional<int64_t> getSingleFactor(const DimFactors &dims) {
  if (dims.size() != 1)
    return std::nullopt;
  return dims.front();
}

//===----------------------------------------------------------------------===//
// The shrink plan
//===----------------------------------------------------------------------===//

namespace {
/// The states that removing slices of one weight along one dimension
/// shrinks, all by the same slice indices.
struct ShrinkPlan {
  /// (state, dimension) pairs, the weight first.
  SmallVector<std::pair<StateOp, int64_t>> states;
  /// The states that the weight's op adds to the outputs of its neurons
  /// (the bias, a post-reduction operand), with their dimension: the removed
  /// neurons output zero only where these are zero. Empty when the shrink
  /// goes upstream (zero input columns make their inputs irrelevant).
  SmallVector<std::pair<StateOp, int64_t>> addedToOutputs;
};

/// Builds a `ShrinkPlan` by following the factor of the weight's dimension
/// through the sharding rules of the ops. The first error is kept, not
/// emitted: `checkStructuredShrink` reports it, finalization only when the
/// mask asks for the shrink.
class ShrinkPlanner {
public:
  ShrinkPlanner(func::FuncOp loss, const DenseSet<Operation *> &ignored)
      : loss(loss), ignored(ignored) {}

  /// Plans the shrink of `weight` along `dim`, and checks that every state
  /// it shrinks is used only where the plan follows it.
  LogicalResult plan(StateOp weight, int64_t dim);
  const ShrinkPlan &getPlan() const { return result; }
  /// Emits the kept error; returns failure.
  LogicalResult emitError() const;

private:
  LogicalResult planLayer(StateOp weight, int64_t dim);
  /// Keeps the first error, at `op`; returns failure.
  LogicalResult fail(Operation *op, const Twine &message);
  LogicalResult addState(StateOp state, int64_t dim, OpOperand &use);
  /// `value`, with the removed neurons' outputs (zero) along `dim`, flows to
  /// every use: through zero-preserving ops to a sum over `dim`.
  LogicalResult followDownstream(Value value, int64_t dim);
  /// The slices along `dim` of `use`'s value do not matter to its user:
  /// remove them from the value's producer, up to the states it computes
  /// them from.
  LogicalResult followUpstream(OpOperand &use, int64_t dim);
  /// Other operands of a zero-preserving op must not have the dimension.
  LogicalResult checkScalarOthers(Operation *op, unsigned operand);

  func::FuncOp loss;
  const DenseSet<Operation *> &ignored;
  std::string weightName;
  ShrinkPlan result;
  DenseSet<OpOperand *> covered;
  Operation *errorOp = nullptr;
  std::string errorMessage;
};
} // namespace

LogicalResult ShrinkPlanner::fail(Operation *op, const Twine &message) {
  if (!errorOp) {
    errorOp = op;
    errorMessage = message.str();
  }
  return failure();
}

LogicalResult ShrinkPlanner::emitError() const {
  if (errorOp)
    return errorOp->emitOpError(errorMessage);
  return failure();
}

LogicalResult ShrinkPlanner::addState(StateOp state, int64_t dim,
                                      OpOperand &use) {
  covered.insert(&use);
  for (auto &[planned, plannedDim] : result.states) {
    if (planned != state)
      continue;
    if (plannedDim == dim)
      return success();
    return fail(use.getOwner(),
                "would shrink @" + state.getSymName() + " along dimension " +
                    Twine(plannedDim) + " and dimension " + Twine(dim) +
                    " for the removed slices of @" + weightName);
  }
  result.states.push_back({state, dim});
  return success();
}

LogicalResult ShrinkPlanner::checkScalarOthers(Operation *op,
                                               unsigned operand) {
  for (OpOperand &other : op->getOpOperands()) {
    if (other.getOperandNumber() == operand)
      continue;
    auto type = dyn_cast<ShapedType>(other.get().getType());
    if (type && type.hasRank() && type.getRank() != 0)
      return fail(op, "operand #" + Twine(other.getOperandNumber()) +
                          " is not a scalar: it would have to shrink with "
                          "the removed neurons of @" +
                          weightName);
  }
  if (op->getNumResults() != 1 || !canRetype(op))
    return fail(op, "does not infer its result type from its input, so it "
                    "cannot follow the removed neurons of @" +
                        weightName);
  return success();
}

LogicalResult ShrinkPlanner::followDownstream(Value value, int64_t dim) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    unsigned operand = use.getOperandNumber();
    if (ignored.contains(user))
      continue;
    if (user->hasTrait<OpTrait::IsTerminator>())
      return fail(user, "returns the outputs of the removed neurons of @" +
                            weightName + " (operand #" + Twine(operand) +
                            "); they must reach a layer that sums over them");
    if (user->hasTrait<PreservesZero>() && operand == 0) {
      if (failed(checkScalarOthers(user, operand)) ||
          failed(followDownstream(user->getResult(0), dim)))
        return failure();
      continue;
    }
    auto sharding = dyn_cast<ShardingOpInterface>(user);
    if (!sharding)
      return fail(user, "has no sharding rule that says how it uses the "
                        "outputs of the removed neurons of @" +
                            weightName + " (operand #" + Twine(operand) + ")");
    ShardingRule rule = sharding.getShardingRule();
    std::optional<int64_t> factor =
        getSingleFactor(rule.operands[operand][dim]);
    if (!factor)
      return fail(user, "mixes dimension " + Twine(dim) + " of operand #" +
                            Twine(operand) +
                            " (the outputs of the removed neurons of @" +
                            weightName + ") with other dimensions");
    const ShardingFactor &kind = rule.factors[*factor];
    if (kind.kind == FactorKind::PassThrough)
      return fail(user, "does not map zero to zero elementwise (it has no "
                        "PreservesZero trait): the removed neurons of @" +
                            weightName +
                            " would not output zero through it (operand #" +
                            Twine(operand) + ")");
    if (kind.kind != FactorKind::Reduction ||
        kind.reduction != AllReduceKind::Sum)
      return fail(user, "does not sum over dimension " + Twine(dim) +
                            " of operand #" + Twine(operand) +
                            " (the outputs of the removed neurons of @" +
                            weightName +
                            "): removing them would change its result");
    // A sum over the removed (zero) neurons: the operands that share the
    // dimension lose the same slices.
    for (OpOperand &other : user->getOpOperands()) {
      if (&other == &use)
        continue;
      std::optional<int64_t> otherDim =
          rule.getOperandDim(other.getOperandNumber(), *factor);
      if (!otherDim)
        continue;
      StateOp state = getStateOfValue(other.get());
      if (!state)
        return fail(user, "operand #" + Twine(other.getOperandNumber()) +
                              " is computed, not a state: it cannot shrink "
                              "with the removed neurons of @" +
                              weightName);
      if (failed(addState(state, *otherDim, other)))
        return failure();
    }
  }
  return success();
}

LogicalResult ShrinkPlanner::followUpstream(OpOperand &use, int64_t dim) {
  Value value = use.get();
  Operation *user = use.getOwner();
  if (StateOp state = getStateOfValue(value))
    return addState(state, dim, use);
  if (isa<BlockArgument>(value))
    return fail(user, "takes operand #" + Twine(use.getOperandNumber()) +
                          " from an argument of the loss function: no layer "
                          "produces the removed input columns of @" +
                          weightName + ", so they cannot be cut");
  Operation *producer = value.getDefiningOp();
  unsigned users = llvm::count_if(value.getUses(), [&](OpOperand &other) {
    return !ignored.contains(other.getOwner());
  });
  if (users != 1)
    return fail(producer, "result feeds " + Twine(users) +
                              " ops: the removed input columns of @" +
                              weightName +
                              " can only be cut from a value that feeds "
                              "nothing else");
  if (producer->hasTrait<PreservesZero>()) {
    if (failed(checkScalarOthers(producer, 0)))
      return failure();
    return followUpstream(producer->getOpOperand(0), dim);
  }
  auto sharding = dyn_cast<ShardingOpInterface>(producer);
  if (!sharding || producer->getNumResults() != 1)
    return fail(producer, "has no sharding rule that says which of its "
                          "operands make the removed input columns of @" +
                              weightName);
  if (!canRetype(producer))
    return fail(producer, "does not infer its result type from its operands, "
                          "so it cannot produce fewer columns for @" +
                              weightName);
  ShardingRule rule = sharding.getShardingRule();
  std::optional<int64_t> factor = getSingleFactor(rule.results[0][dim]);
  if (!factor || rule.factors[*factor].kind != FactorKind::PassThrough)
    return fail(producer, "computes dimension " + Twine(dim) +
                              " of its result from more than its slices "
                              "along it: it cannot produce fewer columns for "
                              "the removed input columns of @" +
                              weightName);
  bool reached = false;
  for (OpOperand &operand : producer->getOpOperands()) {
    std::optional<int64_t> operandDim =
        rule.getOperandDim(operand.getOperandNumber(), *factor);
    if (!operandDim)
      continue;
    reached = true;
    if (failed(followUpstream(operand, *operandDim)))
      return failure();
  }
  if (!reached)
    return fail(producer, "creates dimension " + Twine(dim) +
                              " of its result itself: it cannot produce "
                              "fewer columns for @" +
                              weightName);
  return success();
}

LogicalResult ShrinkPlanner::planLayer(StateOp weight, int64_t dim) {
  weightName = weight.getSymName().str();
  RankedTensorType type = weight.getTensorType();
  if (dim < 0 || dim >= type.getRank())
    return fail(weight, "has no dimension " + Twine(dim) + " to shrink (rank " +
                            Twine(type.getRank()) + ")");
  SmallVector<OpOperand *> uses = getValueUses(loss, weight, ignored);
  if (uses.empty())
    return fail(weight, "is not used by the loss function @" +
                            loss.getSymName() + ": no layer to shrink");
  if (uses.size() > 1)
    return fail(uses[1]->getOwner(),
                "uses @" + weightName +
                    " a second time: a structured shrink follows one use of "
                    "a weight");
  OpOperand &use = *uses.front();
  Operation *layer = use.getOwner();
  unsigned operand = use.getOperandNumber();
  auto sharding = dyn_cast<ShardingOpInterface>(layer);
  if (!sharding || layer->getNumResults() != 1)
    return fail(layer, "has no sharding rule that says how dimension " +
                           Twine(dim) + " of @" + weightName +
                           " maps to its result");
  ShardingRule rule = sharding.getShardingRule();
  std::optional<int64_t> factor = getSingleFactor(rule.operands[operand][dim]);
  if (!factor)
    return fail(layer, "does not map dimension " + Twine(dim) + " of @" +
                           weightName + " to one factor of its sharding rule");
  if (failed(addState(weight, dim, use)))
    return failure();
  const ShardingFactor &kind = rule.factors[*factor];

  // Input columns: a sum over them ignores the zero ones; the producer of
  // the matching input drops them.
  if (kind.kind == FactorKind::Reduction) {
    if (kind.reduction != AllReduceKind::Sum)
      return fail(layer, "does not sum over dimension " + Twine(dim) + " of @" +
                             weightName +
                             ": removing its zero slices would change the "
                             "result");
    for (OpOperand &other : layer->getOpOperands()) {
      if (&other == &use)
        continue;
      if (std::optional<int64_t> otherDim =
              rule.getOperandDim(other.getOperandNumber(), *factor))
        if (failed(followUpstream(other, *otherDim)))
          return failure();
    }
    return success();
  }
  if (kind.kind != FactorKind::PassThrough)
    return fail(layer, "needs dimension " + Twine(dim) + " of @" + weightName +
                           " whole: it mixes the slices");

  // Output neurons: the op must contract the weight, so that zero slices
  // give zero outputs (plus the post-reduction operands, the bias).
  bool contracts = llvm::any_of(rule.operands[operand], [&](auto &dims) {
    return llvm::any_of(dims, [&](int64_t f) {
      return rule.factors[f].kind == FactorKind::Reduction &&
             rule.factors[f].reduction == AllReduceKind::Sum;
    });
  });
  if (!contracts)
    return fail(layer, "does not contract @" + weightName +
                           " (no sum reduction over its other dimensions), "
                           "so its zero slices along dimension " +
                           Twine(dim) + " do not give zero outputs");
  if (!canRetype(layer))
    return fail(layer, "does not infer its result type from its operands, so "
                       "it cannot drop the removed neurons of @" +
                           weightName);
  for (OpOperand &other : layer->getOpOperands()) {
    if (&other == &use)
      continue;
    unsigned number = other.getOperandNumber();
    std::optional<int64_t> otherDim = rule.getOperandDim(number, *factor);
    if (!otherDim)
      continue;
    StateOp state = getStateOfValue(other.get());
    if (!llvm::is_contained(rule.postReductionOperands, number) || !state)
      return fail(layer, "operand #" + Twine(number) + " shares dimension " +
                             Twine(dim) + " of @" + weightName +
                             " but is not a state added after the reduction "
                             "(a bias): it cannot shrink with it");
    if (failed(addState(state, *otherDim, other)))
      return failure();
    result.addedToOutputs.push_back({state, *otherDim});
  }
  std::optional<int64_t> resultDim = rule.getResultDim(0, *factor);
  if (!resultDim)
    return fail(layer, "does not carry dimension " + Twine(dim) + " of @" +
                           weightName + " to its result");
  return followDownstream(layer->getResult(0), *resultDim);
}

LogicalResult ShrinkPlanner::plan(StateOp weight, int64_t dim) {
  if (failed(planLayer(weight, dim)))
    return failure();
  for (auto &[state, stateDim] : result.states) {
    if (Operation *outside = findUseOutside(loss, state))
      return fail(outside, describeUseOutside(loss, state));
    for (OpOperand *use : getValueUses(loss, state, ignored))
      if (!covered.contains(use))
        return fail(use->getOwner(), "uses @" + state.getSymName() +
                                         ", which removing slices of @" +
                                         weightName + " along dimension " +
                                         Twine(dim) + " shrinks");
  }
  return success();
}

LogicalResult mlopt::checkStructuredShrink(func::FuncOp loss, StateOp weight,
                                           int64_t dim) {
  DenseSet<Operation *> ignored = collectMaskComputation(loss);
  ShrinkPlanner planner(loss, ignored);
  if (failed(planner.plan(weight, dim)))
    return planner.emitError();
  return success();
}

//===----------------------------------------------------------------------===//
// Mask values
//===----------------------------------------------------------------------===//

/// Whether each element of a mask value keeps its weight (is non-zero).
static std::vector<bool> getKeptElements(DenseElementsAttr mask) {
  std::vector<bool> kept;
  kept.reserve(mask.getNumElements());
  if (isa<FloatType>(mask.getElementType()))
    for (const APFloat &value : mask.getValues<APFloat>())
      kept.push_back(!value.isZero());
  else
    for (const APInt &value : mask.getValues<APInt>())
      kept.push_back(!value.isZero());
  return kept;
}

namespace {
/// What a mask holds in one slice along a dimension.
enum SliceContent : uint8_t { kZeros = 1, kKept = 2, kMixed = kZeros | kKept };
} // namespace

/// The content of every slice of a mask of `shape` along `dim`.
static SmallVector<uint8_t> getSliceContents(ArrayRef<int64_t> shape,
                                             const std::vector<bool> &kept,
                                             int64_t dim) {
  int64_t inner = 1;
  for (int64_t size : shape.drop_front(dim + 1))
    inner *= size;
  int64_t size = shape[dim];
  SmallVector<uint8_t> contents(size, 0);
  for (size_t i = 0, e = kept.size(); i < e; ++i)
    contents[(static_cast<int64_t>(i) / inner) % size] |=
        kept[i] ? kKept : kZeros;
  return contents;
}

/// The dimension along which `mask` is structured (every slice, of more than
/// one element, all zero or all kept) with some but not all slices zero, and
/// the content of its slices; std::nullopt for a mask that is not (an
/// unstructured mask, one that prunes nothing or everything, a 1-d mask).
static std::optional<std::pair<int64_t, SmallVector<uint8_t>>>
getStructuredDim(DenseElementsAttr mask) {
  std::vector<bool> kept = getKeptElements(mask);
  ArrayRef<int64_t> shape = mask.getType().getShape();
  int64_t count = mask.getNumElements();
  for (int64_t dim = 0, rank = shape.size(); dim < rank; ++dim) {
    // A slice of one element says nothing about structure: every mask of a
    // bias would look structured.
    if (count / shape[dim] < 2)
      continue;
    SmallVector<uint8_t> contents = getSliceContents(shape, kept, dim);
    if (llvm::is_contained(contents, kMixed))
      continue;
    int64_t zeros = llvm::count(contents, kZeros);
    if (zeros > 0 && zeros < shape[dim])
      return std::make_pair(dim, std::move(contents));
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Rewriting the model
//===----------------------------------------------------------------------===//

/// Whether `value` is a pruning mask: a read of a mask state, or the new
/// value that `mlopt-prune`'s update writes to one.
static bool isMaskValue(Value value) {
  auto isMask = [](StateOp state) {
    return state && state.getKind() == StateKind::Mask;
  };
  if (auto read = value.getDefiningOp<StateReadOp>())
    return isMask(lookupState(read, read.getStateAttr()));
  return llvm::any_of(value.getUses(), [&](OpOperand &use) {
    auto write = dyn_cast<StateWriteOp>(use.getOwner());
    return write && use.get() == write.getValue() &&
           isMask(lookupState(write, write.getStateAttr()));
  });
}

/// Drops `apply_mask` of the masks and the pruning-state updates from
/// `loss`, with the ops that only computed them.
static void eraseMaskComputation(func::FuncOp loss) {
  SmallVector<ApplyMaskOp> applies;
  SmallVector<StateWriteOp> writes;
  loss.walk([&](Operation *op) {
    if (auto apply = dyn_cast<ApplyMaskOp>(op);
        apply && isMaskValue(apply.getMask()))
      applies.push_back(apply);
    else if (auto write = dyn_cast<StateWriteOp>(op);
             write && isPruningWrite(write))
      writes.push_back(write);
  });
  SmallVector<Operation *> removed;
  for (ApplyMaskOp apply : applies) {
    apply.getResult().replaceAllUsesWith(apply.getInput());
    removed.push_back(apply);
  }
  removed.append(writes.begin(), writes.end());
  eraseWithDeadProducers(removed);
}

/// Gives the ops of `loss` the result types that follow from the states'
/// new types.
static LogicalResult retypeLoss(func::FuncOp loss) {
  DenseSet<Value> changed;
  WalkResult walk = loss.walk([&](Operation *op) -> WalkResult {
    if (auto read = dyn_cast<StateReadOp>(op)) {
      StateOp state = lookupState(read, read.getStateAttr());
      if (state && read.getResult().getType() != state.getType()) {
        read.getResult().setType(state.getType());
        changed.insert(read.getResult());
      }
      return WalkResult::advance();
    }
    if (op->hasTrait<OpTrait::IsTerminator>() ||
        llvm::none_of(op->getOperands(),
                      [&](Value value) { return changed.contains(value); }))
      return WalkResult::advance();
    SmallVector<Type> types;
    if (auto inferable = dyn_cast<InferTypeOpInterface>(op)) {
      if (failed(inferable.inferReturnTypes(
              op->getContext(), /*location=*/std::nullopt, op->getOperands(),
              op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
              op->getRegions(), types))) {
        op->emitOpError("cannot infer its result types once the pruned "
                        "neurons are removed");
        return WalkResult::interrupt();
      }
    } else if (canRetype(op)) {
      ArrayRef<int64_t> shape =
          cast<ShapedType>(op->getOperand(0).getType()).getShape();
      for (Type type : op->getResultTypes())
        types.push_back(cast<ShapedType>(type).clone(shape));
    } else {
      op->emitOpError("does not infer its result types, so it cannot follow "
                      "the removal of pruned neurons");
      return WalkResult::interrupt();
    }
    for (auto [result, type] : llvm::zip_equal(op->getResults(), types))
      if (result.getType() != type) {
        result.setType(type);
        changed.insert(result);
      }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  Block &body = loss.getBody().front();
  loss.setType(FunctionType::get(loss.getContext(), body.getArgumentTypes(),
                                 body.getTerminator()->getOperandTypes()));
  return success();
}

FailureOr<PruneFinalization> mlopt::finalizePruning(
    ModuleOp module,
    llvm::function_ref<FailureOr<DenseElementsAttr>(StateOp mask)> maskValue) {
  // The pruning state: masks, pruning.step, and which weight has which mask.
  SmallVector<StateOp> pruningStates, maskedStates;
  llvm::StringMap<std::string> maskOf;
  for (StateOp state : module.getOps<StateOp>()) {
    if (state.getKind() == StateKind::Mask ||
        state.getSymName() == kPruningStepStateName)
      pruningStates.push_back(state);
    if (auto mask = state->getAttrOfType<FlatSymbolRefAttr>(
            MLOptDialect::kMaskedByAttrName)) {
      maskOf[state.getSymName()] = mask.getValue().str();
      maskedStates.push_back(state);
    }
  }
  PruneFinalization finalization;
  if (pruningStates.empty())
    return finalization;

  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kLossAttrName)) {
      loss = func;
      break;
    }
  if (!loss || loss.isExternal())
    return module.emitError("finalizing pruning needs the model's loss "
                            "function: no func.func with a body is marked '")
           << MLOptDialect::kLossAttrName << "'";
  for (StateOp state : llvm::concat<StateOp>(pruningStates, maskedStates))
    if (Operation *outside = findUseOutside(loss, state))
      return outside->emitOpError(describeUseOutside(loss, state));

  // The values of the masks of the masked states, before they go.
  llvm::StringMap<DenseElementsAttr> maskValues;
  for (StateOp state : maskedStates) {
    StringRef name = maskOf[state.getSymName()];
    if (maskValues.contains(name))
      continue;
    auto mask = cast<StateOp>(SymbolTable::lookupSymbolIn(module, name));
    FailureOr<DenseElementsAttr> value = maskValue(mask);
    if (failed(value))
      return failure();
    if (!*value)
      return mask.emitOpError("has no value to finalize with");
    if (value->getType() != mask.getType())
      return mask.emitOpError("has a value of type ")
             << value->getType() << ", expected " << mask.getType();
    maskValues[name] = *value;
  }

  // Fold: the weights stand for their masked values from now on.
  eraseMaskComputation(loss);
  for (StateOp state : maskedStates)
    state->removeAttr(MLOptDialect::kMaskedByAttrName);
  for (StateOp state : pruningStates) {
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(state.getSymNameAttr(), module);
    if (uses && !uses->empty())
      return uses->begin()->getUser()->emitOpError("uses @")
             << state.getSymName()
             << ", which finalizing pruning removes: only apply_mask and the "
                "pruning updates of mlopt-prune may use the pruning state";
  }
  for (StateOp state : pruningStates) {
    finalization.removedStates.push_back(state.getSymName().str());
    state.erase();
  }

  // Shrink: the slices that structured masks remove. Each plan names the
  // (state, dimension) slots of one set of neurons; two plans of the same
  // slots (fc1's rows and fc2's columns) remove the union, since either
  // reason makes a neuron irrelevant.
  struct ShrinkGroup {
    std::set<std::pair<std::string, int64_t>> slots;
    std::set<int64_t> slices;
    StateOp weight;
  };
  std::vector<ShrinkGroup> groups;
  DenseSet<Operation *> noneIgnored;
  for (StateOp weight : maskedStates) {
    DenseElementsAttr mask = maskValues[maskOf[weight.getSymName()]];
    auto structured = getStructuredDim(mask);
    if (!structured)
      continue;
    auto &[dim, contents] = *structured;
    ShrinkPlanner planner(loss, noneIgnored);
    LogicalResult planned = planner.plan(weight, dim);
    // A neuron outputs zero only where what its op adds (the bias) is
    // masked to zero too; an unmasked bias keeps the layer whole.
    auto removable = llvm::map_to_vector(
        contents, [](uint8_t content) { return content == kZeros; });
    for (auto [added, addedDim] : planner.getPlan().addedToOutputs) {
      auto it = maskOf.find(added.getSymName());
      if (it == maskOf.end()) {
        removable.assign(removable.size(), false);
        break;
      }
      DenseElementsAttr addedMask = maskValues[it->second];
      SmallVector<uint8_t> addedContents = getSliceContents(
          addedMask.getType().getShape(), getKeptElements(addedMask), addedDim);
      for (auto [slice, content] : llvm::enumerate(addedContents))
        if (content != kZeros)
          removable[slice] = false;
    }
    std::set<int64_t> slices;
    for (auto [slice, remove] : llvm::enumerate(removable))
      if (remove)
        slices.insert(slice);
    if (slices.empty())
      continue;
    if (failed(planned))
      return planner.emitError();
    std::set<std::pair<std::string, int64_t>> slots;
    for (auto [state, stateDim] : planner.getPlan().states)
      slots.insert({state.getSymName().str(), stateDim});
    auto overlaps = [&](const ShrinkGroup &group) {
      return llvm::any_of(slots,
                          [&](auto &slot) { return group.slots.count(slot); });
    };
    auto group = llvm::find_if(groups, overlaps);
    if (group == groups.end()) {
      groups.push_back({std::move(slots), std::move(slices), weight});
      continue;
    }
    if (group->slots != slots ||
        std::find_if(std::next(group), groups.end(), overlaps) != groups.end())
      return weight.emitOpError("shrinks some of the states that the pruned "
                                "neurons of @")
             << group->weight.getSymName()
             << " shrink, but not the same ones: the two cannot be removed "
                "together";
    group->slices.insert(slices.begin(), slices.end());
  }
  llvm::StringMap<std::map<int64_t, SmallVector<int64_t>>> removed;
  for (ShrinkGroup &group : groups)
    for (const auto &[name, dim] : group.slots) {
      auto state = cast<StateOp>(SymbolTable::lookupSymbolIn(module, name));
      if (static_cast<int64_t>(group.slices.size()) ==
          state.getTensorType().getDimSize(dim))
        return group.weight.emitOpError("and the pruned weights that share its "
                                        "neurons prune all ")
               << group.slices.size()
               << " of them: finalizing would leave the layer empty";
      removed[name][dim].assign(group.slices.begin(), group.slices.end());
    }

  // New state types, and the result types of the ops that read them.
  llvm::StringMap<RankedTensorType> oldTypes;
  for (StateOp state : module.getOps<StateOp>()) {
    auto shrunk = removed.find(state.getSymName());
    if (shrunk == removed.end())
      continue;
    RankedTensorType type = state.getTensorType();
    oldTypes[state.getSymName()] = type;
    SmallVector<int64_t> shape(type.getShape());
    for (auto &[dim, slices] : shrunk->second)
      shape[dim] -= slices.size();
    RankedTensorType newType = type.clone(shape);
    state.setType(newType);
    if (!isa<ValueInitAttr>(state.getInitializer()) &&
        failed(state.getInitializer().verifyForType(newType, [&] {
          return state.emitOpError("initializer does not apply to the "
                                   "shrunk type ")
                 << newType << ": ";
        })))
      return failure();
  }
  if (!removed.empty() && failed(retypeLoss(loss)))
    return failure();

  // What happened to each state, applied to the values embedded in the
  // model.
  for (StateOp state : module.getOps<StateOp>()) {
    StringRef name = state.getSymName();
    auto mask = maskOf.find(name);
    auto shrunk = removed.find(name);
    if (mask == maskOf.end() && shrunk == removed.end())
      continue;
    StateChange change;
    change.state = name.str();
    if (mask != maskOf.end())
      change.foldMask = mask->second;
    change.newType = state.getTensorType();
    change.oldType = shrunk != removed.end() ? oldTypes[name] : change.newType;
    if (shrunk != removed.end())
      for (auto &[dim, slices] : shrunk->second) {
        std::vector<int64_t> kept;
        for (int64_t i = 0, e = change.oldType.getDimSize(dim), next = 0; i < e;
             ++i) {
          if (next < static_cast<int64_t>(slices.size()) && slices[next] == i)
            ++next;
          else
            kept.push_back(i);
        }
        change.keptByDim.push_back({dim, std::move(kept)});
      }
    if (auto init = dyn_cast<ValueInitAttr>(state.getInitializer())) {
      DenseElementsAttr foldWith = change.foldMask.empty()
                                       ? DenseElementsAttr()
                                       : maskValues[change.foldMask];
      FailureOr<DenseElementsAttr> value =
          applyStateChange(change, init.getValue(), foldWith);
      if (failed(value))
        return state.emitOpError("has an initializer value that does not "
                                 "match its type ")
               << change.oldType;
      state.setInitializerAttr(ValueInitAttr::get(state.getContext(), *value));
    }
    finalization.changes.push_back(std::move(change));
  }
  return finalization;
}

//===----------------------------------------------------------------------===//
// State values
//===----------------------------------------------------------------------===//

/// The elements of `values` (row-major, of `shape`) at the given indices of
/// every dimension.
template <typename T>
static SmallVector<T> gatherElements(ArrayRef<T> values,
                                     ArrayRef<int64_t> shape,
                                     ArrayRef<SmallVector<int64_t>> indices) {
  int64_t rank = shape.size();
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t dim = rank - 2; dim >= 0; --dim)
    strides[dim] = strides[dim + 1] * shape[dim + 1];
  int64_t count = 1;
  for (const SmallVector<int64_t> &kept : indices)
    count *= kept.size();
  SmallVector<T> result;
  result.reserve(count);
  SmallVector<int64_t> position(rank, 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t offset = 0;
    for (int64_t dim = 0; dim < rank; ++dim)
      offset += indices[dim][position[dim]] * strides[dim];
    result.push_back(values[offset]);
    for (int64_t dim = rank - 1; dim >= 0; --dim) {
      if (++position[dim] < static_cast<int64_t>(indices[dim].size()))
        break;
      position[dim] = 0;
    }
  }
  return result;
}

FailureOr<DenseElementsAttr> mlopt::applyStateChange(const StateChange &change,
                                                     DenseElementsAttr value,
                                                     DenseElementsAttr mask) {
  RankedTensorType oldType = change.oldType;
  if (!value || !oldType || !change.newType || value.getType() != oldType)
    return failure();
  bool fold = !change.foldMask.empty();
  if (fold && (!mask || mask.getType() != oldType))
    return failure();
  ArrayRef<int64_t> shape = oldType.getShape();
  SmallVector<SmallVector<int64_t>> indices;
  for (int64_t size : shape)
    indices.push_back(llvm::to_vector(llvm::seq<int64_t>(0, size)));
  for (const auto &entry : change.keptByDim) {
    int64_t dim = entry.first;
    const auto &kept = entry.second;
    if (dim < 0 || dim >= oldType.getRank() ||
        llvm::any_of(kept, [&](int64_t i) { return i < 0 || i >= shape[dim]; }))
      return failure();
    indices[dim].assign(kept.begin(), kept.end());
  }
  SmallVector<int64_t> newShape =
      llvm::map_to_vector(indices, [](const SmallVector<int64_t> &kept) {
        return static_cast<int64_t>(kept.size());
      });
  if (change.newType != oldType.clone(newShape))
    return failure();
  if (isa<FloatType>(oldType.getElementType())) {
    SmallVector<APFloat> values = llvm::to_vector(value.getValues<APFloat>());
    if (fold)
      for (auto [element, factor] :
           llvm::zip_equal(values, mask.getValues<APFloat>()))
        element.multiply(factor, APFloat::rmNearestTiesToEven);
    return DenseElementsAttr::get(
        change.newType, gatherElements<APFloat>(values, shape, indices));
  }
  SmallVector<APInt> values = llvm::to_vector(value.getValues<APInt>());
  if (fold)
    for (auto [element, factor] :
         llvm::zip_equal(values, mask.getValues<APInt>()))
      element *= factor;
  return DenseElementsAttr::get(change.newType,
                                gatherElements<APInt>(values, shape, indices));
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct MLOptPruneFinalizePass
    : mlopt::impl::MLOptPruneFinalizeBase<MLOptPruneFinalizePass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

void MLOptPruneFinalizePass::runOnOperation() {
  auto maskValue = [](StateOp mask) -> FailureOr<DenseElementsAttr> {
    if (auto init = dyn_cast<ValueInitAttr>(mask.getInitializer()))
      return init.getValue();
    return mask.emitOpError("has no #mlopt.value initializer, so its "
                            "trained value is not in the model: "
                            "`mlopt-run --load=CHECKPOINT --finalize-pruning` "
                            "finalizes with the masks of a checkpoint");
  };
  if (failed(finalizePruning(getOperation(), maskValue)))
    signalPassFailure();
}
