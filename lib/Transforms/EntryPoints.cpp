//===- EntryPoints.cpp - @init, @eval_step and the state manifest ---------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Support/CounterHash.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTENTRYPOINTS
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

static constexpr StringLiteral kInitName = "init";
static constexpr StringLiteral kEvalStepName = "eval_step";

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
    auto stream =
        b.getI64IntegerAttr(static_cast<int64_t>(
            counter_hash::fnv1a64(state.getSymName())));
    Value value = InitialValueOp::create(b, state.getLoc(), state.getType(),
                                         seed, state.getInitializer(), stream);
    StateWriteOp::create(b, state.getLoc(), value, state.getSymName());
  }
  func::ReturnOp::create(b, loc);
}

/// `func.func @eval_step`: the loss function with every op in its
/// evaluation form (`EvalModeOpInterface`: dropout is the identity) and
/// without state writes.
static LogicalResult buildEvalStep(OpBuilder &builder, func::FuncOp loss) {
  auto eval = cast<func::FuncOp>(builder.clone(*loss));
  eval.setSymName(kEvalStepName);
  eval->removeAttr(MLOptDialect::kLossAttrName);
  eval->setAttr(MLOptDialect::kEvalStepAttrName, builder.getUnitAttr());
  SmallVector<EvalModeOpInterface> evalModeOps;
  SmallVector<StateWriteOp> writes;
  eval.walk([&](Operation *op) {
    if (auto evalMode = dyn_cast<EvalModeOpInterface>(op))
      evalModeOps.push_back(evalMode);
    else if (auto write = dyn_cast<StateWriteOp>(op))
      writes.push_back(write);
  });
  IRRewriter rewriter(builder.getContext());
  for (EvalModeOpInterface op : evalModeOps) {
    rewriter.setInsertionPoint(op);
    if (failed(op.convertToEvalMode(rewriter)))
      return failure();
  }
  for (StateWriteOp write : writes)
    rewriter.eraseOp(write);
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
  for (StringRef name : {kInitName, kEvalStepName}) {
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
  module->setAttr(MLOptDialect::kManifestAttrName, *manifest);
}
