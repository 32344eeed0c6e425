//===- SetBatchSize.cpp - rewrite the model's batch dimension -------------===//
//
// Sets dimension 0 of the loss function's inputs and labels to a new size and
// walks the function forward: each op whose operands changed infers its
// result types again (InferTypeOpInterface) or follows its
// BatchResizableOpInterface rule. An op whose types no longer infer may need
// an operand that does not come from the inputs to take the batch as well (a
// splat constant, a broadcast bias); such an operand is resized on a copy
// made for that use, by its own rule.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/SetBatchSize.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTSETBATCHSIZE
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

namespace {
struct MLOptSetBatchSizePass
    : mlopt::impl::MLOptSetBatchSizeBase<MLOptSetBatchSizePass> {
  using Base::Base;
  void runOnOperation() override;
};

/// The forward walk over one function.
class BatchResizer {
public:
  BatchResizer(int64_t oldBatch, int64_t newBatch)
      : oldBatch(oldBatch), newBatch(newBatch) {}

  LogicalResult run(func::FuncOp func, ArrayRef<unsigned> batchedArgs);

private:
  LogicalResult resizeOp(Operation *op, ArrayRef<Type> oldOperandTypes);
  /// Re-infers `op`'s result types from its current operands into `types`.
  static LogicalResult infer(InferTypeOpInterface op,
                             SmallVectorImpl<Type> &types);
  /// Gives the operands of `op` that do not carry the batch, and whose
  /// defining op has a rule, a copy resized by that rule.
  LogicalResult resizeOperandsOnDemand(Operation *op, bool &changed);

  int64_t oldBatch, newBatch;
  /// The values whose type the walk changed, with their old types: an op
  /// none of whose operands is one keeps its types.
  DenseMap<Value, Type> oldTypes;
};
} // namespace

static bool isBatchedArgument(func::FuncOp func, unsigned index) {
  return func.getArgAttr(index, MLOptDialect::kInputAttrName) ||
         func.getArgAttr(index, MLOptDialect::kLabelAttrName);
}

LogicalResult BatchResizer::infer(InferTypeOpInterface op,
                                  SmallVectorImpl<Type> &types) {
  Operation *operation = op.getOperation();
  return op.inferReturnTypes(
      operation->getContext(), /*location=*/std::nullopt,
      operation->getOperands(), operation->getRawDictionaryAttrs(),
      operation->getPropertiesStorage(), operation->getRegions(), types);
}

LogicalResult BatchResizer::resizeOperandsOnDemand(Operation *op,
                                                   bool &changed) {
  changed = false;
  for (OpOperand &operand : op->getOpOperands()) {
    Operation *def = operand.get().getDefiningOp();
    auto rule = dyn_cast_or_null<BatchResizableOpInterface>(def);
    if (!rule)
      continue;
    // An operand whose type already changed carries the batch.
    if (oldTypes.contains(operand.get()) || def->getNumResults() != 1)
      continue;
    OpBuilder builder(def);
    builder.setInsertionPointAfter(def);
    Operation *copy = builder.clone(*def);
    SmallVector<Type> operandTypes(copy->getOperandTypes());
    if (failed(cast<BatchResizableOpInterface>(copy).resizeBatch(
            operandTypes, oldBatch, newBatch))) {
      copy->erase();
      op->emitRemark("needs operand #")
          << operand.getOperandNumber() << " at the new batch";
      return failure();
    }
    operand.set(copy->getResult(0));
    if (isOpTriviallyDead(def))
      def->erase();
    changed = true;
  }
  return success();
}

LogicalResult BatchResizer::resizeOp(Operation *op,
                                     ArrayRef<Type> oldOperandTypes) {
  if (auto rule = dyn_cast<BatchResizableOpInterface>(op))
    return rule.resizeBatch(oldOperandTypes, oldBatch, newBatch);
  auto inferable = dyn_cast<InferTypeOpInterface>(op);
  if (!inferable)
    return op->emitOpError("cannot change the batch from ")
           << oldBatch << " to " << newBatch
           << ": it neither infers its result types nor implements "
              "BatchResizableOpInterface";
  SmallVector<Type> types;
  if (failed(infer(inferable, types))) {
    bool changed = false;
    if (failed(resizeOperandsOnDemand(op, changed)))
      return failure();
    types.clear();
    if (!changed || failed(infer(inferable, types))) {
      InFlightDiagnostic diag = op->emitOpError("cannot change the batch from ")
                                << oldBatch << " to " << newBatch
                                << ": its result types do not infer from the "
                                   "resized operands (";
      llvm::interleaveComma(op->getOperandTypes(), diag);
      return diag << ")";
    }
  }
  for (auto [result, type] : llvm::zip_equal(op->getResults(), types))
    result.setType(type);
  return success();
}

LogicalResult BatchResizer::run(func::FuncOp func,
                                ArrayRef<unsigned> batchedArgs) {
  Block &body = func.getBody().front();
  for (unsigned index : batchedArgs) {
    BlockArgument arg = body.getArgument(index);
    auto type = cast<RankedTensorType>(arg.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[0] = newBatch;
    oldTypes[arg] = type;
    arg.setType(type.clone(shape));
  }
  WalkResult walk = func.getBody().walk<WalkOrder::PreOrder>(
      [&](Operation *op) -> WalkResult {
        SmallVector<Type> oldOperandTypes;
        bool carriesBatch = false;
        for (Value operand : op->getOperands()) {
          auto it = oldTypes.find(operand);
          carriesBatch |= it != oldTypes.end();
          oldOperandTypes.push_back(it != oldTypes.end() ? it->second
                                                         : operand.getType());
        }
        if (!carriesBatch || op->hasTrait<OpTrait::IsTerminator>())
          return WalkResult::advance();
        if (op->getNumRegions() != 0) {
          op->emitOpError("cannot change the batch from ")
              << oldBatch << " to " << newBatch << ": ops with regions are "
              << "not supported";
          return WalkResult::interrupt();
        }
        SmallVector<Type> oldResultTypes(op->getResultTypes());
        if (failed(resizeOp(op, oldOperandTypes)))
          return WalkResult::interrupt();
        for (auto [result, oldType] :
             llvm::zip_equal(op->getResults(), oldResultTypes))
          if (result.getType() != oldType)
            oldTypes[result] = oldType;
        return WalkResult::advance();
      });
  if (walk.wasInterrupted())
    return failure();
  func.setType(FunctionType::get(func.getContext(), body.getArgumentTypes(),
                                 body.getTerminator()->getOperandTypes()));
  return success();
}

LogicalResult mlir::mlopt::setBatchSize(ModuleOp module, int64_t size) {
  if (size <= 0) {
    module.emitError("mlopt-set-batch-size: size must be positive, got ")
        << size;
    return failure();
  }
  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kLossAttrName)) {
      loss = func;
      break;
    }
  if (!loss) {
    module.emitError("mlopt-set-batch-size: no func.func is marked '")
        << MLOptDialect::kLossAttrName << "'";
    return failure();
  }
  if (loss.isExternal()) {
    loss.emitOpError("has no body whose batch mlopt-set-batch-size could "
                     "change");
    return failure();
  }
  // The pass rewrites the model; the step functions that passes derive from
  // it would keep the old batch.
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func == loss)
      continue;
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      if (isBatchedArgument(func, i)) {
        func.emitOpError("takes batched arguments like the loss function; "
                         "mlopt-set-batch-size runs on the model, before "
                         "mlopt-autodiff");
        return failure();
      }
  }
  SmallVector<unsigned> batchedArgs;
  std::optional<int64_t> oldBatch;
  unsigned first = 0;
  for (unsigned i = 0, e = loss.getNumArguments(); i < e; ++i) {
    if (!isBatchedArgument(loss, i))
      continue;
    auto type = dyn_cast<RankedTensorType>(loss.getArgumentTypes()[i]);
    if (!type || type.getRank() == 0 || type.isDynamicDim(0)) {
      emitError(loss.getArgument(i).getLoc())
          << "argument #" << i << " of the loss function has no static batch "
          << "dimension to resize: " << loss.getArgumentTypes()[i];
      return failure();
    }
    if (!oldBatch) {
      oldBatch = type.getDimSize(0);
      first = i;
    } else if (type.getDimSize(0) != *oldBatch) {
      emitError(loss.getArgument(i).getLoc())
          << "argument #" << i << " of the loss function has batch "
          << type.getDimSize(0) << " in dimension 0, but argument #" << first
          << " has " << *oldBatch;
      return failure();
    }
    batchedArgs.push_back(i);
  }
  if (!oldBatch) {
    loss.emitOpError("has no '")
        << MLOptDialect::kInputAttrName << "' or '"
        << MLOptDialect::kLabelAttrName << "' argument whose batch to change";
    return failure();
  }
  if (*oldBatch == size)
    return success();
  return BatchResizer(*oldBatch, size).run(loss, batchedArgs);
}

void MLOptSetBatchSizePass::runOnOperation() {
  if (failed(setBatchSize(getOperation(), size)))
    return signalPassFailure();
}
