//===- StateOps.cpp - state symbols and constants -------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;

LogicalResult StateOp::verify() {
  RankedTensorType type = getTensorType();
  if (type.hasStaticShape() && type.getElementType().isIntOrFloat() &&
      !getCheckedNumBytes(type))
    return emitOpError("has type ")
           << type << ", whose size does not fit in 64 bits";
  if (failed(getInitializer().verifyForType(type,
                                            [&]() { return emitOpError(); })))
    return failure();
  // docs/TrainingIR.md ("Random numbers"): an rng state seeds dropout masks,
  // so it is one i64 drawn from @init's seed; a fixed initializer would give
  // every --seed the same masks.
  if (getKind() == StateKind::Rng) {
    if (type.getRank() != 0 || !type.getElementType().isSignlessInteger(64))
      return emitOpError("of kind 'rng' must be a tensor<i64> (the seed of "
                         "its dropouts), got ")
             << type;
    if (!isa<FromSeedInitAttr>(getInitializer()))
      return emitOpError("of kind 'rng' must be initialized with "
                         "#mlopt.from_seed, got ")
             << getInitializer()
             << " (the dropout masks would not depend on the seed)";
  }
  if (getTrainable()) {
    if (getKind() != StateKind::Parameter)
      return emitOpError("only 'parameter' state can be trainable, got '")
             << stringifyStateKind(getKind()) << "'";
    if (!isa<FloatType>(type.getElementType()))
      return emitOpError("trainable state needs a floating-point element "
                         "type, got ")
             << type;
  }
  return success();
}

/// Resolves `symbol` to an `mlopt.state` and checks its type against `type`.
static LogicalResult verifyStateUse(Operation *op, FlatSymbolRefAttr symbol,
                                    Type type,
                                    SymbolTableCollection &symbolTable) {
  auto state = symbolTable.lookupNearestSymbolFrom<StateOp>(op, symbol);
  if (!state)
    return op->emitOpError("refers to unknown state ") << symbol;
  if (state.getType() != type)
    return op->emitOpError("type ")
           << type << " does not match the type " << state.getType()
           << " of state " << symbol;
  return success();
}

LogicalResult
StateReadOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyStateUse(*this, getStateAttr(), getType(), symbolTable);
}

LogicalResult
StateWriteOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyStateUse(*this, getStateAttr(), getValue().getType(),
                        symbolTable);
}

LogicalResult
ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                             ValueRange operands, DictionaryAttr attributes,
                             OpaqueProperties properties, RegionRange regions,
                             SmallVectorImpl<Type> &inferredReturnTypes) {
  Adaptor adaptor(operands, attributes, properties, regions);
  inferredReturnTypes.push_back(adaptor.getValue().getType());
  return success();
}

/// Only a splat (`dense<0.5> : tensor<8x10xf32>`) says what the constant is
/// for another batch.
LogicalResult ConstantOp::resizeBatch(TypeRange, int64_t oldBatch,
                                      int64_t newBatch) {
  auto type = cast<RankedTensorType>(getType());
  if (type.getRank() == 0)
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "a 0-d constant has no batch dimension";
  std::optional<int64_t> dim =
      resizeBatchDim(type.getDimSize(0), oldBatch, newBatch);
  if (!dim)
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "dimension 0 (" << type.getDimSize(0)
           << ") is not a multiple of the batch";
  auto splat = dyn_cast<SplatElementsAttr>(getValue());
  if (!splat)
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "only a splat constant can change its batch dimension";
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = *dim;
  auto resized = type.clone(shape);
  setValueAttr(
      DenseElementsAttr::get(resized, splat.getSplatValue<Attribute>()));
  getResult().setType(resized);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult InitialValueOp::verify() {
  return getInitializer().verifyForType(getType(),
                                        [&]() { return emitOpError(); });
}
