//===- Autodiff.cpp - reverse-mode differentiation into @train_step -------===//
//
// Clones the loss function into @train_step and appends its reverse sweep:
// an activity analysis keeps only the ops on a path from trainable state to
// the loss, each asked for its VJP through DifferentiableOpInterface, with
// cotangents summed where a value fans out. Output format: docs/TrainingIR.md.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTAUTODIFF
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

static constexpr StringLiteral kTrainStepName = "train_step";

static bool isFloatTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType());
}

/// The values that `op`'s regions use but do not define.
static SetVector<Value> capturedValues(Operation *op) {
  SetVector<Value> captured;
  if (op->getNumRegions() > 0)
    getUsedValuesDefinedAbove(op->getRegions(), captured);
  return captured;
}

namespace {

/// Reverse-mode differentiation of the single block of @train_step.
class ReverseMode {
public:
  ReverseMode(func::FuncOp trainStep, SymbolTable &symbols)
      : trainStep(trainStep), symbols(symbols) {}

  /// Builds the reverse sweep before the return and appends the gradients
  /// and the RNG advance. Reports located errors and fails on ops it cannot
  /// differentiate.
  LogicalResult run();

private:
  /// The trainable state that `op` reads, or null.
  StateOp trainableStateReadBy(Operation *op);
  /// Values that depend on trainable state through differentiable operands.
  void analyzeVaried();
  /// Values the loss depends on.
  void analyzeUseful(Value loss);
  bool isActive(Value value) {
    return varied.contains(value) && useful.contains(value);
  }
  /// Whether `op` is a point-to-point op without results that sends a varied
  /// value: the receiving rank's loss depends on it, so it counts as useful.
  bool sendsVariedValue(Operation *op) {
    return op->hasTrait<PointToPoint>() && op->getNumResults() == 0 &&
           llvm::any_of(op->getOperands(),
                        [&](Value v) { return varied.contains(v); });
  }
  /// Adds `cotangent` into `slot` (null: zero so far).
  void accumulate(Value &slot, Value cotangent, Location loc);
  LogicalResult differentiate(Operation *op);
  void advanceRngStates();
  void eraseDeadBackwardOps(Operation *lastForward);

  func::FuncOp trainStep;
  SymbolTable &symbols;
  OpBuilder builder{trainStep.getContext()};
  DenseSet<Value> varied, useful;
  /// Cotangent of each active value.
  DenseMap<Value, Value> cotangents;
  /// Gradient of each trainable state, by state name.
  llvm::MapVector<StringAttr, Value> gradients;
};

} // namespace

StateOp ReverseMode::trainableStateReadBy(Operation *op) {
  auto read = dyn_cast<StateReadOp>(op);
  if (!read || !isFloatTensor(read.getResult()))
    return nullptr;
  auto state = symbols.lookup<StateOp>(read.getState());
  return state && state.getTrainable() ? state : nullptr;
}

void ReverseMode::analyzeVaried() {
  for (Operation &op : trainStep.front()) {
    // A recv's result comes from the sending rank's parameters (PointToPoint).
    bool isVaried = trainableStateReadBy(&op) || op.hasTrait<PointToPoint>();
    auto differentiable = dyn_cast<DifferentiableOpInterface>(&op);
    for (OpOperand &operand : op.getOpOperands())
      if (varied.contains(operand.get()) &&
          (!differentiable ||
           differentiable.isOperandDifferentiable(operand.getOperandNumber())))
        isVaried = true;
    // An op with regions also varies with what its body reads or captures.
    if (!isVaried && op.getNumRegions() > 0) {
      isVaried = llvm::any_of(capturedValues(&op),
                              [&](Value v) { return varied.contains(v); });
      op.walk([&](Operation *nested) {
        if (nested != &op && trainableStateReadBy(nested))
          isVaried = true;
      });
    }
    if (!isVaried)
      continue;
    for (Value result : op.getResults())
      if (isFloatTensor(result))
        varied.insert(result);
  }
}

void ReverseMode::analyzeUseful(Value loss) {
  useful.insert(loss);
  for (Operation &op : llvm::reverse(trainStep.front())) {
    if (llvm::none_of(op.getResults(),
                      [&](Value r) { return useful.contains(r); }) &&
        !sendsVariedValue(&op))
      continue;
    useful.insert(op.operand_begin(), op.operand_end());
    for (Value captured : capturedValues(&op))
      useful.insert(captured);
  }
}

void ReverseMode::accumulate(Value &slot, Value cotangent, Location loc) {
  slot = slot ? AddOp::create(builder, loc, slot, cotangent).getResult()
              : cotangent;
}

LogicalResult ReverseMode::differentiate(Operation *op) {
  if (!sendsVariedValue(op) &&
      llvm::none_of(op->getResults(), [&](Value r) { return isActive(r); }))
    return success();
  if (StateOp state = trainableStateReadBy(op)) {
    if (Value cotangent = cotangents.lookup(op->getResult(0)))
      accumulate(gradients[state.getSymNameAttr()], cotangent, op->getLoc());
    return success();
  }
  auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
  if (!differentiable)
    return op->emitOpError("has no VJP rule, but it lies on the path from "
                           "trainable state to the loss");
  SmallVector<Value> resultCotangents;
  for (Value result : op->getResults())
    resultCotangents.push_back(cotangents.lookup(result));
  // A point-to-point op exchanges its (possibly zero) cotangent anyway, so
  // that the peer's mirrored op is matched.
  if (!op->hasTrait<PointToPoint>() &&
      llvm::all_of(resultCotangents, [](Value v) { return !v; }))
    return success();
  SmallVector<Value> operandCotangents;
  if (failed(differentiable.buildVJP(builder, resultCotangents,
                                     operandCotangents)))
    return op->emitOpError("failed to build its VJP");
  if (operandCotangents.size() != op->getNumOperands())
    return op->emitOpError("VJP rule returned ")
           << operandCotangents.size() << " cotangents for "
           << op->getNumOperands() << " operands";
  for (auto [index, operand, cotangent] :
       llvm::enumerate(op->getOperands(), operandCotangents)) {
    if (!cotangent || !varied.contains(operand) ||
        !differentiable.isOperandDifferentiable(index))
      continue;
    if (cotangent.getType() != operand.getType())
      return op->emitOpError("VJP rule returned a cotangent of type ")
             << cotangent.getType() << " for operand #" << index << " of type "
             << operand.getType();
    accumulate(cotangents[operand], cotangent, op->getLoc());
  }
  return success();
}

/// Each rng-kind state read in @train_step is written back plus one, so the
/// next step draws fresh dropout masks (MLOptBuilder::increment: through f64,
/// exact for seeds below 2^53).
void ReverseMode::advanceRngStates() {
  llvm::MapVector<StringAttr, StateReadOp> rngReads;
  trainStep.walk([&](StateReadOp read) {
    auto state = symbols.lookup<StateOp>(read.getState());
    if (state && state.getKind() == StateKind::Rng)
      rngReads.insert({state.getSymNameAttr(), read});
  });
  ModuleOp module = trainStep->getParentOfType<ModuleOp>();
  for (StateOp state : module.getOps<StateOp>()) {
    StateReadOp read = rngReads.lookup(state.getSymNameAttr());
    if (!read)
      continue;
    Location loc = read.getLoc();
    RankedTensorType type = state.getTensorType();
    // The forward's read may sit in a nested region; read again at the end.
    Value current = StateReadOp::create(builder, loc, type, state.getSymName());
    Value next = MLOptBuilder(builder, loc).increment(current);
    StateWriteOp::create(builder, loc, next, state.getSymName());
  }
}

/// VJP rules build every operand's cotangent; drop the ones nobody used.
void ReverseMode::eraseDeadBackwardOps(Operation *lastForward) {
  Block &block = trainStep.front();
  SmallVector<Operation *> backward;
  for (Operation &op : llvm::make_range(
           lastForward ? std::next(lastForward->getIterator()) : block.begin(),
           block.end()))
    backward.push_back(&op);
  for (Operation *op : llvm::reverse(backward))
    if (isOpTriviallyDead(op))
      op->erase();
}

LogicalResult ReverseMode::run() {
  Block &block = trainStep.front();
  auto returnOp = cast<func::ReturnOp>(block.getTerminator());
  Value loss = returnOp.getOperand(0);
  SmallVector<Operation *> forward;
  for (Operation &op : block.without_terminator())
    forward.push_back(&op);
  Operation *lastForward = forward.empty() ? nullptr : forward.back();

  analyzeVaried();
  analyzeUseful(loss);

  builder.setInsertionPoint(returnOp);
  if (isActive(loss)) {
    auto lossType = cast<RankedTensorType>(loss.getType());
    auto seed = ConstantOp::create(
        builder, trainStep.getLoc(),
        DenseElementsAttr::get(
            lossType, builder.getFloatAttr(lossType.getElementType(), 1.0)));
    // Marked, so that mlopt-loss-scaling can scale the sweep's seed.
    seed->setAttr(MLOptDialect::kLossCotangentAttrName, builder.getUnitAttr());
    cotangents[loss] = seed;
  }
  // A send of a varied value is differentiated even when the loss does not
  // depend on trainable state (a first pipeline stage's).
  if (isActive(loss) || llvm::any_of(forward, [&](Operation *op) {
        return sendsVariedValue(op);
      }))
    for (Operation *op : llvm::reverse(forward))
      if (failed(differentiate(op)))
        return failure();
  advanceRngStates();

  // The gradients, in the declaration order of the states.
  MLIRContext *context = trainStep.getContext();
  SmallVector<Value> results;
  SmallVector<unsigned> indices;
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  ModuleOp module = trainStep->getParentOfType<ModuleOp>();
  for (StateOp state : module.getOps<StateOp>()) {
    Value gradient = gradients.lookup(state.getSymNameAttr());
    if (!gradient)
      continue;
    results.push_back(gradient);
    indices.push_back(trainStep.getNumResults());
    types.push_back(gradient.getType());
    attrs.push_back(DictionaryAttr::get(
        context,
        {NamedAttribute(StringAttr::get(context, MLOptDialect::kGradOfAttrName),
                        FlatSymbolRefAttr::get(state.getSymNameAttr()))}));
  }
  if (failed(trainStep.insertResults(indices, types, attrs)))
    return trainStep.emitOpError("cannot append the gradient results");
  returnOp.getOperandsMutable().append(results);
  eraseDeadBackwardOps(lastForward);
  return success();
}

namespace {
struct MLOptAutodiffPass : mlopt::impl::MLOptAutodiffBase<MLOptAutodiffPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// Checks what reverse mode needs of the loss function, with located errors.
static LogicalResult checkLossFunction(func::FuncOp loss) {
  if (loss.isExternal())
    return loss.emitOpError("marked '")
           << MLOptDialect::kLossAttrName << "' has no body to differentiate";
  auto lossType = loss.getNumResults() > 0
                      ? dyn_cast<RankedTensorType>(loss.getResultTypes()[0])
                      : RankedTensorType();
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return loss.emitOpError("must return the loss as a 0-d float tensor to be "
                            "differentiated");
  if (!llvm::hasSingleElement(loss.getBody()))
    return loss.emitOpError("has ")
           << loss.getBody().getBlocks().size()
           << " blocks; mlopt-autodiff supports a single-block loss function";
  WalkResult walk = loss.walk([](CallOpInterface call) {
    call->emitOpError("calls a function inside the loss function, which "
                      "mlopt-autodiff does not support; inline it first");
    return WalkResult::interrupt();
  });
  return failure(walk.wasInterrupted());
}

void MLOptAutodiffPass::runOnOperation() {
  ModuleOp module = getOperation();
  Operation *marked = nullptr;
  for (Operation &op : module.getBody()->getOperations())
    if (op.hasAttr(MLOptDialect::kLossAttrName)) {
      marked = &op;
      break;
    }
  if (!marked) {
    module.emitError("mlopt-autodiff: no function is marked '")
        << MLOptDialect::kLossAttrName << "'";
    return signalPassFailure();
  }
  auto loss = dyn_cast<func::FuncOp>(marked);
  if (!loss) {
    marked->emitOpError("marked '")
        << MLOptDialect::kLossAttrName
        << "' must be a func.func for mlopt-autodiff";
    return signalPassFailure();
  }
  if (failed(checkLossFunction(loss)))
    return signalPassFailure();
  SymbolTable symbols(module);
  if (Operation *existing = symbols.lookup(kTrainStepName)) {
    existing->emitOpError("is named '")
        << kTrainStepName << "', the function mlopt-autodiff generates";
    return signalPassFailure();
  }

  auto trainStep = cast<func::FuncOp>(loss->clone());
  trainStep.setSymName(kTrainStepName);
  trainStep->removeAttr(MLOptDialect::kLossAttrName);
  trainStep->setAttr(MLOptDialect::kTrainStepAttrName,
                     UnitAttr::get(&getContext()));
  symbols.insert(trainStep, std::next(loss->getIterator()));

  ReverseMode reverse(trainStep, symbols);
  if (failed(reverse.run())) {
    trainStep.erase();
    return signalPassFailure();
  }
}
