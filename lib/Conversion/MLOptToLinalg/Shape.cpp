//===- Shape.cpp - shape mlopt ops to tensor and linalg -------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

namespace {

struct ReshapeLowering : public OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(), op.getInput(),
                                         cast<RankedTensorType>(op.getType())));
    return success();
  }
};

/// A copy through broadcasting maps: fuses with its consumers.
struct BroadcastToLowering : public OpRewritePattern<BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastToOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildElementwise(rewriter, op.getLoc(), op.getInput(),
                                    cast<RankedTensorType>(op.getType()),
                                    [](OpBuilder &, Location, ValueRange args) {
                                      return SmallVector<Value>{args[0]};
                                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TransposeLowering : public OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init = createEmpty(rewriter, op.getLoc(), type);
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), op.getInput(), init, op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct SliceLowering : public OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    SmallVector<OpFoldResult> offsets, sizes, strides;
    for (auto [start, size, step] :
         llvm::zip(op.getStart(), type.getShape(), op.getStep())) {
      offsets.push_back(rewriter.getIndexAttr(start));
      sizes.push_back(rewriter.getIndexAttr(size));
      strides.push_back(rewriter.getIndexAttr(step));
    }
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, op.getInput(), offsets, sizes, strides);
    return success();
  }
};

/// insert_slice of each input into one empty tensor: bufferizes in place
/// without relying on tensor.concat's decomposition.
struct ConcatLowering : public OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    std::optional<int64_t> dim = normalizeDim(op.getDim(), type.getRank());
    if (!dim)
      return op.emitOpError("dimension ")
             << op.getDim() << " is out of range for rank " << type.getRank();
    Value result = createEmpty(rewriter, op.getLoc(), type);
    int64_t offset = 0;
    for (Value input : op.getInputs()) {
      auto inputType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets[*dim] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes,
          strides(type.getRank(), rewriter.getIndexAttr(1));
      for (int64_t size : inputType.getShape())
        sizes.push_back(rewriter.getIndexAttr(size));
      result = tensor::InsertSliceOp::create(rewriter, op.getLoc(), input,
                                             result, offsets, sizes, strides);
      offset += inputType.getDimSize(*dim);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptShapeToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, BroadcastToLowering, TransposeLowering,
               SliceLowering, ConcatLowering>(patterns.getContext());
}
