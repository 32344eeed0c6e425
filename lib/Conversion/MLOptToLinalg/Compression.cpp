//===- Compression.cpp - pruning masks and the sparsity schedule ----------===//
//
// apply_mask is one elementwise multiply; sparsity_schedule is scalar arith
// on its step, in f64 in the reference evaluator's order of operations; the
// selection of prune_mask is no loop nest linalg can express, so it calls
// the runtime kernel (lib/Runtime/CpuKernels.cpp), which shares its rule
// with the evaluator (mlopt/Support/PruneSelection.h):
//   mlopt_prune_mask_f32 / _f64(scores, mask, groups, length, sparsity)
// with the two buffers passed as i64 pointers, inside `scf.if %update`, the
// else branch yielding `previous`. The scores reach the call through a
// read-only `bufferization.to_buffer` of identity layout (one-shot
// bufferization copies them if their buffer is laid out otherwise) and the
// mask comes back through a `restrict writable` `bufferization.to_tensor` of
// a new allocation.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

namespace {

struct ApplyMaskLowering : public OpRewritePattern<ApplyMaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ApplyMaskOp op,
                                PatternRewriter &rewriter) const override {
    Value result =
        buildElementwise(rewriter, op.getLoc(), op->getOperands(), op.getType(),
                         [](OpBuilder &b, Location loc, ValueRange args) {
                           return SmallVector<Value>{
                               arith::MulFOp::create(b, loc, args[0], args[1])};
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SparsityScheduleLowering : public OpRewritePattern<SparsityScheduleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SparsityScheduleOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type f64 = rewriter.getF64Type(), i64 = rewriter.getI64Type();
    int64_t start = op.getStart(), end = op.getEnd();
    double initial = op.getInitial().convertToDouble();
    double final = op.getFinal().convertToDouble();
    auto intConstant = [&](int64_t value) {
      return createScalar(rewriter, loc, i64, static_cast<double>(value));
    };
    auto floatConstant = [&](double value) {
      return createScalar(rewriter, loc, f64, value);
    };
    auto compare = [&](arith::CmpIPredicate predicate, Value lhs, Value rhs) {
      return arith::CmpIOp::create(rewriter, loc, predicate, lhs, rhs);
    };

    Value t =
        tensor::ExtractOp::create(rewriter, loc, op.getStep(), ValueRange{});
    Value startValue = intConstant(start);
    Value sinceStart = arith::SubIOp::create(rewriter, loc, t, startValue);
    Value afterStart = compare(arith::CmpIPredicate::sge, t, startValue);
    Value beforeEnd = compare(arith::CmpIPredicate::sle, t, intConstant(end));

    // final before end on the curve, final from end on, initial before start.
    Value sparsity = floatConstant(final);
    if (end > start) {
      Value progress = arith::DivFOp::create(
          rewriter, loc,
          arith::SIToFPOp::create(rewriter, loc, f64, sinceStart),
          floatConstant(static_cast<double>(end - start)));
      Value remaining =
          arith::SubFOp::create(rewriter, loc, floatConstant(1.0), progress);
      Value cube = arith::MulFOp::create(
          rewriter, loc,
          arith::MulFOp::create(rewriter, loc, remaining, remaining),
          remaining);
      Value curve = arith::AddFOp::create(
          rewriter, loc, floatConstant(final),
          arith::MulFOp::create(rewriter, loc, floatConstant(initial - final),
                                cube));
      Value beforeTheEnd =
          compare(arith::CmpIPredicate::slt, t, intConstant(end));
      sparsity =
          arith::SelectOp::create(rewriter, loc, beforeTheEnd, curve, sparsity);
    }
    sparsity = arith::SelectOp::create(rewriter, loc, afterStart, sparsity,
                                       floatConstant(initial));

    // start <= t <= end and (t - start) % frequency == 0.
    Value onStep =
        compare(arith::CmpIPredicate::eq,
                arith::RemSIOp::create(rewriter, loc, sinceStart,
                                       intConstant(op.getFrequency())),
                intConstant(0));
    Value update = arith::AndIOp::create(
        rewriter, loc,
        arith::AndIOp::create(rewriter, loc, afterStart, beforeEnd), onStep);

    rewriter.replaceOp(
        op,
        {tensor::FromElementsOp::create(
             rewriter, loc, op.getSparsity().getType(), ValueRange{sparsity}),
         tensor::FromElementsOp::create(rewriter, loc, op.getUpdate().getType(),
                                        ValueRange{update})});
    return success();
  }
};

/// `func.func private @name(i64, i64, i64, i64, f64)`, declared once.
func::FuncOp getOrDeclareKernel(PatternRewriter &rewriter, ModuleOp module,
                                StringRef name) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  Type i64 = rewriter.getI64Type();
  auto type =
      rewriter.getFunctionType({i64, i64, i64, i64, rewriter.getF64Type()}, {});
  auto func = func::FuncOp::create(rewriter, module.getLoc(), name, type);
  func.setPrivate();
  return func;
}

struct PruneMaskLowering : public OpRewritePattern<PruneMaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PruneMaskOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    auto elementType = cast<FloatType>(type.getElementType());
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return op.emitOpError("needs an enclosing module to declare its kernel");
    // f16 and bf16 scores are selected as f32: exact, and the order is the
    // same; the 0/1 mask is exact in every float type.
    FloatType kernelType = elementType.isF64()
                               ? cast<FloatType>(rewriter.getF64Type())
                               : cast<FloatType>(rewriter.getF32Type());
    func::FuncOp kernel = getOrDeclareKernel(
        rewriter, module,
        kernelType.isF64() ? "mlopt_prune_mask_f64" : "mlopt_prune_mask_f32");
    auto kernelTensor = RankedTensorType::get(type.getShape(), kernelType);
    auto buffer = MemRefType::get(type.getShape(), kernelType);
    int64_t length = type.getShape().back();
    int64_t groups = length == 0 ? 0 : type.getNumElements() / length;

    auto convert = [&](OpBuilder &b, Location l, Value value,
                       RankedTensorType to) -> Value {
      if (tensorType(value) == to)
        return value;
      return buildElementwise(
          b, l, value, to, [&](OpBuilder &nb, Location nl, ValueRange args) {
            return SmallVector<Value>{
                convertScalar(nb, nl, args[0], to.getElementType())};
          });
    };

    Value update =
        tensor::ExtractOp::create(rewriter, loc, op.getUpdate(), ValueRange{});
    auto selection = [&](OpBuilder &b, Location l) {
      Type i64 = b.getI64Type();
      auto pointer = [&](Value memref) -> Value {
        Value index =
            memref::ExtractAlignedPointerAsIndexOp::create(b, l, memref);
        return arith::IndexCastOp::create(b, l, i64, index);
      };
      auto constant = [&](int64_t value) -> Value {
        return arith::ConstantOp::create(b, l, b.getI64IntegerAttr(value));
      };
      Value scores = convert(b, l, op.getScores(), kernelTensor);
      Value scoresBuffer = bufferization::ToBufferOp::create(
          b, l, buffer, scores, /*read_only=*/true);
      Value maskBuffer =
          memref::AllocOp::create(b, l, buffer, b.getI64IntegerAttr(64));
      Value sparsity =
          tensor::ExtractOp::create(b, l, op.getSparsity(), ValueRange{});
      func::CallOp::create(b, l, kernel,
                           ValueRange{pointer(scoresBuffer),
                                      pointer(maskBuffer), constant(groups),
                                      constant(length), sparsity});
      Value mask = bufferization::ToTensorOp::create(
          b, l, kernelTensor, maskBuffer, /*restrict=*/true,
          /*writable=*/true);
      scf::YieldOp::create(b, l, convert(b, l, mask, type));
    };
    auto keep = [&](OpBuilder &b, Location l) {
      scf::YieldOp::create(b, l, op.getPrevious());
    };
    rewriter.replaceOp(
        op,
        scf::IfOp::create(rewriter, loc, update, selection, keep).getResults());
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptCompressionToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ApplyMaskLowering, SparsityScheduleLowering, PruneMaskLowering>(
      patterns.getContext());
}
