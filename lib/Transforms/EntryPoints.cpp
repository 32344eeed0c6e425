//===- EntryPoints.cpp - @init, @eval_step, @predict_step, the manifest ---===//
//
// Also @calibrate_step for models with observer state (mlopt-quantize).
//
//===----------------------------------------------------------------------===//

#include "EvalModeForm.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Support/CounterHash.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTENTRYPOINTS
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

static constexpr StringLiteral kInitName = "init";
static constexpr StringLiteral kEvalStepName = "eval_step";
static constexpr StringLiteral kPredictStepName = "predict_step";
static constexpr StringLiteral kCalibrateStepName = "calibrate_step";

namespace {
struct MLOptEntryPointsPass
    : mlopt::impl::MLOptEntryPointsBase<MLOptEntryPointsPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// `func.func @init(%seed: tensor<i64>)`: every state from its initializer.
static void buildInit(OpBuilder &builder, ModuleOp module,
                      ArrayRef<StateOp> states) {
  Location loc = module.getLoc();
  auto seedType = RankedTensorType::get({}, builder.getI64Type());
  auto init = func::FuncOp::create(builder, loc, kInitName,
                                   builder.getFunctionType({seedType}, {}));
  init->setAttr(MLOptDialect::kInitAttrName, builder.getUnitAttr());
  Block *body = init.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(body);
  Value seed = body->getArgument(0);
  for (StateOp state : states) {
    // The stream attribute is an I64Attr: the u64 hash reinterpreted.
    auto stream = b.getI64IntegerAttr(
        static_cast<int64_t>(counter_hash::fnv1a64(state.getSymName())));
    Value value = InitialValueOp::create(b, state.getLoc(), state.getType(),
                                         seed, state.getInitializer(), stream);
    StateWriteOp::create(b, state.getLoc(), value, state.getSymName());
  }
  func::ReturnOp::create(b, loc);
}

/// Turns `function` (a clone of the loss function) into its evaluation form:
/// every op with EvalModeOpInterface that `keepTrainingForm` does not keep
/// takes its evaluation form, and every state write that `keepWrite` does
/// not keep goes.
static LogicalResult
convertToEvaluationForm(func::FuncOp function,
                        function_ref<bool(Operation *)> keepTrainingForm,
                        function_ref<bool(StateWriteOp)> keepWrite) {
  SmallVector<StateWriteOp> writes;
  function.walk([&](StateWriteOp write) {
    if (!keepWrite(write))
      writes.push_back(write);
  });
  if (failed(convertToEvalMode(function, keepTrainingForm)))
    return failure();
  for (StateWriteOp write : writes)
    write.erase();
  return success();
}

/// Removes the results of `function` (a clone of the loss function) marked
/// `mlopt.train_only`, with their return operands.
static LogicalResult dropTrainOnlyResults(func::FuncOp function) {
  llvm::BitVector trainOnly(function.getNumResults());
  for (unsigned i = 0, e = function.getNumResults(); i < e; ++i)
    if (function.getResultAttr(i, MLOptDialect::kTrainOnlyAttrName))
      trainOnly.set(i);
  if (trainOnly.none())
    return success();
  auto returnOp = dyn_cast<func::ReturnOp>(function.front().getTerminator());
  if (!returnOp)
    return function.emitError("mlopt-entry-points: @")
           << function.getSymName() << " does not end in func.return";
  returnOp->eraseOperands(trainOnly);
  if (failed(function.eraseResults(trainOnly)))
    return function.emitError("mlopt-entry-points: cannot remove the '")
           << MLOptDialect::kTrainOnlyAttrName << "' results of @"
           << function.getSymName();
  return success();
}

/// Erases the ops of `function` whose results nothing uses and that have no
/// effect but reads: what only the evaluation form's replaced ops and the
/// dropped results used (a distillation teacher's forward, the training
/// value of mlopt.mode_select, the dropout seed's read).
static void eraseDeadOps(func::FuncOp function) {
  SmallVector<Operation *> ops;
  for (Operation &op : function.front().without_terminator())
    ops.push_back(&op);
  // Users come after their operands: from the end, one sweep does it.
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();
}

/// `func.func @eval_step`: the loss function with every op in its
/// evaluation form (`EvalModeOpInterface`: dropout is the identity), without
/// state writes, without the results marked `mlopt.train_only`, and without
/// the computation only they and the training forms needed.
static LogicalResult buildEvalStep(OpBuilder &builder, func::FuncOp loss) {
  auto eval = cast<func::FuncOp>(builder.clone(*loss));
  eval.setSymName(kEvalStepName);
  eval->removeAttr(MLOptDialect::kLossAttrName);
  eval->setAttr(MLOptDialect::kEvalStepAttrName, builder.getUnitAttr());
  if (failed(convertToEvaluationForm(
          eval, [](Operation *) { return false; },
          [](StateWriteOp) { return false; })) ||
      failed(dropTrainOnlyResults(eval)))
    return failure();
  eraseDeadOps(eval);
  return success();
}

/// `func.func @calibrate_step`, when the module has state of kind observer
/// (mlopt-quantize): the loss function in its evaluation form as in
/// @eval_step, except that the ops whose results are written to observer
/// states (`mlopt.observe`) keep their training form and those writes stay, so
/// that running it on batches of data calibrates the observers and changes
/// nothing else (batch norm statistics, the pruning step, `quantization.step`).
/// It takes what the loss function does and returns what @eval_step does (the
/// results marked `mlopt.train_only` go, and the computation only they
/// needed); the argument and result attributes are dropped (they belong to
/// the functions the dialect knows as entry points), and the runtime calls it
/// by name.
static LogicalResult buildCalibrateStep(OpBuilder &builder, func::FuncOp loss,
                                        ArrayRef<StateOp> states) {
  llvm::SmallPtrSet<StringAttr, 8> observers;
  for (StateOp state : states)
    if (state.getKind() == StateKind::Observer)
      observers.insert(state.getSymNameAttr());
  if (observers.empty())
    return success();
  auto calibrate = cast<func::FuncOp>(builder.clone(*loss));
  calibrate.setSymName(kCalibrateStepName);
  calibrate->removeAttr(MLOptDialect::kLossAttrName);
  if (failed(dropTrainOnlyResults(calibrate)))
    return failure();
  calibrate.removeArgAttrsAttr();
  calibrate.removeResAttrsAttr();
  // The observers' updates: the ops whose results are written to observer
  // states keep their training form (mlopt.observe), and those writes stay.
  auto writesObserver = [&](StateWriteOp write) {
    return observers.contains(write.getStateAttr().getAttr());
  };
  llvm::SmallPtrSet<Operation *, 8> observing;
  calibrate.walk([&](StateWriteOp write) {
    if (writesObserver(write))
      if (Operation *def = write.getValue().getDefiningOp())
        observing.insert(def);
  });
  if (failed(convertToEvaluationForm(
          calibrate, [&](Operation *op) { return observing.contains(op); },
          writesObserver)))
    return failure();
  eraseDeadOps(calibrate);
  return success();
}

/// `func.func @predict_step(<the inputs>) -> <prediction>`, when the loss
/// function returns, as its loss, the result of a `LossOpInterface` op: the
/// computation of that op's prediction, cloned from `eval` (evaluation form,
/// no state writes), without the label arguments. Builds nothing, and
/// succeeds, for any other loss (a sum of losses has no one prediction); a
/// prediction that depends on a label argument is an error at the loss op.
static LogicalResult buildPredictStep(OpBuilder &builder, func::FuncOp eval) {
  auto evalReturn = dyn_cast<func::ReturnOp>(eval.front().getTerminator());
  if (!evalReturn || evalReturn.getNumOperands() == 0 ||
      !evalReturn.getOperand(0).getDefiningOp<LossOpInterface>())
    return success();

  auto predict = cast<func::FuncOp>(builder.clone(*eval));
  auto returnOp = cast<func::ReturnOp>(predict.front().getTerminator());
  auto lossOp = returnOp.getOperand(0).getDefiningOp<LossOpInterface>();
  Value prediction = lossOp.getPrediction();

  // The ops the prediction depends on; it must not reach a label.
  llvm::SmallPtrSet<Operation *, 32> slice;
  llvm::SmallPtrSet<Value, 32> seen{prediction};
  SmallVector<Value> worklist{prediction};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (auto argument = dyn_cast<BlockArgument>(value)) {
      if (predict.getArgAttr(argument.getArgNumber(),
                             MLOptDialect::kLabelAttrName)) {
        InFlightDiagnostic diag =
            lossOp->emitError("mlopt-entry-points: the prediction of '")
            << lossOp->getName() << "' depends on the label argument #"
            << argument.getArgNumber()
            << ", so no @predict_step can compute it from the inputs";
        predict.erase();
        return diag;
      }
      continue;
    }
    Operation *def = value.getDefiningOp();
    if (!slice.insert(def).second)
      continue;
    for (Value operand : def->getOperands())
      if (seen.insert(operand).second)
        worklist.push_back(operand);
  }

  predict.setSymName(kPredictStepName);
  predict->removeAttr(MLOptDialect::kEvalStepAttrName);
  predict->setAttr(MLOptDialect::kPredictStepAttrName, builder.getUnitAttr());
  returnOp->setOperands(prediction);
  // Users come after their operands: erase what the prediction does not
  // need from the end.
  SmallVector<Operation *> unused;
  for (Operation &op : predict.front().without_terminator())
    if (!slice.contains(&op))
      unused.push_back(&op);
  for (Operation *op : llvm::reverse(unused))
    op->erase();
  llvm::BitVector labels(predict.getNumArguments());
  for (unsigned i = 0, e = predict.getNumArguments(); i < e; ++i)
    if (predict.getArgAttr(i, MLOptDialect::kLabelAttrName))
      labels.set(i);
  if (failed(predict.eraseArguments(labels)))
    return predict.emitError("mlopt-entry-points: cannot remove the label "
                             "arguments of @predict_step");
  predict.removeResAttrsAttr();
  predict.setType(builder.getFunctionType(predict.getArgumentTypes(),
                                          {prediction.getType()}));
  return success();
}

void MLOptEntryPointsPass::runOnOperation() {
  ModuleOp module = getOperation();

  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(MLOptDialect::kLossAttrName))
      continue;
    if (loss) {
      func.emitError("mlopt-entry-points: a second function marked '")
          << MLOptDialect::kLossAttrName << "'; the first is @"
          << loss.getSymName();
      return signalPassFailure();
    }
    loss = func;
  }
  if (!loss) {
    module.emitError("mlopt-entry-points: no function marked '")
        << MLOptDialect::kLossAttrName << "'";
    return signalPassFailure();
  }
  if (loss.isExternal()) {
    loss.emitError("mlopt-entry-points: the loss function has no body");
    return signalPassFailure();
  }

  SymbolTable symbols(module);
  for (StringRef name :
       {kInitName, kEvalStepName, kPredictStepName, kCalibrateStepName}) {
    if (Operation *existing = symbols.lookup(name)) {
      existing->emitError("mlopt-entry-points: symbol @")
          << name << " already exists";
      return signalPassFailure();
    }
  }

  FailureOr<ManifestAttr> manifest = buildStateManifest(module);
  if (failed(manifest))
    return signalPassFailure();
  SmallVector<StateOp> states(module.getOps<StateOp>());
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  buildInit(builder, module, states);
  if (failed(buildEvalStep(builder, loss)))
    return signalPassFailure();
  if (failed(buildCalibrateStep(builder, loss, states)))
    return signalPassFailure();
  if (failed(buildPredictStep(
          builder, module.lookupSymbol<func::FuncOp>(kEvalStepName))))
    return signalPassFailure();
  module->setAttr(MLOptDialect::kManifestAttrName, *manifest);
}
