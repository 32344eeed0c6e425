//===- Collective.cpp - collectives as calls into the communicator --------===//
//
// Every collective and point-to-point op becomes calls of the runtime's
// mlopt_comm_* functions (include/mlopt/Runtime/CommKernels.h), which run
// on the active communicator (MPI under mpirun, else a world of one). The
// operands reach them through read-only `bufferization.to_buffer`s of
// identity layout, each result is a new 64-byte-aligned allocation the
// function writes, coming back through a `restrict writable`
// `bufferization.to_tensor` (as mlopt_qgemm_s8's, Quant.cpp). A variadic op
// is one bucket: one mlopt_comm_bucket_add(in, out, outer, inner, dtype)
// per operand, then one mlopt_comm_all_reduce / all_gather /
// reduce_scatter call, which exchanges the whole bucket at once.
// local_shard asks mlopt_comm_rank for the rank and takes its chunk with a
// tensor.extract_slice (no communication).
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Runtime/DType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

using runtime::DType;

namespace {

/// The runtime's dtype code (CommKernels.h) of an element type, or
/// std::nullopt for types the runtime does not move.
std::optional<int64_t> dtypeCode(Type type) {
  auto code = [](DType dtype) { return static_cast<int64_t>(dtype); };
  if (type.isF64())
    return code(DType::F64);
  if (type.isF32())
    return code(DType::F32);
  if (type.isF16())
    return code(DType::F16);
  if (type.isBF16())
    return code(DType::BF16);
  if (type.isInteger(1))
    return code(DType::Bool);
  if (type.isSignlessInteger(64))
    return code(DType::I64);
  if (type.isSignlessInteger(32))
    return code(DType::I32);
  if (type.isSignlessInteger(16))
    return code(DType::I16);
  if (type.isSignlessInteger(8))
    return code(DType::I8);
  if (type.isUnsignedInteger(8))
    return code(DType::U8);
  return std::nullopt;
}

/// Builds the calls of one op: declares runtime functions on demand and
/// moves tensors to and from buffers.
class CommCallBuilder {
public:
  CommCallBuilder(PatternRewriter &rewriter, Operation *op)
      : rewriter(rewriter), op(op), loc(op->getLoc()),
        module(op->getParentOfType<ModuleOp>()) {}

  /// Fails (with a diagnostic) when the op is outside a module or moves a
  /// tensor whose element type the runtime does not know.
  LogicalResult check(TypeRange types) {
    if (!module)
      return op->emitOpError(
          "needs an enclosing module to declare its runtime functions");
    for (Type type : types) {
      Type element = cast<RankedTensorType>(type).getElementType();
      if (!dtypeCode(element))
        return op->emitOpError("cannot communicate elements of type ")
               << element;
    }
    return success();
  }

  Value constant(int64_t value) {
    return arith::ConstantOp::create(rewriter, loc,
                                     rewriter.getI64IntegerAttr(value));
  }
  Value dtype(Value tensor) {
    return constant(*dtypeCode(tensorType(tensor).getElementType()));
  }
  Value dtype(RankedTensorType type) {
    return constant(*dtypeCode(type.getElementType()));
  }

  /// The aligned pointer of `memref` as an i64.
  Value pointer(Value memref) {
    Value index =
        memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, memref);
    return arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                      index);
  }
  /// `tensor`'s contents as a read-only identity-layout buffer.
  Value readOnly(Value tensor) {
    RankedTensorType type = tensorType(tensor);
    return bufferization::ToBufferOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        tensor, /*read_only=*/true);
  }
  /// A new buffer for a result of `type`.
  Value allocate(RankedTensorType type) {
    return memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        rewriter.getI64IntegerAttr(64));
  }
  /// The written buffer as the result tensor.
  Value toTensor(RankedTensorType type, Value buffer) {
    return bufferization::ToTensorOp::create(rewriter, loc, type, buffer,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  }

  /// Calls `name` (declared as taking i64s and returning `results`).
  func::CallOp call(StringRef name, ValueRange arguments,
                    TypeRange results = {}) {
    func::FuncOp callee = module.lookupSymbol<func::FuncOp>(name);
    if (!callee) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(module.getBody());
      SmallVector<Type> inputs(arguments.size(), rewriter.getI64Type());
      callee = func::FuncOp::create(rewriter, module.getLoc(), name,
                                    rewriter.getFunctionType(inputs, results));
      callee.setPrivate();
    }
    return func::CallOp::create(rewriter, loc, callee, arguments);
  }

  /// One bucket: bucket_add per operand with its [outer, inner] view, then
  /// `collective(arguments)`; returns the results.
  SmallVector<Value> bucket(ValueRange inputs, TypeRange resultTypes,
                            ArrayRef<std::pair<int64_t, int64_t>> views,
                            StringRef collective, ValueRange arguments) {
    SmallVector<Value> buffers;
    for (auto [input, type, view] : llvm::zip(inputs, resultTypes, views)) {
      Value in = readOnly(input);
      Value out = allocate(cast<RankedTensorType>(type));
      call("mlopt_comm_bucket_add",
           {pointer(in), pointer(out), constant(view.first),
            constant(view.second), dtype(input)});
      buffers.push_back(out);
    }
    call(collective, arguments);
    SmallVector<Value> results;
    for (auto [type, buffer] : llvm::zip(resultTypes, buffers))
      results.push_back(toTensor(cast<RankedTensorType>(type), buffer));
    return results;
  }

private:
  PatternRewriter &rewriter;
  Operation *op;
  Location loc;
  ModuleOp module;
};

/// The product of `shape[begin, end)`.
int64_t product(ArrayRef<int64_t> shape, size_t begin, size_t end) {
  int64_t result = 1;
  for (size_t i = begin; i < end; ++i)
    result *= shape[i];
  return result;
}

struct AllReduceLowering : public OpRewritePattern<AllReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllReduceOp op,
                                PatternRewriter &rewriter) const override {
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check(op.getInputs().getTypes())))
      return failure();
    SmallVector<std::pair<int64_t, int64_t>> views;
    for (Value input : op.getInputs())
      views.push_back({1, tensorType(input).getNumElements()});
    rewriter.replaceOp(
        op,
        builder.bucket(
            op.getInputs(), op.getResultTypes(), views, "mlopt_comm_all_reduce",
            {builder.constant(static_cast<int64_t>(op.getReduction())),
             builder.constant(op.getRanks())}));
    return success();
  }
};

struct AllGatherLowering : public OpRewritePattern<AllGatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllGatherOp op,
                                PatternRewriter &rewriter) const override {
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check(op.getInputs().getTypes())))
      return failure();
    size_t dim = op.getDim();
    SmallVector<std::pair<int64_t, int64_t>> views;
    for (Value input : op.getInputs()) {
      ArrayRef<int64_t> shape = tensorType(input).getShape();
      views.push_back(
          {product(shape, 0, dim), product(shape, dim, shape.size())});
    }
    rewriter.replaceOp(op, builder.bucket(op.getInputs(), op.getResultTypes(),
                                          views, "mlopt_comm_all_gather",
                                          {builder.constant(op.getRanks())}));
    return success();
  }
};

struct ReduceScatterLowering : public OpRewritePattern<ReduceScatterOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceScatterOp op,
                                PatternRewriter &rewriter) const override {
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check(op.getInputs().getTypes())))
      return failure();
    size_t dim = op.getDim();
    SmallVector<std::pair<int64_t, int64_t>> views;
    // The result's [outer, inner]: the operand's `dim` divided by `ranks`.
    for (Value result : op.getResults()) {
      ArrayRef<int64_t> shape = tensorType(result).getShape();
      views.push_back(
          {product(shape, 0, dim), product(shape, dim, shape.size())});
    }
    rewriter.replaceOp(
        op, builder.bucket(
                op.getInputs(), op.getResultTypes(), views,
                "mlopt_comm_reduce_scatter",
                {builder.constant(static_cast<int64_t>(op.getReduction())),
                 builder.constant(op.getRanks())}));
    return success();
  }
};

struct BroadcastLowering : public OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check(op.getInput().getType())))
      return failure();
    RankedTensorType type = op.getType();
    Value in = builder.readOnly(op.getInput());
    Value out = builder.allocate(type);
    builder.call("mlopt_comm_broadcast",
                 {builder.pointer(in), builder.pointer(out),
                  builder.constant(type.getNumElements()), builder.dtype(type),
                  builder.constant(op.getRoot()),
                  builder.constant(op.getRanks())});
    rewriter.replaceOp(op, builder.toTensor(type, out));
    return success();
  }
};

struct ReduceLowering : public OpRewritePattern<ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOp op,
                                PatternRewriter &rewriter) const override {
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check(op.getInput().getType())))
      return failure();
    RankedTensorType type = op.getType();
    Value in = builder.readOnly(op.getInput());
    Value out = builder.allocate(type);
    builder.call("mlopt_comm_reduce",
                 {builder.pointer(in), builder.pointer(out),
                  builder.constant(type.getNumElements()), builder.dtype(type),
                  builder.constant(static_cast<int64_t>(op.getReduction())),
                  builder.constant(op.getRoot()),
                  builder.constant(op.getRanks())});
    rewriter.replaceOp(op, builder.toTensor(type, out));
    return success();
  }
};

struct SendLowering : public OpRewritePattern<SendOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SendOp op,
                                PatternRewriter &rewriter) const override {
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check(op.getInput().getType())))
      return failure();
    RankedTensorType type = tensorType(op.getInput());
    Value in = builder.readOnly(op.getInput());
    builder.call("mlopt_comm_send",
                 {builder.pointer(in), builder.constant(type.getNumElements()),
                  builder.dtype(type), builder.constant(op.getDest()),
                  builder.constant(op.getRanks())});
    rewriter.eraseOp(op);
    return success();
  }
};

struct RecvLowering : public OpRewritePattern<RecvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RecvOp op,
                                PatternRewriter &rewriter) const override {
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check(op.getType())))
      return failure();
    RankedTensorType type = op.getType();
    Value out = builder.allocate(type);
    builder.call("mlopt_comm_recv",
                 {builder.pointer(out), builder.constant(type.getNumElements()),
                  builder.dtype(type), builder.constant(op.getSource()),
                  builder.constant(op.getRanks())});
    rewriter.replaceOp(op, builder.toTensor(type, out));
    return success();
  }
};

struct LocalShardLowering : public OpRewritePattern<LocalShardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LocalShardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    CommCallBuilder builder(rewriter, op);
    if (failed(builder.check({})))
      return failure();
    RankedTensorType type = op.getType();
    int64_t dim = op.getDim();
    Value rank = builder
                     .call("mlopt_comm_rank", {builder.constant(op.getRanks())},
                           {rewriter.getI64Type()})
                     .getResult(0);
    Value chunk = arith::ConstantOp::create(
        rewriter, loc, rewriter.getI64IntegerAttr(type.getDimSize(dim)));
    Value offset = arith::IndexCastOp::create(
        rewriter, loc, rewriter.getIndexType(),
        arith::MulIOp::create(rewriter, loc, rank, chunk));
    SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
    offsets[dim] = offset;
    SmallVector<OpFoldResult> sizes,
        strides(type.getRank(), rewriter.getIndexAttr(1));
    for (int64_t size : type.getShape())
      sizes.push_back(rewriter.getIndexAttr(size));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, op.getInput(), offsets, sizes, strides);
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptCollectiveToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AllReduceLowering, AllGatherLowering, ReduceScatterLowering,
               BroadcastLowering, ReduceLowering, SendLowering, RecvLowering,
               LocalShardLowering>(patterns.getContext());
}
