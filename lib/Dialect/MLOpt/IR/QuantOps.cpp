//===- QuantOps.cpp - observers, fake-quant, int8 ops and int8 forms ------===//

#include "VJPUtils.h"

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/IR/Matchers.h"

#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

/// The quantization parameters of `op` (scale, zero point) must be 0-d
/// without `axis`, or 1-d of the size of dimension `axis` of `input`.
static LogicalResult verifyQuantParams(Operation *op, Value input, Value scale,
                                       Value zeroPoint,
                                       std::optional<int64_t> axis) {
  RankedTensorType inputType = tensorType(input);
  RankedTensorType scaleType = tensorType(scale);
  if (scaleType.getShape() != tensorType(zeroPoint).getShape())
    return op->emitOpError("needs a scale and a zero point of one shape, got ")
           << scaleType << " and " << zeroPoint.getType();
  if (!axis) {
    if (scaleType.getRank() != 0)
      return op->emitOpError("needs 0-d quantization parameters per tensor "
                             "(or an 'axis' for per-channel ones), got ")
             << scaleType;
    return success();
  }
  if (*axis < 0 || *axis >= inputType.getRank())
    return op->emitOpError("axis ")
           << *axis << " is out of range for rank " << inputType.getRank();
  if (scaleType.getRank() != 1 ||
      scaleType.getDimSize(0) != inputType.getDimSize(*axis))
    return op->emitOpError("needs per-channel parameters of shape [")
           << inputType.getDimSize(*axis) << "] along axis " << *axis
           << ", got " << scaleType;
  return success();
}

static LogicalResult verifyIntegerRange(Operation *op, int64_t quantMin,
                                        int64_t quantMax, int64_t lowest,
                                        int64_t highest, StringRef what) {
  if (quantMin >= quantMax)
    return op->emitOpError("needs quant_min < quant_max, got [")
           << quantMin << ", " << quantMax << "]";
  if (quantMin < lowest || quantMax > highest)
    return op->emitOpError("integer range [")
           << quantMin << ", " << quantMax << "] does not fit " << what << " ["
           << lowest << ", " << highest << "]";
  return success();
}

/// Ops whose gradient is zero with respect to every operand.
#define MLOPT_NOT_DIFFERENTIABLE(OpClass)                                      \
  bool OpClass::isOperandDifferentiable(unsigned) { return false; }            \
  LogicalResult OpClass::buildVJP(OpBuilder &, ValueRange resultCotangents,    \
                                  SmallVectorImpl<Value> &operandCotangents) { \
    initCotangents(*this, resultCotangents, operandCotangents);                \
    return success();                                                          \
  }

MLOPT_NOT_DIFFERENTIABLE(ObserveOp)
MLOPT_NOT_DIFFERENTIABLE(QuantParamsOp)
MLOPT_NOT_DIFFERENTIABLE(FakeQuantGradOp)
MLOPT_NOT_DIFFERENTIABLE(QuantizeOp)
MLOPT_NOT_DIFFERENTIABLE(DequantizeOp)
MLOPT_NOT_DIFFERENTIABLE(QuantizedLinearOp)
MLOPT_NOT_DIFFERENTIABLE(QuantizedMatmulOp)
#undef MLOPT_NOT_DIFFERENTIABLE

//===----------------------------------------------------------------------===//
// observe
//===----------------------------------------------------------------------===//

LogicalResult ObserveOp::verify() {
  RankedTensorType inputType = tensorType(getInput());
  RankedTensorType rangeType = tensorType(getMin());
  std::optional<int64_t> axis = getAxis();
  if (!axis && rangeType.getRank() != 0)
    return emitOpError("needs a 0-d range per tensor (or an 'axis' for a "
                       "per-channel one), got ")
           << rangeType;
  if (axis) {
    if (*axis < 0 || *axis >= inputType.getRank())
      return emitOpError("axis ")
             << *axis << " is out of range for rank " << inputType.getRank();
    if (rangeType.getRank() != 1 ||
        rangeType.getDimSize(0) != inputType.getDimSize(*axis))
      return emitOpError("needs a per-channel range of shape [")
             << inputType.getDimSize(*axis) << "] along axis " << *axis
             << ", got " << rangeType;
  }
  double constant = getAveragingConstant().convertToDouble();
  if (!(constant >= 0.0 && constant <= 1.0))
    return emitOpError("averaging_constant must lie in [0, 1], got ")
           << constant;
  return success();
}

/// Whether `value` is a constant whose elements all equal `expected`.
static bool isConstantSplat(Value value, double expected) {
  DenseFPElementsAttr attr;
  return matchPattern(value, m_Constant(&attr)) && attr.isSplat() &&
         attr.getSplatValue<APFloat>().convertToDouble() == expected;
}

LogicalResult ObserveOp::convertToEvalMode(RewriterBase &rewriter) {
  // Observing from the constant unobserved range measures this batch alone
  // (dynamic quantization's per-batch range), in evaluation as in training.
  if (isConstantSplat(getMin(), std::numeric_limits<double>::infinity()) &&
      isConstantSplat(getMax(), -std::numeric_limits<double>::infinity()))
    return success();
  rewriter.replaceOp(*this, {getMin(), getMax()});
  return success();
}

//===----------------------------------------------------------------------===//
// quant_params
//===----------------------------------------------------------------------===//

LogicalResult QuantParamsOp::verify() {
  if (tensorType(getMin()).getRank() > 1)
    return emitOpError("needs a 0-d (per tensor) or 1-d (per channel) "
                       "range, got ")
           << getMin().getType();
  return verifyIntegerRange(*this, getQuantMin(), getQuantMax(), INT32_MIN,
                            INT32_MAX, "i32");
}

//===----------------------------------------------------------------------===//
// fake_quant, fake_quant_grad
//===----------------------------------------------------------------------===//

LogicalResult FakeQuantOp::verify() {
  if (failed(verifyIntegerRange(*this, getQuantMin(), getQuantMax(), INT32_MIN,
                                INT32_MAX, "i32")))
    return failure();
  return verifyQuantParams(*this, getInput(), getScale(), getZeroPoint(),
                           getAxis());
}

bool FakeQuantOp::isOperandDifferentiable(unsigned index) {
  return index == getInputMutable().getOperandNumber();
}

LogicalResult FakeQuantOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] = FakeQuantGradOp::create(
      b, getLoc(), resultCotangents[0], getInput(), getScale(), getZeroPoint(),
      getQuantMin(), getQuantMax(), getAxisAttr());
  return success();
}

LogicalResult FakeQuantGradOp::verify() {
  if (failed(verifyIntegerRange(*this, getQuantMin(), getQuantMax(), INT32_MIN,
                                INT32_MAX, "i32")))
    return failure();
  return verifyQuantParams(*this, getInput(), getScale(), getZeroPoint(),
                           getAxis());
}

//===----------------------------------------------------------------------===//
// quantize, dequantize
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  if (tensorType(getResult()).getShape() != tensorType(getInput()).getShape())
    return emitOpError("result shape must equal the input's, got ")
           << getResult().getType() << " for " << getInput().getType();
  if (failed(verifyIntegerRange(*this, getQuantMin(), getQuantMax(), -128, 127,
                                "i8")))
    return failure();
  return verifyQuantParams(*this, getInput(), getScale(), getZeroPoint(),
                           getAxis());
}

LogicalResult DequantizeOp::verify() {
  if (tensorType(getResult()).getShape() != tensorType(getInput()).getShape())
    return emitOpError("result shape must equal the input's, got ")
           << getResult().getType() << " for " << getInput().getType();
  return verifyQuantParams(*this, getInput(), getScale(), getZeroPoint(),
                           getAxis());
}

//===----------------------------------------------------------------------===//
// quantized_linear, quantized_matmul
//===----------------------------------------------------------------------===//

/// `lhs` [M, K] times `rhs` ([K, N], or [N, K] when `rhsTransposed`) into
/// `result` [M, N].
static LogicalResult verifyIntegerProduct(Operation *op, Value lhs, Value rhs,
                                          Value result, bool rhsTransposed) {
  ArrayRef<int64_t> a = tensorType(lhs).getShape();
  ArrayRef<int64_t> b = tensorType(rhs).getShape();
  ArrayRef<int64_t> c = tensorType(result).getShape();
  if (a.size() != 2 || b.size() != 2 || c.size() != 2)
    return op->emitOpError("needs rank-2 operands and result");
  int64_t rhsK = rhsTransposed ? b[1] : b[0];
  int64_t n = rhsTransposed ? b[0] : b[1];
  if (a[1] != rhsK)
    return op->emitOpError("contracts ")
           << a[1] << " input columns with " << rhsK << " weight columns";
  if (c[0] != a[0] || c[1] != n)
    return op->emitOpError("result must be [")
           << a[0] << ", " << n << "], got " << result.getType();
  return success();
}

LogicalResult QuantizedLinearOp::verify() {
  return verifyIntegerProduct(*this, getInput(), getWeight(), getResult(),
                              /*rhsTransposed=*/true);
}

int64_t QuantizedLinearOp::getFlops() {
  return 2 * tensorType(getInput()).getDimSize(1) *
         tensorType(getResult()).getNumElements();
}

LogicalResult QuantizedMatmulOp::verify() {
  return verifyIntegerProduct(*this, getLhs(), getRhs(), getResult(),
                              /*rhsTransposed=*/false);
}

int64_t QuantizedMatmulOp::getFlops() {
  return 2 * tensorType(getLhs()).getDimSize(1) *
         tensorType(getResult()).getNumElements();
}

//===----------------------------------------------------------------------===//
// The int8 forms of linear and matmul (QuantizableOpInterface)
//===----------------------------------------------------------------------===//

/// `acc` (i32) dequantized with `scale` (0-d, or 1-d along the last
/// dimension) and a zero point of 0, in f32.
static Value dequantizeAccumulator(OpBuilder &b, Location loc, Value acc,
                                   Value scale) {
  RankedTensorType scaleType = tensorType(scale);
  auto zeroType = scaleType.clone(b.getI32Type());
  Value zero = ConstantOp::create(
      b, loc, DenseElementsAttr::get(zeroType, b.getI32IntegerAttr(0)));
  RankedTensorType accType = tensorType(acc);
  IntegerAttr axis;
  if (scaleType.getRank() == 1)
    axis = b.getI64IntegerAttr(accType.getRank() - 1);
  return DequantizeOp::create(b, loc, accType.clone(b.getF32Type()), acc, scale,
                              zero, axis);
}

/// `value` (f32) as `type`: reshaped to its shape and cast to its element
/// type where they differ.
static Value restoreType(MLOptBuilder &mb, Value value, RankedTensorType type) {
  if (tensorType(value).getShape() != type.getShape())
    value = mb.reshape(value, tensorType(value).clone(type.getShape()));
  if (tensorType(value).getElementType() != type.getElementType())
    value = mb.cast(value, type.getElementType());
  return value;
}

void LinearOp::getQuantizedOperands(
    SmallVectorImpl<QuantizedOperand> &operands) {
  operands.push_back({getInputMutable().getOperandNumber(), "input",
                      std::nullopt, /*symmetric=*/false});
  operands.push_back({getWeightMutable().getOperandNumber(), "weight",
                      /*channelAxis=*/0, /*symmetric=*/true});
}

FailureOr<Value> LinearOp::buildInt8Form(OpBuilder &b,
                                         ArrayRef<QuantizedValue> operands) {
  if (operands.size() != 2)
    return emitOpError("int8 form needs 2 quantized operands, got ")
           << operands.size();
  Location loc = getLoc();
  MLOptBuilder mb(b, loc);
  const QuantizedValue &input = operands[0], &weight = operands[1];
  // Leading dimensions of the input flatten into the rows of one product.
  RankedTensorType inputType = tensorType(input.value);
  int64_t in = inputType.getShape().back();
  int64_t rows = inputType.getNumElements() / std::max<int64_t>(in, 1);
  Value rows2d = input.value;
  if (inputType.getRank() != 2)
    rows2d = mb.reshape(input.value, inputType.clone({rows, in}));
  int64_t out = tensorType(weight.value).getDimSize(0);
  auto accType = RankedTensorType::get({rows, out}, b.getI32Type());
  Value acc = QuantizedLinearOp::create(b, loc, accType, rows2d,
                                        input.zeroPoint, weight.value);
  // One scale per output channel: the input's times the weight row's.
  Value channelScale = mb.mul(input.scale, weight.scale);
  Value result = dequantizeAccumulator(b, loc, acc, channelScale);
  if (Value bias = getBias()) {
    if (tensorType(bias).getElementType() != b.getF32Type())
      bias = mb.cast(bias, b.getF32Type());
    result = mb.add(result, bias);
  }
  return restoreType(mb, result, getType());
}

void MatmulOp::getQuantizedOperands(
    SmallVectorImpl<QuantizedOperand> &operands) {
  operands.push_back({getLhsMutable().getOperandNumber(), "lhs", std::nullopt,
                      /*symmetric=*/false});
  operands.push_back({getRhsMutable().getOperandNumber(), "rhs", std::nullopt,
                      /*symmetric=*/false});
}

FailureOr<Value> MatmulOp::buildInt8Form(OpBuilder &b,
                                         ArrayRef<QuantizedValue> operands) {
  if (operands.size() != 2)
    return emitOpError("int8 form needs 2 quantized operands, got ")
           << operands.size();
  if (tensorType(operands[0].scale).getRank() != 0 ||
      tensorType(operands[1].scale).getRank() != 0)
    return emitOpError("int8 form needs per-tensor parameters");
  Location loc = getLoc();
  MLOptBuilder mb(b, loc);
  auto accType = getType().clone(b.getI32Type());
  Value acc = QuantizedMatmulOp::create(
      b, loc, accType, operands[0].value, operands[0].zeroPoint,
      operands[1].value, operands[1].zeroPoint);
  Value scale = mb.mul(operands[0].scale, operands[1].scale);
  return restoreType(mb, dequantizeAccumulator(b, loc, acc, scale), getType());
}

//===----------------------------------------------------------------------===//
// Batch resizing (mlopt-set-batch-size) of the int8 ops
//===----------------------------------------------------------------------===//

/// The result of an op whose batch comes from `operand` (of type `oldType`
/// before the change) takes the operand's shape but for its last `keep`
/// dimensions, which stay the result's.
static LogicalResult resizeFromOperand(Operation *op, Value operand,
                                       Type oldType, int64_t oldBatch,
                                       int64_t newBatch, int64_t keep) {
  RankedTensorType operandType = tensorType(operand);
  if (oldType == operandType)
    return emitBatchResizeError(op, oldBatch, newBatch)
           << "its operand #0 does not carry the batch";
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> shape(operandType.getShape().drop_back(keep));
  llvm::append_range(shape, resultType.getShape().take_back(keep));
  op->getResult(0).setType(resultType.clone(shape));
  return success();
}

LogicalResult QuantizeOp::resizeBatch(TypeRange oldOperandTypes,
                                      int64_t oldBatch, int64_t newBatch) {
  return resizeFromOperand(*this, getInput(), oldOperandTypes.front(), oldBatch,
                           newBatch, /*keep=*/0);
}

LogicalResult DequantizeOp::resizeBatch(TypeRange oldOperandTypes,
                                        int64_t oldBatch, int64_t newBatch) {
  return resizeFromOperand(*this, getInput(), oldOperandTypes.front(), oldBatch,
                           newBatch, /*keep=*/0);
}

LogicalResult QuantizedLinearOp::resizeBatch(TypeRange oldOperandTypes,
                                             int64_t oldBatch,
                                             int64_t newBatch) {
  return resizeFromOperand(*this, getInput(), oldOperandTypes.front(), oldBatch,
                           newBatch, /*keep=*/1);
}

LogicalResult QuantizedMatmulOp::resizeBatch(TypeRange oldOperandTypes,
                                             int64_t oldBatch,
                                             int64_t newBatch) {
  return resizeFromOperand(*this, getLhs(), oldOperandTypes.front(), oldBatch,
                           newBatch, /*keep=*/1);
}
