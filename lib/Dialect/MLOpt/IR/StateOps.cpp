//===- StateOps.cpp - state symbols and constants -------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

using namespace mlir;
using namespace mlir::mlopt;

LogicalResult StateOp::verify() {
  RankedTensorType type = getTensorType();
  if (failed(getInitializer().verifyForType(
          type, [&]() { return emitOpError(); })))
    return failure();
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

LogicalResult ConstantOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties, RegionRange regions,
    SmallVectorImpl<Type> &inferredReturnTypes) {
  Adaptor adaptor(operands, attributes, properties, regions);
  inferredReturnTypes.push_back(adaptor.getValue().getType());
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult InitialValueOp::verify() {
  return getInitializer().verifyForType(getType(),
                                        [&]() { return emitOpError(); });
}
