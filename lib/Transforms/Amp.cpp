//===- Amp.cpp - mixed precision: low-precision casts by op class ---------===//
//
// mlopt-amp (issue #11): every op of the loss function computes in the type
// its PrecisionOpInterface class asks for (the low-precision type, f32, or
// the widest of its inputs), with casts inserted where a value's type
// changes. The states keep their types (f32 master weights); ops outside
// the f32 computation get their operands in their original types back.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTAMP
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {

/// Rewrites the loss function's ops in order, remembering each value's
/// original element type and the casts already made.
class AmpRewriter {
public:
  AmpRewriter(func::FuncOp loss, FloatType low)
      : low(low), f32(Float32Type::get(loss.getContext())) {
    loss.walk([&](Operation *op) {
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument argument : block.getArguments())
            original[argument] = getElementTypeOrSelf(argument.getType());
      for (Value result : op->getResults())
        original[result] = getElementTypeOrSelf(result.getType());
    });
  }

  void rewrite(Operation *op) {
    if (!computesInF32(op)) {
      restoreOperands(op);
      return;
    }
    std::optional<Type> type = computeType(op);
    if (!type)
      return;
    for (OpOperand &operand : op->getOpOperands())
      if (floatTensorType(operand.get()))
        operand.set(castTo(operand.get(), *type));
    for (Value result : op->getResults())
      if (RankedTensorType tensor = floatTensorType(result))
        result.setType(tensor.clone(*type));
  }

private:
  static Type elementType(Value value) {
    return getElementTypeOrSelf(value.getType());
  }

  /// The type of `value` when it is a tensor of floats, the values that the
  /// pass casts.
  static RankedTensorType floatTensorType(Value value) {
    auto tensor = dyn_cast<RankedTensorType>(value.getType());
    return tensor && isa<FloatType>(tensor.getElementType()) ? tensor : nullptr;
  }

  /// Whether `op` is part of the f32 computation that the pass changes: it
  /// has a precision class and results, and every float operand and result
  /// was f32 in the input.
  bool computesInF32(Operation *op) {
    if (!isa<PrecisionOpInterface>(op) || op->getNumResults() == 0 ||
        op->getNumRegions() != 0)
      return false;
    auto isF32OrNotFloat = [&](Value value) {
      Type type = original.lookup(value);
      return !isa_and_nonnull<FloatType>(type) || type == f32;
    };
    return llvm::all_of(op->getOperands(), isF32OrNotFloat) &&
           llvm::all_of(op->getResults(), isF32OrNotFloat);
  }

  /// The type `op` computes in; none for an op without float operands
  /// (constants, state reads), which keeps its types.
  std::optional<Type> computeType(Operation *op) {
    switch (cast<PrecisionOpInterface>(op).getPrecisionClass()) {
    case PrecisionClass::LowPrecision:
      return low;
    case PrecisionClass::KeepF32:
      return f32;
    case PrecisionClass::FollowInput:
      break;
    }
    std::optional<Type> widest;
    for (Value operand : op->getOperands()) {
      RankedTensorType tensor = floatTensorType(operand);
      if (tensor && (!widest || tensor.getElementType() == f32))
        widest = tensor.getElementType();
    }
    return widest;
  }

  void restoreOperands(Operation *op) {
    for (OpOperand &operand : op->getOpOperands()) {
      Type type = original.lookup(operand.get());
      if (type && type != elementType(operand.get()))
        operand.set(castTo(operand.get(), type));
    }
  }

  /// `value` as `type` elements: itself, or one cast per value and type,
  /// right after the definition so that it dominates every use.
  Value castTo(Value value, Type type) {
    if (elementType(value) == type)
      return value;
    Value &cast = casts[{value, type}];
    if (!cast) {
      OpBuilder builder(value.getContext());
      builder.setInsertionPointAfterValue(value);
      cast = MLOptBuilder(builder, value.getLoc()).cast(value, type);
    }
    return cast;
  }

  FloatType low;
  FloatType f32;
  DenseMap<Value, Type> original;
  DenseMap<std::pair<Value, Type>, Value> casts;
};

struct MLOptAmpPass : mlopt::impl::MLOptAmpBase<MLOptAmpPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void MLOptAmpPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *context = &getContext();
  FloatType low;
  if (dtype == "bf16")
    low = BFloat16Type::get(context);
  else if (dtype == "f16")
    low = Float16Type::get(context);
  else {
    module.emitError("mlopt-amp: unsupported dtype '")
        << dtype << "' (expected bf16 or f16)";
    return signalPassFailure();
  }

  // The loss function (the dialect verifies there is at most one).
  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func->hasAttr(MLOptDialect::kTrainStepAttrName)) {
      func.emitError("mlopt-amp: the module already has @")
          << func.getSymName()
          << "; mlopt-amp runs on the model, before mlopt-autodiff, whose "
             "gradients would miss the casts";
      return signalPassFailure();
    }
    if (func->hasAttr(MLOptDialect::kLossAttrName))
      loss = func;
  }
  if (!loss || loss.isExternal()) {
    module.emitError("mlopt-amp: no loss function with a body (marked '")
        << MLOptDialect::kLossAttrName << "') to compute in " << dtype;
    return signalPassFailure();
  }

  bool lowWeights = false;
  for (auto state : module.getOps<StateOp>()) {
    Type element = state.getTensorType().getElementType();
    if (state.getTrainable() && (element.isF16() || element.isBF16())) {
      state.emitError("mlopt-amp: trainable state @")
          << state.getSymName() << " is " << element
          << "; the master weights must be f32 (declare it f32: mlopt-amp "
             "makes the low-precision copy in the step)";
      lowWeights = true;
    }
  }
  if (lowWeights)
    return signalPassFailure();

  AmpRewriter rewriter(loss, low);
  SmallVector<Operation *> ops;
  loss.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op != loss)
      ops.push_back(op);
  });
  for (Operation *op : ops)
    rewriter.rewrite(op);
}
