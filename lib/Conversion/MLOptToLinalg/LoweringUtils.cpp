//===- LoweringUtils.cpp - builders shared by the mlopt lowerings ---------===//

#include "LoweringUtils.h"

#include "mlopt/Support/CounterHash.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

SmallVector<int64_t> lowering::allDims(int64_t rank) {
  return llvm::to_vector(llvm::seq<int64_t>(0, rank));
}

Value lowering::createEmpty(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value lowering::createScalar(OpBuilder &b, Location loc, Type type,
                             double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(floatType, value));
  if (type.isIndex())
    return arith::ConstantIndexOp::create(b, loc, static_cast<int64_t>(value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value lowering::createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                             Value scalar) {
  Value empty = createEmpty(b, loc, type);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{empty})
      .getResult(0);
}

AffineMap lowering::getBroadcastMap(MLIRContext *ctx,
                                    ArrayRef<int64_t> operandShape,
                                    ArrayRef<int64_t> resultShape) {
  int64_t rank = resultShape.size();
  int64_t offset = rank - static_cast<int64_t>(operandShape.size());
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    int64_t dim = static_cast<int64_t>(i) + offset;
    if (size == 1 && resultShape[dim] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(dim, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

AffineMap lowering::getDroppingMap(MLIRContext *ctx, unsigned rank,
                                   ArrayRef<int64_t> droppedDims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < rank; ++i)
    if (!llvm::is_contained(droppedDims, static_cast<int64_t>(i)))
      exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value lowering::buildParallelGeneric(OpBuilder &b, Location loc,
                                     RankedTensorType resultType,
                                     ValueRange inputs,
                                     ArrayRef<AffineMap> inputMaps,
                                     BodyBuilder body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(
      AffineMap::getMultiDimIdentityMap(resultType.getRank(), b.getContext()));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  Value init = createEmpty(b, loc, resultType);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc,
                                body(nested, nestedLoc, args));
      });
  return generic.getResult(0);
}

Value lowering::buildElementwise(OpBuilder &b, Location loc,
                                 ValueRange operands,
                                 RankedTensorType resultType,
                                 BodyBuilder body) {
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(getBroadcastMap(
        b.getContext(), tensorType(operand).getShape(), resultType.getShape()));
  return buildParallelGeneric(b, loc, resultType, operands, maps, body);
}

SmallVector<Value> lowering::buildReduction(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps, ArrayRef<int64_t> iterShape,
    ArrayRef<int64_t> reducedDims, ValueRange inits, BodyBuilder body) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = iterShape.size();
  SmallVector<int64_t> resultShape;
  for (unsigned i = 0; i < rank; ++i)
    if (!llvm::is_contained(reducedDims, static_cast<int64_t>(i)))
      resultShape.push_back(iterShape[i]);
  SmallVector<Value> outputs;
  SmallVector<Type> resultTypes;
  for (Value init : inits) {
    auto type = RankedTensorType::get(resultShape, init.getType());
    outputs.push_back(createFilled(b, loc, type, init));
    resultTypes.push_back(type);
  }
  SmallVector<AffineMap> maps(inputMaps);
  maps.append(inits.size(), getDroppingMap(ctx, rank, reducedDims));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  for (int64_t dim : reducedDims)
    iterators[dim] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, resultTypes, inputs, outputs, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc,
                                body(nested, nestedLoc, args));
      });
  return SmallVector<Value>(generic.getResults());
}

Value lowering::buildSum(OpBuilder &b, Location loc, ValueRange inputs,
                         ArrayRef<AffineMap> inputMaps,
                         ArrayRef<int64_t> iterShape,
                         ArrayRef<int64_t> reducedDims, Type elementType,
                         TermBuilder term) {
  return buildReduction(
      b, loc, inputs, inputMaps, iterShape, reducedDims,
      createScalar(b, loc, elementType, 0.0),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value value = term(nested, nestedLoc, args.drop_back());
        return SmallVector<Value>{
            arith::AddFOp::create(nested, nestedLoc, args.back(), value)};
      })[0];
}

Value lowering::divideByConstant(OpBuilder &b, Location loc, Value value,
                                 double divisor) {
  RankedTensorType type = tensorType(value);
  Value constant = createScalar(b, loc, type.getElementType(), divisor);
  return buildElementwise(
      b, loc, value, type,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        return SmallVector<Value>{
            arith::DivFOp::create(nested, nestedLoc, args[0], constant)};
      });
}

Value lowering::buildLinearIndex(OpBuilder &b, Location loc,
                                 ArrayRef<int64_t> shape) {
  Value linear;
  for (auto [dim, size] : llvm::enumerate(shape)) {
    Value index = linalg::IndexOp::create(b, loc, dim);
    if (!linear) {
      linear = index;
      continue;
    }
    Value scaled = arith::MulIOp::create(
        b, loc, linear, arith::ConstantIndexOp::create(b, loc, size));
    linear = arith::AddIOp::create(b, loc, scaled, index);
  }
  if (!linear)
    linear = arith::ConstantIndexOp::create(b, loc, 0);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), linear);
}

Value lowering::reshapeTensor(OpBuilder &b, Location loc, Value value,
                              RankedTensorType type) {
  auto sourceType = cast<RankedTensorType>(value.getType());
  if (sourceType == type)
    return value;
  if (sourceType.getRank() > type.getRank()) {
    if (auto reassociation =
            getReassociationIndicesForReshape(sourceType, type))
      return tensor::CollapseShapeOp::create(b, loc, type, value,
                                             *reassociation);
  } else if (sourceType.getRank() < type.getRank()) {
    if (auto reassociation =
            getReassociationIndicesForReshape(sourceType, type))
      return tensor::ExpandShapeOp::create(b, loc, type, value, *reassociation);
  }
  // No single reshape relates the shapes: go through the flat vector.
  auto flatType = RankedTensorType::get({sourceType.getNumElements()},
                                        sourceType.getElementType());
  Value flat = value;
  if (sourceType.getRank() != 1) {
    SmallVector<ReassociationIndices> all(1);
    if (sourceType.getRank() > 0)
      for (int64_t i = 0; i < sourceType.getRank(); ++i)
        all[0].push_back(i);
    flat = sourceType.getRank() == 0
               ? tensor::ExpandShapeOp::create(b, loc, flatType, value,
                                               ArrayRef<ReassociationIndices>{})
                     .getResult()
               : tensor::CollapseShapeOp::create(b, loc, flatType, value, all)
                     .getResult();
  }
  if (type.getRank() == 1)
    return flat;
  if (type.getRank() == 0)
    return tensor::CollapseShapeOp::create(b, loc, type, flat,
                                           ArrayRef<ReassociationIndices>{});
  SmallVector<ReassociationIndices> all(1);
  for (int64_t i = 0; i < type.getRank(); ++i)
    all[0].push_back(i);
  return tensor::ExpandShapeOp::create(b, loc, type, flat, all);
}

Value lowering::clampToIndex(OpBuilder &b, Location loc, Value value,
                             int64_t size) {
  Type type = value.getType();
  Value zero = createScalar(b, loc, type, 0);
  Value last = createScalar(b, loc, type, static_cast<double>(size - 1));
  Value clamped = arith::MaxSIOp::create(b, loc, value, zero);
  clamped = arith::MinSIOp::create(b, loc, clamped, last);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), clamped);
}

Value lowering::convertScalar(OpBuilder &b, Location loc, Value value,
                              Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    if (fromFloat.getWidth() > toFloat.getWidth())
      return arith::TruncFOp::create(b, loc, to, value);
    // f16 <-> bf16: through f32, exact on the way up.
    Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
    return arith::TruncFOp::create(b, loc, to, wide);
  }
  if (fromFloat) {
    // Any nonzero value (NaN included) is true, as bool(x) in PyTorch.
    if (to.isInteger(1))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, value,
                                   createScalar(b, loc, from, 0));
    return arith::FPToSIOp::create(b, loc, to, value);
  }
  if (toFloat) {
    if (from.isInteger(1))
      return arith::UIToFPOp::create(b, loc, to, value);
    return arith::SIToFPOp::create(b, loc, to, value);
  }
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (to.isInteger(1))
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                                 createScalar(b, loc, from, 0));
  if (fromWidth < toWidth)
    return from.isInteger(1)
               ? arith::ExtUIOp::create(b, loc, to, value).getResult()
               : arith::ExtSIOp::create(b, loc, to, value).getResult();
  return arith::TruncIOp::create(b, loc, to, value);
}

bool lowering::isLowPrecisionFloat(Type type) {
  return type.isF16() || type.isBF16();
}

Type lowering::getAccumulatorType(Type elementType) {
  if (isLowPrecisionFloat(elementType))
    return Float32Type::get(elementType.getContext());
  return elementType;
}

Value lowering::convertElements(OpBuilder &b, Location loc, Value value,
                                Type elementType) {
  RankedTensorType type = tensorType(value);
  if (type.getElementType() == elementType)
    return value;
  return buildElementwise(
      b, loc, value, type.clone(elementType),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        return SmallVector<Value>{
            convertScalar(nested, nestedLoc, args[0], elementType)};
      });
}

namespace {
/// The counter-hash arithmetic of mlopt/Support/CounterHash.h as arith ops
/// on i64 (which wrap like uint64_t) and f64.
struct IRArith {
  using Int = Value;
  using Float = Value;
  OpBuilder &b;
  Location loc;

  Value constant(uint64_t value) const {
    return arith::ConstantOp::create(
        b, loc, b.getIntegerAttr(b.getI64Type(), static_cast<int64_t>(value)));
  }
  Value add(Value x, Value y) const {
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value mul(Value x, Value y) const {
    return arith::MulIOp::create(b, loc, x, y);
  }
  Value bitXor(Value x, Value y) const {
    return arith::XOrIOp::create(b, loc, x, y);
  }
  Value shiftRight(Value x, unsigned shift) const {
    Value amount = constant(shift);
    return arith::ShRUIOp::create(b, loc, x, amount);
  }
  Value toFloat(Value x) const {
    return arith::UIToFPOp::create(b, loc, b.getF64Type(), x);
  }
  Value mulFloat(Value x, double factor) const {
    Value scale = createScalar(b, loc, b.getF64Type(), factor);
    return arith::MulFOp::create(b, loc, x, scale);
  }
};
} // namespace

Value lowering::buildRandomBits(OpBuilder &b, Location loc, Value seed,
                                Value stream, Value index) {
  return counter_hash::bits(IRArith{b, loc}, seed, stream, index);
}

Value lowering::buildRandomUniform(OpBuilder &b, Location loc, Value seed,
                                   Value stream, Value index) {
  // 24 bits: exact in f64 (and f32); scaling by 2^-24 is exact too.
  return counter_hash::uniform(IRArith{b, loc}, seed, stream, index);
}

Value lowering::buildSeedKey(OpBuilder &b, Location loc, Value seed,
                             Value stream, Value index) {
  return counter_hash::seedKey(IRArith{b, loc}, seed, stream, index);
}

Value lowering::buildDropoutKey(OpBuilder &b, Location loc, Value state) {
  return counter_hash::dropoutKey(IRArith{b, loc}, state);
}
