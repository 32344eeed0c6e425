//===- Quant.cpp - observers, fake-quant, quantize and int8 products ------===//
//
// The elementwise quantization ops are one linalg.generic each, reading
// their scale and zero point through a map that keeps only dimension `axis`
// (per channel) or none (per tensor). Their bodies emit the f32 operations
// of mlopt/Support/QuantMath.h in its order, which the reference evaluator
// runs, so that both agree bit for bit:
//   level = roundeven(x * (1 / scale)) + sitofp(zero_point)
//   q     = minnumf(maxnumf(level, quant_min), quant_max)   (NaN -> quant_min)
// with x widened (f16, bf16) or rounded (f64) to f32 first. observe is a
// min/max reduction (compare and select: NaN elements ignored) per tensor or
// per channel, then one generic per bound with the observer rule and the
// select on `update`; quant_params is PyTorch's _calculate_qparams as
// scalar arith on each range. quantized_linear and quantized_matmul call
// the int8 kernel (lib/Runtime/CpuKernelsInt8.cpp)
//   mlopt_qgemm_s8(m, n, k, a, lda, a_zp, b, ldb, b_zp, transB, c, ldc)
// with the operands reaching it through read-only `bufferization.to_buffer`s
// of identity layout and the i32 product coming back through a `restrict
// writable` `bufferization.to_tensor` of a new allocation, as prune_mask's
// kernel call (Compression.cpp).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Support/QuantMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

namespace qm = mlir::mlopt::quant_math;

namespace {

/// An f32 constant of exactly `value`.
Value f32Constant(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// `value` (a float scalar) as f32: widened, or rounded once from f64.
Value toF32(OpBuilder &b, Location loc, Value value) {
  Type f32 = b.getF32Type();
  unsigned width = value.getType().getIntOrFloatBitWidth();
  if (value.getType() == f32)
    return value;
  if (width > 32)
    return arith::TruncFOp::create(b, loc, f32, value);
  return arith::ExtFOp::create(b, loc, f32, value);
}

/// An f32 scalar as the float type `type`.
Value fromF32(OpBuilder &b, Location loc, Value value, Type type) {
  unsigned width = type.getIntOrFloatBitWidth();
  if (type == value.getType())
    return value;
  if (width > 32)
    return arith::ExtFOp::create(b, loc, type, value);
  return arith::TruncFOp::create(b, loc, type, value);
}

/// The maps of a generic over the `rank` dimensions of an input: the
/// identity, and the one of its quantization parameters, which keeps only
/// `axis` (per channel) or no dimension (per tensor).
SmallVector<AffineMap> quantMaps(MLIRContext *ctx, int64_t rank,
                                 std::optional<int64_t> axis) {
  // -1: no dimension kept (per tensor).
  int64_t kept = axis.value_or(-1);
  SmallVector<int64_t> dropped;
  for (int64_t dim = 0; dim < rank; ++dim)
    if (dim != kept)
      dropped.push_back(dim);
  return {AffineMap::getMultiDimIdentityMap(rank, ctx),
          getDroppingMap(ctx, rank, dropped)};
}

/// QuantMath's unclampedLevel: roundeven(x * (1 / scale)) + zero point.
Value buildLevel(OpBuilder &b, Location loc, Value x, Value scale,
                 Value zeroPoint) {
  Value inverse =
      arith::DivFOp::create(b, loc, f32Constant(b, loc, 1.0f), scale);
  Value scaled = arith::MulFOp::create(b, loc, toF32(b, loc, x), inverse);
  Value rounded = math::RoundEvenOp::create(b, loc, scaled);
  Value shift = arith::SIToFPOp::create(b, loc, b.getF32Type(), zeroPoint);
  return arith::AddFOp::create(b, loc, rounded, shift);
}

/// The level clamped to [quantMin, quantMax]: maxnumf, then minnumf.
Value buildClamp(OpBuilder &b, Location loc, Value level, int64_t quantMin,
                 int64_t quantMax) {
  Value low = arith::MaxNumFOp::create(
      b, loc, level, f32Constant(b, loc, static_cast<float>(quantMin)));
  return arith::MinNumFOp::create(
      b, loc, low, f32Constant(b, loc, static_cast<float>(quantMax)));
}

/// One generic over `input`'s shape producing `resultType`, reading `extra`
/// (tensors of the input's shape), `input`, then the scale and zero point
/// per tensor or per channel along `axis`. `body` sees the elements in that
/// order.
Value buildQuantElementwise(OpBuilder &b, Location loc, ValueRange extra,
                            Value input, Value scale, Value zeroPoint,
                            std::optional<int64_t> axis,
                            RankedTensorType resultType, BodyBuilder body) {
  SmallVector<AffineMap> maps =
      quantMaps(b.getContext(), tensorType(input).getRank(), axis);
  SmallVector<Value> inputs(extra);
  SmallVector<AffineMap> inputMaps(extra.size(), maps[0]);
  inputs.append({input, scale, zeroPoint});
  inputMaps.append({maps[0], maps[1], maps[1]});
  return buildParallelGeneric(b, loc, resultType, inputs, inputMaps, body);
}

struct FakeQuantLowering : public OpRewritePattern<FakeQuantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FakeQuantOp op,
                                PatternRewriter &rewriter) const override {
    int64_t quantMin = op.getQuantMin(), quantMax = op.getQuantMax();
    Type elementType = op.getType().getElementType();
    Value result = buildQuantElementwise(
        rewriter, op.getLoc(), {}, op.getInput(), op.getScale(),
        op.getZeroPoint(), op.getAxis(), op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value level = buildLevel(b, loc, args[0], args[1], args[2]);
          Value clamped = buildClamp(b, loc, level, quantMin, quantMax);
          Value shift =
              arith::SIToFPOp::create(b, loc, b.getF32Type(), args[2]);
          Value value = arith::MulFOp::create(
              b, loc, arith::SubFOp::create(b, loc, clamped, shift), args[1]);
          return SmallVector<Value>{fromF32(b, loc, value, elementType)};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FakeQuantGradLowering : public OpRewritePattern<FakeQuantGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FakeQuantGradOp op,
                                PatternRewriter &rewriter) const override {
    int64_t quantMin = op.getQuantMin(), quantMax = op.getQuantMax();
    Type elementType = op.getType().getElementType();
    Value result = buildQuantElementwise(
        rewriter, op.getLoc(), op.getGrad(), op.getInput(), op.getScale(),
        op.getZeroPoint(), op.getAxis(), op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value level = buildLevel(b, loc, args[1], args[2], args[3]);
          // Ordered comparisons: a NaN level passes nothing.
          Value aboveMin = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGE, level,
              f32Constant(b, loc, static_cast<float>(quantMin)));
          Value belowMax = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OLE, level,
              f32Constant(b, loc, static_cast<float>(quantMax)));
          Value inside = arith::AndIOp::create(b, loc, aboveMin, belowMax);
          Value zero = createScalar(b, loc, elementType, 0.0);
          return SmallVector<Value>{
              arith::SelectOp::create(b, loc, inside, args[0], zero)};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct QuantizeLowering : public OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    int64_t quantMin = op.getQuantMin(), quantMax = op.getQuantMax();
    Type elementType = op.getType().getElementType();
    Value result = buildQuantElementwise(
        rewriter, op.getLoc(), {}, op.getInput(), op.getScale(),
        op.getZeroPoint(), op.getAxis(), op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value level = buildLevel(b, loc, args[0], args[1], args[2]);
          Value clamped = buildClamp(b, loc, level, quantMin, quantMax);
          // An integer within [-128, 127]: exact.
          return SmallVector<Value>{
              arith::FPToSIOp::create(b, loc, elementType, clamped)};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DequantizeLowering : public OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildQuantElementwise(
        rewriter, op.getLoc(), {}, op.getInput(), op.getScale(),
        op.getZeroPoint(), op.getAxis(), op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Type i32 = b.getI32Type(), f32 = b.getF32Type();
          Value q = args[0];
          if (q.getType() != i32)
            q = arith::ExtSIOp::create(b, loc, i32, q);
          Value shifted = arith::SubIOp::create(b, loc, q, args[2]);
          Value value = arith::SIToFPOp::create(b, loc, f32, shifted);
          return SmallVector<Value>{
              arith::MulFOp::create(b, loc, value, args[1])};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The independent partial ranges of a per-tensor observe (one zmm of f32).
constexpr int64_t kRangeLanes = 16;

struct ObserveLowering : public OpRewritePattern<ObserveOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ObserveOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType inputType = tensorType(op.getInput());
    RankedTensorType rangeType = tensorType(op.getMin());
    int64_t rank = inputType.getRank();
    std::optional<int64_t> axis = op.getAxis();
    int64_t kept = axis.value_or(-1);

    // The batch's range: +inf, -inf where nothing (or only NaN) was seen.
    auto rangeBody = [](OpBuilder &b, Location l, ValueRange args) {
      // Compare and select rather than minnumf/maxnumf: the same for NaN
      // (ignored) and, up to the sign of zero, for numbers; LLVM 22 at -O3
      // drops iterations of a minnum/maxnum reduction over an outer loop
      // into memory (observed on a [6, 5] input reduced over dim 0: rows 4
      // and 5 skipped). The last two arguments are the running range; the
      // others are the elements (one value, or a partial range).
      unsigned n = args.size();
      Value low = toF32(b, l, args[0]);
      Value high = n == 4 ? args[1] : low;
      Value below = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, low,
                                          args[n - 2]);
      Value above = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, high,
                                          args[n - 1]);
      return SmallVector<Value>{
          arith::SelectOp::create(b, l, below, low, args[n - 2]),
          arith::SelectOp::create(b, l, above, high, args[n - 1])};
    };
    SmallVector<Value, 2> unobserved{
        f32Constant(rewriter, loc, qm::kUnobservedMin),
        f32Constant(rewriter, loc, qm::kUnobservedMax)};
    SmallVector<Value> batch;
    int64_t elements = inputType.getNumElements();
    if (!axis && elements >= kRangeLanes * 16 && elements % kRangeLanes == 0) {
      // A per-tensor range of a large tensor: one compare-and-select chain
      // per bound is latency-bound (NaN-ignoring selects are no min/max
      // reduction LLVM vectorizes), so reduce the tensor viewed as
      // [N / lanes, lanes] into `lanes` independent partial ranges first.
      auto lanesType = RankedTensorType::get(
          {elements / kRangeLanes, kRangeLanes}, inputType.getElementType());
      Value lanes = reshapeTensor(rewriter, loc, op.getInput(), lanesType);
      SmallVector<Value> partial =
          buildReduction(rewriter, loc, lanes,
                         AffineMap::getMultiDimIdentityMap(2, getContext()),
                         lanesType.getShape(), {0}, unobserved, rangeBody);
      AffineMap identity = AffineMap::getMultiDimIdentityMap(1, getContext());
      batch = buildReduction(rewriter, loc, partial, {identity, identity},
                             {kRangeLanes}, {0}, unobserved, rangeBody);
    } else {
      SmallVector<int64_t> reduced;
      for (int64_t dim = 0; dim < rank; ++dim)
        if (dim != kept)
          reduced.push_back(dim);
      batch =
          buildReduction(rewriter, loc, op.getInput(),
                         AffineMap::getMultiDimIdentityMap(rank, getContext()),
                         inputType.getShape(), reduced, unobserved, rangeBody);
    }

    // QuantMath's observe, per bound; the previous range unless `update`.
    double constant = op.getAveragingConstant().convertToDouble();
    auto merge = [&](bool isMin) {
      return buildElementwise(
          rewriter, loc,
          ValueRange{batch[0], batch[1], op.getMin(), op.getMax(),
                     op.getUpdate()},
          rangeType, [&](OpBuilder &b, Location l, ValueRange args) {
            Value batchBound = isMin ? args[0] : args[1];
            Value previous = isMin ? args[2] : args[3];
            Value merged;
            if (constant == 0.0) {
              merged = isMin ? Value(arith::MinNumFOp::create(b, l, previous,
                                                              batchBound))
                             : Value(arith::MaxNumFOp::create(b, l, previous,
                                                              batchBound));
            } else {
              Value c = f32Constant(b, l, static_cast<float>(constant));
              Value step = arith::MulFOp::create(
                  b, l, c, arith::SubFOp::create(b, l, batchBound, previous));
              Value average = arith::AddFOp::create(b, l, previous, step);
              Value first = arith::AndIOp::create(
                  b, l,
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                        args[2],
                                        f32Constant(b, l, qm::kUnobservedMin)),
                  arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                        args[3],
                                        f32Constant(b, l, qm::kUnobservedMax)));
              merged =
                  arith::SelectOp::create(b, l, first, batchBound, average);
            }
            return SmallVector<Value>{
                arith::SelectOp::create(b, l, args[4], merged, previous)};
          });
    };
    Value newMin = merge(/*isMin=*/true);
    Value newMax = merge(/*isMin=*/false);
    rewriter.replaceOp(op, {newMin, newMax});
    return success();
  }
};

/// std::min(a, b) and std::max(a, b) of <algorithm> on floats: `b < a ? b
/// : a` and `a < b ? b : a`.
Value buildStdMin(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  Value less =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, rhs, lhs);
  return arith::SelectOp::create(b, loc, less, rhs, lhs);
}

Value buildStdMax(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  Value less =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, lhs, rhs);
  return arith::SelectOp::create(b, loc, less, rhs, lhs);
}

struct QuantParamsLowering : public OpRewritePattern<QuantParamsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantParamsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t quantMin = op.getQuantMin(), quantMax = op.getQuantMax();
    bool symmetric = op.getSymmetric();
    // The scale and the zero point from the same arithmetic; CSE and the
    // fusion of elementwise generics merge what the two bodies share.
    auto build = [&](bool wantScale) {
      RankedTensorType type =
          wantScale ? tensorType(op.getScale()) : tensorType(op.getZeroPoint());
      return buildElementwise(
          rewriter, loc, ValueRange{op.getMin(), op.getMax()}, type,
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value zero = f32Constant(b, l, 0.0f);
            Value unobserved = arith::AndIOp::create(
                b, l,
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, args[0],
                                      f32Constant(b, l, qm::kUnobservedMin)),
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, args[1],
                                      f32Constant(b, l, qm::kUnobservedMax)));
            Value minNeg = buildStdMin(b, l, args[0], zero);
            Value maxPos = buildStdMax(b, l, args[1], zero);
            Value scale, zeroPoint;
            if (symmetric) {
              Value absMax = buildStdMax(
                  b, l, arith::NegFOp::create(b, l, minNeg), maxPos);
              scale = arith::DivFOp::create(
                  b, l, absMax,
                  f32Constant(b, l,
                              static_cast<float>(quantMax - quantMin) / 2.0f));
              scale = buildStdMax(b, l, scale,
                                  f32Constant(b, l, qm::kScaleEpsilon));
              zeroPoint = arith::ConstantOp::create(
                  b, l,
                  b.getI32IntegerAttr(
                      quantMin < 0 ? 0
                                   : static_cast<int32_t>(
                                         (quantMin + quantMax + 1) / 2)));
            } else {
              Type i64 = b.getI64Type();
              scale = arith::DivFOp::create(
                  b, l, arith::SubFOp::create(b, l, maxPos, minNeg),
                  f32Constant(b, l, static_cast<float>(quantMax - quantMin)));
              scale = buildStdMax(b, l, scale,
                                  f32Constant(b, l, qm::kScaleEpsilon));
              Value shift = math::RoundEvenOp::create(
                  b, l, arith::DivFOp::create(b, l, minNeg, scale));
              Value point = arith::SubIOp::create(
                  b, l,
                  arith::ConstantOp::create(b, l,
                                            b.getI64IntegerAttr(quantMin)),
                  arith::FPToSIOp::create(b, l, i64, shift));
              point = arith::MaxSIOp::create(
                  b, l, point,
                  arith::ConstantOp::create(b, l,
                                            b.getI64IntegerAttr(quantMin)));
              point = arith::MinSIOp::create(
                  b, l, point,
                  arith::ConstantOp::create(b, l,
                                            b.getI64IntegerAttr(quantMax)));
              zeroPoint = arith::TruncIOp::create(b, l, b.getI32Type(), point);
            }
            Value result =
                wantScale
                    ? Value(arith::SelectOp::create(
                          b, l, unobserved, f32Constant(b, l, 1.0f), scale))
                    : Value(arith::SelectOp::create(
                          b, l, unobserved,
                          arith::ConstantOp::create(b, l,
                                                    b.getI32IntegerAttr(0)),
                          zeroPoint));
            return SmallVector<Value>{result};
          });
    };
    Value scale = build(/*wantScale=*/true);
    Value zeroPoint = build(/*wantScale=*/false);
    rewriter.replaceOp(op, {scale, zeroPoint});
    return success();
  }
};

/// `func.func private @mlopt_qgemm_s8(i64 x 12)`, declared once.
func::FuncOp getOrDeclareQgemm(PatternRewriter &rewriter, ModuleOp module) {
  StringRef name = "mlopt_qgemm_s8";
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  SmallVector<Type> inputs(12, rewriter.getI64Type());
  auto func = func::FuncOp::create(rewriter, module.getLoc(), name,
                                   rewriter.getFunctionType(inputs, {}));
  func.setPrivate();
  return func;
}

/// The i32 product (lhs - lhsZeroPoint)(rhs' - rhsZeroPoint) of `resultType`
/// through mlopt_qgemm_s8; rhs' is `rhs` or, with `transposed`, its
/// transpose. A null `rhsZeroPoint` is 0.
FailureOr<Value> buildQgemm(PatternRewriter &rewriter, Operation *op,
                            RankedTensorType resultType, Value lhs,
                            Value lhsZeroPoint, Value rhs, Value rhsZeroPoint,
                            bool transposed) {
  Location loc = op->getLoc();
  auto module = op->getParentOfType<ModuleOp>();
  if (!module)
    return op->emitOpError("needs an enclosing module to declare its kernel");
  func::FuncOp kernel = getOrDeclareQgemm(rewriter, module);
  Type i64 = rewriter.getI64Type();
  // One constant per value: the sizes repeat as leading dimensions.
  SmallVector<std::pair<int64_t, Value>> constants;
  auto constant = [&](int64_t value) -> Value {
    for (auto &[known, existing] : constants)
      if (known == value)
        return existing;
    Value created = arith::ConstantOp::create(
        rewriter, loc, rewriter.getI64IntegerAttr(value));
    constants.push_back({value, created});
    return created;
  };
  auto pointer = [&](Value memref) -> Value {
    Value index =
        memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, memref);
    return arith::IndexCastOp::create(rewriter, loc, i64, index);
  };
  auto readOnly = [&](Value tensor) -> Value {
    RankedTensorType type = tensorType(tensor);
    return bufferization::ToBufferOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        tensor, /*read_only=*/true);
  };
  auto zeroPoint = [&](Value value) -> Value {
    if (!value)
      return constant(0);
    Value scalar =
        tensor::ExtractOp::create(rewriter, loc, value, ValueRange{});
    return arith::ExtSIOp::create(rewriter, loc, i64, scalar);
  };
  ArrayRef<int64_t> lhsShape = tensorType(lhs).getShape();
  ArrayRef<int64_t> rhsShape = tensorType(rhs).getShape();
  int64_t m = resultType.getDimSize(0), n = resultType.getDimSize(1);
  int64_t k = lhsShape[1];
  auto buffer =
      MemRefType::get(resultType.getShape(), resultType.getElementType());
  Value lhsBuffer = readOnly(lhs), rhsBuffer = readOnly(rhs);
  Value result = memref::AllocOp::create(rewriter, loc, buffer,
                                         rewriter.getI64IntegerAttr(64));
  func::CallOp::create(
      rewriter, loc, kernel,
      ValueRange{constant(m), constant(n), constant(k), pointer(lhsBuffer),
                 constant(lhsShape[1]), zeroPoint(lhsZeroPoint),
                 pointer(rhsBuffer), constant(rhsShape[1]),
                 zeroPoint(rhsZeroPoint), constant(transposed ? 1 : 0),
                 pointer(result), constant(n)});
  return Value(bufferization::ToTensorOp::create(rewriter, loc, resultType,
                                                 result, /*restrict=*/true,
                                                 /*writable=*/true));
}

struct QuantizedLinearLowering : public OpRewritePattern<QuantizedLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizedLinearOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Value> result =
        buildQgemm(rewriter, op, op.getType(), op.getInput(),
                   op.getInputZeroPoint(), op.getWeight(), Value(),
                   /*transposed=*/true);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

struct QuantizedMatmulLowering : public OpRewritePattern<QuantizedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizedMatmulOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<Value> result = buildQgemm(
        rewriter, op, op.getType(), op.getLhs(), op.getLhsZeroPoint(),
        op.getRhs(), op.getRhsZeroPoint(), /*transposed=*/false);
    if (failed(result))
      return failure();
    rewriter.replaceOp(op, *result);
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptQuantToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ObserveLowering, QuantParamsLowering, FakeQuantLowering,
               FakeQuantGradLowering, QuantizeLowering, DequantizeLowering,
               QuantizedLinearLowering, QuantizedMatmulLowering>(
      patterns.getContext());
}
