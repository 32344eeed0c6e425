//===- NN.cpp - layers, reductions, normalization, dropout, taps to linalg ===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

static Value negInfinity(OpBuilder &b, Location loc, Type type) {
  return createScalar(b, loc, type, -std::numeric_limits<double>::infinity());
}

namespace {

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

/// y = x W^T + b: x collapsed to [M, in], one matmul with W's transpose in
/// the indexing maps (no copy of W), accumulating onto the broadcast bias.
struct LinearLowering : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType inputType = tensorType(op.getInput());
    RankedTensorType weightType = tensorType(op.getWeight());
    RankedTensorType resultType = tensorType(op.getResult());
    Type elementType = resultType.getElementType();
    Type accElementType = getAccumulatorType(elementType);
    int64_t in = weightType.getDimSize(1), out = weightType.getDimSize(0);
    int64_t rows = inputType.getNumElements() / std::max<int64_t>(in, 1);
    if (in == 0)
      rows = resultType.getNumElements() / std::max<int64_t>(out, 1);
    auto lhsType = RankedTensorType::get({rows, in}, elementType);
    auto accType = RankedTensorType::get({rows, out}, accElementType);
    Value lhs = reshapeTensor(rewriter, loc, op.getInput(), lhsType);
    Value init;
    if (Value bias = op.getBias())
      init = buildElementwise(rewriter, loc, bias, accType,
                              [&](OpBuilder &b, Location l, ValueRange args) {
                                return SmallVector<Value>{convertScalar(
                                    b, l, args[0], accElementType)};
                              });
    else
      init = createFilled(rewriter, loc, accType,
                          createScalar(rewriter, loc, accElementType, 0.0));
    Value product = linalg::MatmulTransposeBOp::create(
                        rewriter, loc, TypeRange{accType},
                        ValueRange{lhs, op.getWeight()}, ValueRange{init})
                        .getResult(0);
    product = convertElements(rewriter, loc, product, elementType);
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, product, resultType));
    return success();
  }
};

/// The input of an mlopt.transpose that swaps the last two dimensions (and
/// keeps the others), or null: matmuls read such operands through a
/// transposed indexing map instead of copying them.
static Value getTransposedSource(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose)
    return nullptr;
  ArrayRef<int64_t> permutation = transpose.getPermutation();
  int64_t rank = permutation.size();
  if (rank < 2)
    return nullptr;
  for (int64_t i = 0; i < rank - 2; ++i)
    if (permutation[i] != i)
      return nullptr;
  if (permutation[rank - 2] != rank - 1 || permutation[rank - 1] != rank - 2)
    return nullptr;
  return transpose.getInput();
}

/// C = A B with the operands' transposes folded into the named op's maps
/// (one of them at most; BLAS takes either, and both is rare).
template <typename PlainOp, typename TransposeAOp, typename TransposeBOp>
static Value buildProduct(OpBuilder &b, Location loc, Value lhs, Value rhs,
                          Value init,
                          function_ref<Value(Value)> reshapeOperand) {
  Type type = init.getType();
  if (Value source = getTransposedSource(lhs))
    return TransposeAOp::create(
               b, loc, TypeRange{type},
               ValueRange{reshapeOperand(source), reshapeOperand(rhs)},
               ValueRange{init})
        .getResult(0);
  if (Value source = getTransposedSource(rhs))
    return TransposeBOp::create(
               b, loc, TypeRange{type},
               ValueRange{reshapeOperand(lhs), reshapeOperand(source)},
               ValueRange{init})
        .getResult(0);
  return PlainOp::create(b, loc, TypeRange{type},
                         ValueRange{reshapeOperand(lhs), reshapeOperand(rhs)},
                         ValueRange{init})
      .getResult(0);
}

struct MatmulLowering : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getResult());
    Type accElementType = getAccumulatorType(type.getElementType());
    Value init = createFilled(rewriter, loc, type.clone(accElementType),
                              createScalar(rewriter, loc, accElementType, 0.0));
    Value product = buildProduct<linalg::MatmulOp, linalg::MatmulTransposeAOp,
                                 linalg::MatmulTransposeBOp>(
        rewriter, loc, op.getLhs(), op.getRhs(), init,
        [](Value v) { return v; });
    rewriter.replaceOp(
        op, convertElements(rewriter, loc, product, type.getElementType()));
    return success();
  }
};

/// Leading batch dimensions collapse into the one of linalg.batch_matmul.
struct BatchMatmulLowering : public OpRewritePattern<BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getResult());
    Type elementType = type.getElementType();
    int64_t rank = type.getRank();
    int64_t batch = 1;
    for (int64_t size : type.getShape().drop_back(2))
      batch *= size;
    auto collapse = [&](Value value) -> Value {
      RankedTensorType t = tensorType(value);
      return reshapeTensor(rewriter, loc, value,
                           RankedTensorType::get({batch, t.getDimSize(rank - 2),
                                                  t.getDimSize(rank - 1)},
                                                 elementType));
    };
    Type accElementType = getAccumulatorType(elementType);
    auto accType = RankedTensorType::get(
        {batch, type.getDimSize(rank - 2), type.getDimSize(rank - 1)},
        accElementType);
    Value init = createFilled(rewriter, loc, accType,
                              createScalar(rewriter, loc, accElementType, 0.0));
    Value product =
        buildProduct<linalg::BatchMatmulOp, linalg::BatchMatmulTransposeAOp,
                     linalg::BatchMatmulTransposeBOp>(
            rewriter, loc, op.getLhs(), op.getRhs(), init, collapse);
    product = convertElements(rewriter, loc, product, elementType);
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, product, type));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

} // namespace

std::pair<Value, Value> lowering::buildSoftmaxStats(OpBuilder &b, Location loc,
                                                    Value x, int64_t dim) {
  RankedTensorType type = tensorType(x);
  MLIRContext *ctx = b.getContext();
  unsigned rank = type.getRank();
  Type elementType = type.getElementType();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap dropping = getDroppingMap(ctx, rank, {dim});
  Value max =
      buildReduction(b, loc, x, {identity}, type.getShape(), {dim},
                     negInfinity(b, loc, elementType),
                     [](OpBuilder &nb, Location nl, ValueRange args) {
                       return SmallVector<Value>{
                           arith::MaximumFOp::create(nb, nl, args[0], args[1])};
                     })[0];
  Value sum = buildSum(
      b, loc, ValueRange{x, max}, {identity, dropping}, type.getShape(), {dim},
      elementType, [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value shifted = arith::SubFOp::create(nb, nl, args[0], args[1]);
        return math::ExpOp::create(nb, nl, shifted);
      });
  return {max, sum};
}

namespace {

template <typename OpTy, bool isLog>
struct SoftmaxLowering : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = tensorType(x);
    int64_t dim = op.getNormalizedDim();
    auto [max, sum] = buildSoftmaxStats(rewriter, loc, x, dim);
    MLIRContext *ctx = rewriter.getContext();
    unsigned rank = type.getRank();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap dropping = getDroppingMap(ctx, rank, {dim});
    Value result = buildParallelGeneric(
        rewriter, loc, type, ValueRange{x, max, sum},
        {identity, dropping, dropping},
        [](OpBuilder &b, Location l, ValueRange args) {
          Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
          Value value =
              isLog ? arith::SubFOp::create(b, l, shifted,
                                            math::LogOp::create(b, l, args[2]))
                          .getResult()
                    : arith::DivFOp::create(
                          b, l, math::ExpOp::create(b, l, shifted), args[2])
                          .getResult();
          return SmallVector<Value>{value};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The element itself, as a term of buildSum.
static Value elementTerm(OpBuilder &, Location, ValueRange args) {
  return args[0];
}

enum class Reduce { Sum, Mean, Max };

template <typename OpTy, Reduce kind>
struct ReductionLowering : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getInput());
    Type elementType = type.getElementType();
    SmallVector<int64_t> dims = op.getNormalizedDims();
    AffineMap identity =
        AffineMap::getMultiDimIdentityMap(type.getRank(), op.getContext());
    Value reduced;
    if (kind == Reduce::Max)
      reduced = buildReduction(
          rewriter, loc, op.getInput(), {identity}, type.getShape(), dims,
          negInfinity(rewriter, loc, elementType),
          [](OpBuilder &b, Location l, ValueRange args) {
            return SmallVector<Value>{
                arith::MaximumFOp::create(b, l, args[0], args[1])};
          })[0];
    else
      reduced = buildSum(rewriter, loc, op.getInput(), {identity},
                         type.getShape(), dims, elementType, elementTerm);
    if (kind == Reduce::Mean) {
      int64_t count = 1;
      for (int64_t dim : dims)
        count *= type.getDimSize(dim);
      reduced =
          divideByConstant(rewriter, loc, reduced, static_cast<double>(count));
    }
    rewriter.replaceOp(
        op, reshapeTensor(rewriter, loc, reduced, tensorType(op.getResult())));
    return success();
  }
};

} // namespace

Value lowering::buildArgmax(OpBuilder &b, Location loc, Value x, int64_t dim) {
  RankedTensorType type = tensorType(x);
  Type elementType = type.getElementType();
  Value initValue = negInfinity(b, loc, elementType);
  Value initIndex = createScalar(b, loc, b.getI64Type(), 0);
  return buildReduction(
      b, loc, x,
      {AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext())},
      type.getShape(), {dim}, ValueRange{initValue, initIndex},
      [dim](OpBuilder &nb, Location l, ValueRange args) {
        Value value = args[0], best = args[1], bestIndex = args[2];
        Value index = arith::IndexCastOp::create(
            nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, dim));
        // Take x when best is not NaN and (x > best or x is NaN).
        Value bestIsNumber =
            arith::CmpFOp::create(nb, l, arith::CmpFPredicate::ORD, best, best);
        Value greaterOrNaN = arith::CmpFOp::create(
            nb, l, arith::CmpFPredicate::UGT, value, best);
        Value take = arith::AndIOp::create(nb, l, bestIsNumber, greaterOrNaN);
        return SmallVector<Value>{
            arith::SelectOp::create(nb, l, take, value, best),
            arith::SelectOp::create(nb, l, take, index, bestIndex)};
      })[1];
}

namespace {

struct ArgmaxLowering : public OpRewritePattern<ArgmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ArgmaxOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = tensorType(op.getInput());
    std::optional<int64_t> dim = normalizeDim(op.getDim(), type.getRank());
    if (!dim)
      return op.emitOpError("dimension ")
             << op.getDim() << " is out of range for rank " << type.getRank();
    Value indices = buildArgmax(rewriter, op.getLoc(), op.getInput(), *dim);
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(), indices,
                                         tensorType(op.getResult())));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Embedding, one_hot, layer_norm, dropout
//===----------------------------------------------------------------------===//

/// A gather: out-of-range indices are clamped into the table.
struct EmbeddingLowering : public OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getResult());
    Value weight = op.getWeight();
    int64_t rows = tensorType(weight).getDimSize(0);
    unsigned rank = type.getRank();
    MLIRContext *ctx = op.getContext();
    Value result = buildParallelGeneric(
        rewriter, loc, type, op.getIndices(),
        getDroppingMap(ctx, rank, {rank - 1}),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value row = clampToIndex(b, l, args[0], rows);
          Value column = linalg::IndexOp::create(b, l, rank - 1);
          return SmallVector<Value>{
              tensor::ExtractOp::create(b, l, weight, ValueRange{row, column})};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct OneHotLowering : public OpRewritePattern<OneHotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OneHotOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getResult());
    unsigned rank = type.getRank();
    MLIRContext *ctx = op.getContext();
    Type elementType = type.getElementType();
    Value result = buildParallelGeneric(
        rewriter, loc, type, op.getIndices(),
        getDroppingMap(ctx, rank, {rank - 1}),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value label = convertScalar(b, l, args[0], b.getI64Type());
          Value column = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, rank - 1));
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            label, column);
          return SmallVector<Value>{arith::SelectOp::create(
              b, l, hit, createScalar(b, l, elementType, 1.0),
              createScalar(b, l, elementType, 0.0))};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Scatter-add as a loop over positions; an index outside the table is
/// ignored (compiled code cannot raise).
struct EmbeddingGradLowering : public OpRewritePattern<EmbeddingGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getResult());
    Type elementType = type.getElementType();
    int64_t rows = type.getDimSize(0), width = type.getDimSize(1);
    RankedTensorType indicesType = tensorType(op.getIndices());
    int64_t positions = indicesType.getNumElements();
    Value indices = reshapeTensor(
        rewriter, loc, op.getIndices(),
        RankedTensorType::get({positions}, indicesType.getElementType()));
    Value grad =
        reshapeTensor(rewriter, loc, op.getGrad(),
                      RankedTensorType::get({positions, width}, elementType));
    Value table = createFilled(rewriter, loc, type,
                               createScalar(rewriter, loc, elementType, 0.0));
    auto rowType = RankedTensorType::get({width}, elementType);
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value end = arith::ConstantIndexOp::create(rewriter, loc, positions);
    auto loop = scf::ForOp::create(
        rewriter, loc, zero, end, one, ValueRange{table},
        [&](OpBuilder &b, Location l, Value position, ValueRange iterArgs) {
          Value acc = iterArgs[0];
          Value index = convertScalar(
              b, l, tensor::ExtractOp::create(b, l, indices, position),
              b.getI64Type());
          Value inRange = arith::AndIOp::create(
              b, l,
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, index,
                                    createScalar(b, l, b.getI64Type(), 0)),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, index,
                                    createScalar(b, l, b.getI64Type(),
                                                 static_cast<double>(rows))));
          auto ifOp = scf::IfOp::create(
              b, l, inRange,
              [&](OpBuilder &tb, Location tl) {
                Value row = arith::IndexCastOp::create(
                    tb, tl, tb.getIndexType(), index);
                SmallVector<OpFoldResult> sizes = {tb.getIndexAttr(1),
                                                   tb.getIndexAttr(width)};
                SmallVector<OpFoldResult> strides(2, tb.getIndexAttr(1));
                Value old = tensor::ExtractSliceOp::create(
                    tb, tl, rowType, acc,
                    SmallVector<OpFoldResult>{row, tb.getIndexAttr(0)}, sizes,
                    strides);
                Value g = tensor::ExtractSliceOp::create(
                    tb, tl, rowType, grad,
                    SmallVector<OpFoldResult>{position, tb.getIndexAttr(0)},
                    sizes, strides);
                Value sum = buildElementwise(
                    tb, tl, ValueRange{old, g}, rowType,
                    [](OpBuilder &eb, Location el, ValueRange args) {
                      return SmallVector<Value>{
                          arith::AddFOp::create(eb, el, args[0], args[1])};
                    });
                Value updated = tensor::InsertSliceOp::create(
                    tb, tl, sum, acc,
                    SmallVector<OpFoldResult>{row, tb.getIndexAttr(0)}, sizes,
                    strides);
                scf::YieldOp::create(tb, tl, updated);
              },
              [&](OpBuilder &eb, Location el) {
                scf::YieldOp::create(eb, el, acc);
              });
          scf::YieldOp::create(b, l, ifOp.getResult(0));
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

/// mean, biased variance, then one elementwise pass with weight and bias.
struct LayerNormLowering : public OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    RankedTensorType type = tensorType(x);
    Type elementType = type.getElementType();
    unsigned rank = type.getRank();
    int64_t normalizedRank = static_cast<int64_t>(op.getNormalizedRank());
    if (normalizedRank < 0 || normalizedRank > static_cast<int64_t>(rank))
      return op.emitOpError("normalized_rank ")
             << normalizedRank << " is out of range for rank " << rank;
    MLIRContext *ctx = op.getContext();
    SmallVector<int64_t> reduced, kept;
    int64_t count = 1;
    for (unsigned i = 0; i < rank; ++i) {
      if (static_cast<int64_t>(i) >=
          static_cast<int64_t>(rank) - normalizedRank) {
        reduced.push_back(i);
        count *= type.getDimSize(i);
      } else {
        kept.push_back(i);
      }
    }
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap dropping = getDroppingMap(ctx, rank, reduced);
    AffineMap normalized = getDroppingMap(ctx, rank, kept);
    Value n =
        createScalar(rewriter, loc, elementType, static_cast<double>(count));
    Value sum = buildSum(rewriter, loc, x, {identity}, type.getShape(), reduced,
                         elementType, elementTerm);
    Value squares =
        buildSum(rewriter, loc, ValueRange{x, sum}, {identity, dropping},
                 type.getShape(), reduced, elementType,
                 [&](OpBuilder &b, Location l, ValueRange args) -> Value {
                   Value mean = arith::DivFOp::create(b, l, args[1], n);
                   Value d = arith::SubFOp::create(b, l, args[0], mean);
                   return arith::MulFOp::create(b, l, d, d);
                 });
    SmallVector<Value> inputs = {x, sum, squares};
    SmallVector<AffineMap> maps = {identity, dropping, dropping};
    Value weight = op.getWeight(), bias = op.getBias();
    if (weight) {
      inputs.push_back(weight);
      maps.push_back(normalized);
    }
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(normalized);
    }
    Value eps =
        createScalar(rewriter, loc, elementType, op.getEps().convertToDouble());
    Value result = buildParallelGeneric(
        rewriter, loc, type, inputs, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value mean = arith::DivFOp::create(b, l, args[1], n);
          Value variance = arith::DivFOp::create(b, l, args[2], n);
          Value invStd = arith::DivFOp::create(
              b, l, createScalar(b, l, elementType, 1.0),
              math::SqrtOp::create(b, l,
                                   arith::AddFOp::create(b, l, variance, eps)));
          Value y = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, args[0], mean), invStd);
          unsigned next = 3;
          if (weight)
            y = arith::MulFOp::create(b, l, y, args[next++]);
          if (bias)
            y = arith::AddFOp::create(b, l, y, args[next++]);
          return SmallVector<Value>{y};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Element i is dropped when uniform(seed, stream, i) < p, computed in f64
/// exactly as the reference evaluator does.
struct DropoutLowering : public OpRewritePattern<DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = tensorType(op.getInput());
    Type elementType = type.getElementType();
    double p = op.getP().convertToDouble();
    Value state =
        tensor::ExtractOp::create(rewriter, loc, op.getSeed(), ValueRange{});
    // Hashed once, outside the loop: uniform(dropoutKey(state), stream, i).
    Value seed = buildDropoutKey(rewriter, loc, state);
    Value stream = arith::ConstantOp::create(
        rewriter, loc, rewriter.getI64IntegerAttr(op.getStream()));
    Value result = buildElementwise(
        rewriter, loc, op.getInput(), type,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Type f64 = b.getF64Type();
          Value index = buildLinearIndex(b, l, type.getShape());
          Value u = buildRandomUniform(b, l, seed, stream, index);
          Value drop = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, u,
                                             createScalar(b, l, f64, p));
          Value wide = convertScalar(b, l, args[0], f64);
          Value scaled = arith::MulFOp::create(
              b, l, wide, createScalar(b, l, f64, 1.0 / (1.0 - p)));
          Value kept = convertScalar(b, l, scaled, elementType);
          return SmallVector<Value>{arith::SelectOp::create(
              b, l, drop, createScalar(b, l, elementType, 0.0), kept)};
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A tap only names its input: its uses read the input.
struct TapLowering : public OpRewritePattern<TapOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TapOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.getInput());
    return success();
  }
};

/// A function still holding mode_select is in training form (@eval_step
/// already has the evaluation operand in its place): the training operand.
struct ModeSelectLowering : public OpRewritePattern<ModeSelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ModeSelectOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.getTraining());
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptNNToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<
      LinearLowering, MatmulLowering, BatchMatmulLowering,
      SoftmaxLowering<SoftmaxOp, false>, SoftmaxLowering<LogSoftmaxOp, true>,
      ReductionLowering<SumOp, Reduce::Sum>,
      ReductionLowering<MeanOp, Reduce::Mean>,
      ReductionLowering<MaxOp, Reduce::Max>, ArgmaxLowering, EmbeddingLowering,
      OneHotLowering, EmbeddingGradLowering, LayerNormLowering, DropoutLowering,
      TapLowering, ModeSelectLowering>(patterns.getContext());
}
