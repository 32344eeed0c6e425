//===- LinalgToBlas.cpp - matmuls on buffers to mlopt_sgemm calls ---------===//
//
// OpenBLAS' sgemm runs near the CPU's peak; this pass hands it every f32
// linalg.matmul / linalg.batch_matmul whose operands are row-major with unit
// inner stride, reading transposes off the indexing maps. The runtime
// function (lib/Runtime/CpuKernels.cpp) takes all arguments as i64:
//   mlopt_sgemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc,
//               batch, strideA, strideB, strideC)
// and computes C += op(A) op(B), linalg's semantics. Products of bf16 (f16)
// operands into an f32 C call mlopt_gemm_bf16 (mlopt_gemm_f16) the same way
// (lib/Runtime/CpuKernelsLowPrecision.cpp, dispatched on the CPU's features).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/AffineMap.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTLINALGTOBLAS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

/// The runtime function for operands of `elementType` into an f32 C, or
/// an empty name.
static StringRef getGemmName(Type elementType) {
  if (elementType.isF32())
    return "mlopt_sgemm";
  if (elementType.isBF16())
    return "mlopt_gemm_bf16";
  if (elementType.isF16())
    return "mlopt_gemm_f16";
  return "";
}

namespace {

/// How one operand is read: whether it is transposed relative to the BLAS
/// view, and its memref.
struct GemmOperand {
  Value memref;
  bool transposed;
};

/// Matches `map` against the expected (non-transposed) and transposed
/// results over loops `dims` (e.g. {m, k}); nullopt when it is neither.
std::optional<bool> isTransposed(AffineMap map, ArrayRef<unsigned> batch,
                                 unsigned first, unsigned second) {
  SmallVector<unsigned> expected(batch), swapped(batch);
  expected.append({first, second});
  swapped.append({second, first});
  auto matches = [&](ArrayRef<unsigned> dims) {
    if (map.getNumResults() != dims.size())
      return false;
    for (auto [expr, dim] : llvm::zip(map.getResults(), dims)) {
      auto dimExpr = dyn_cast<AffineDimExpr>(expr);
      if (!dimExpr || dimExpr.getPosition() != dim)
        return false;
    }
    return true;
  };
  if (matches(expected))
    return false;
  if (matches(swapped))
    return true;
  return std::nullopt;
}

/// Element type `elementType` with unit inner stride and a static layout.
bool isBlasCompatible(Value value, Type elementType) {
  auto type = dyn_cast<MemRefType>(value.getType());
  if (!type || type.getElementType() != elementType)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return !strides.empty() && strides.back() == 1;
}

struct LinalgToBlasPass
    : public mlir::mlopt::impl::MLOptLinalgToBlasBase<LinalgToBlasPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> candidates;
    module.walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) &&
          op.hasPureBufferSemantics())
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates)
      rewrite(op);
  }

  void rewrite(linalg::LinalgOp op) {
    bool batched = isa<linalg::BatchMatmulOp>(op);
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    // Loops: [b,] m, n, k.
    unsigned base = batched ? 1 : 0;
    SmallVector<unsigned> batch;
    if (batched)
      batch.push_back(0);
    unsigned m = base, n = base + 1, k = base + 2;
    std::optional<bool> transA = isTransposed(maps[0], batch, m, k);
    std::optional<bool> transB = isTransposed(maps[1], batch, k, n);
    std::optional<bool> transC = isTransposed(maps[2], batch, m, n);
    if (!transA || !transB || !transC || *transC)
      return;
    Value a = op.getDpsInputOperand(0)->get();
    Value b = op.getDpsInputOperand(1)->get();
    Value c = op.getDpsInitOperand(0)->get();
    Type operandType = getElementTypeOrSelf(a.getType());
    StringRef callee = getGemmName(operandType);
    Type f32 = Float32Type::get(op->getContext());
    if (callee.empty() || !isBlasCompatible(a, operandType) ||
        !isBlasCompatible(b, operandType) || !isBlasCompatible(c, f32))
      return;

    OpBuilder builder(op);
    Location loc = op.getLoc();
    Type i64 = builder.getI64Type();
    auto toI64 = [&](Value index) -> Value {
      return arith::IndexCastOp::create(builder, loc, i64, index);
    };
    auto constant = [&](int64_t value) -> Value {
      return arith::ConstantOp::create(builder, loc,
                                       builder.getI64IntegerAttr(value));
    };
    // Pointer to the first element, leading dimension and batch stride.
    auto describe = [&](Value memref) {
      auto metadata =
          memref::ExtractStridedMetadataOp::create(builder, loc, memref);
      Value pointer = toI64(
          memref::ExtractAlignedPointerAsIndexOp::create(builder, loc, memref));
      int64_t elementBytes =
          getElementTypeOrSelf(memref.getType()).getIntOrFloatBitWidth() / 8;
      Value offsetBytes = arith::MulIOp::create(
          builder, loc, toI64(metadata.getOffset()), constant(elementBytes));
      pointer = arith::AddIOp::create(builder, loc, pointer, offsetBytes);
      auto strides = metadata.getStrides();
      unsigned rank = strides.size();
      Value lead = toI64(strides[rank - 2]);
      Value batchStride = batched ? toI64(strides[0]) : constant(0);
      return std::make_tuple(pointer, lead, batchStride);
    };
    auto dim = [&](Value memref, unsigned d) {
      return toI64(memref::DimOp::create(builder, loc, memref, d));
    };
    unsigned r = base;
    Value rows = dim(c, r), cols = dim(c, r + 1);
    Value depth = *transA ? dim(a, r) : dim(a, r + 1);
    Value count = batched ? dim(c, 0) : constant(1);
    auto [pa, lda, sa] = describe(a);
    auto [pb, ldb, sb] = describe(b);
    auto [pc, ldc, sc] = describe(c);

    func::FuncOp function =
        getOrCreateGemm(op->getParentOfType<ModuleOp>(), callee);
    func::CallOp::create(builder, loc, function,
                         ValueRange{constant(*transA), constant(*transB), rows,
                                    cols, depth, pa, lda, pb, ldb, pc, ldc,
                                    count, sa, sb, sc});
    op->erase();
  }

  func::FuncOp getOrCreateGemm(ModuleOp module, StringRef name) {
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
    Type i64 = builder.getI64Type();
    auto type = builder.getFunctionType(SmallVector<Type>(15, i64), {});
    auto func = func::FuncOp::create(builder, module.getLoc(), name, type);
    func.setPrivate();
    return func;
  }
};

} // namespace
