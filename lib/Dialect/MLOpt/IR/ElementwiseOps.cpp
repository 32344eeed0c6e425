//===- ElementwiseOps.cpp - elementwise ops -------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;

/// The shape rule of every broadcasting binary op.
static LogicalResult inferBroadcastBinary(std::optional<Location> loc,
                                          Value lhs, Value rhs,
                                          SmallVectorImpl<Type> &inferred) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (lhsType.getElementType() != rhsType.getElementType())
    return emitOptionalError(loc, "operands have different element types ",
                             lhsType.getElementType(), " and ",
                             rhsType.getElementType());
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(lhsType.getShape(), rhsType.getShape());
  if (!shape)
    return emitOptionalError(loc, "operand shapes ", lhsType, " and ", rhsType,
                             " do not broadcast");
  inferred.push_back(RankedTensorType::get(*shape, lhsType.getElementType()));
  return success();
}

#define MLOPT_BINARY_INFER(OP)                                                 \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                           \
                                     std::optional<Location> loc,             \
                                     Adaptor adaptor,                         \
                                     SmallVectorImpl<Type> &inferred) {       \
    return inferBroadcastBinary(loc, adaptor.getLhs(), adaptor.getRhs(),      \
                                inferred);                                    \
  }
MLOPT_BINARY_INFER(AddOp)
MLOPT_BINARY_INFER(SubOp)
MLOPT_BINARY_INFER(MulOp)
MLOPT_BINARY_INFER(DivOp)
MLOPT_BINARY_INFER(PowOp)
MLOPT_BINARY_INFER(MaximumOp)
MLOPT_BINARY_INFER(MinimumOp)
#undef MLOPT_BINARY_INFER

bool CastOp::areCastCompatible(TypeRange inputs, TypeRange outputs) {
  if (inputs.size() != 1 || outputs.size() != 1)
    return false;
  auto input = dyn_cast<RankedTensorType>(inputs.front());
  auto output = dyn_cast<RankedTensorType>(outputs.front());
  return input && output && input.getShape() == output.getShape();
}

LogicalResult CastOp::resizeBatch(TypeRange oldOperandTypes, int64_t oldBatch,
                                  int64_t newBatch) {
  auto input = cast<RankedTensorType>(getInput().getType());
  if (oldOperandTypes.front() == input)
    return emitBatchResizeError(*this, oldBatch, newBatch)
           << "its input does not carry the batch";
  getResult().setType(input.clone(getType().getElementType()));
  return success();
}

/// Whether every value of the element type `from` is exactly a value of
/// `to` (f16 and bf16 in f32, f32 in f64, but neither of f16 and bf16 in the
/// other); only float types qualify.
static bool representsExactly(Type from, Type to) {
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  return fromFloat && toFloat &&
         APFloat::isRepresentableBy(fromFloat.getFloatSemantics(),
                                    toFloat.getFloatSemantics());
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // cast(cast(x : A -> B) : B -> C) is cast(x : A -> C) when B holds every
  // value of A: the first cast is then exact, so the second rounds the same
  // value that a direct cast would. Any other pair rounds twice (f32 -> bf16
  // -> f32 loses bits; f64 -> f32 -> bf16 can differ from f64 -> bf16).
  auto producer = getInput().getDefiningOp<CastOp>();
  if (!producer)
    return {};
  Value source = producer.getInput();
  if (!representsExactly(getElementTypeOrSelf(source.getType()),
                         getElementTypeOrSelf(getInput().getType())))
    return {};
  if (source.getType() == getType())
    return source;
  getInputMutable().assign(source);
  return getResult();
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  SmallVector<Type, 1> broadcast;
  if (failed(inferBroadcastBinary(loc, adaptor.getLhs(), adaptor.getRhs(),
                                  broadcast)))
    return failure();
  inferred.push_back(cast<RankedTensorType>(broadcast.front())
                         .clone(IntegerType::get(context, 1)));
  return success();
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  SmallVector<Type, 1> values;
  if (failed(inferBroadcastBinary(loc, adaptor.getOnTrue(),
                                  adaptor.getOnFalse(), values)))
    return failure();
  auto valueType = cast<RankedTensorType>(values.front());
  auto conditionType = cast<RankedTensorType>(adaptor.getCondition().getType());
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(conditionType.getShape(), valueType.getShape());
  if (!shape)
    return emitOptionalError(loc, "condition ", conditionType,
                             " does not broadcast with ", valueType);
  inferred.push_back(RankedTensorType::get(*shape, valueType.getElementType()));
  return success();
}

/// The condition only chooses; the values come from `on_true`/`on_false`.
bool SelectOp::forwardsOperandElements(unsigned index) {
  return index != getConditionMutable().getOperandNumber();
}
