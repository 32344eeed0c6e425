//===- VectorizeMatmuls.cpp - tiled, vectorized f32 matmuls ---------------===//
//
// The generated-code alternative to mlopt-linalg-to-blas: a transform-dialect
// schedule (TOOLCHAIN.md, "CPU codegen") tiles each matmul on buffers for the
// caches ([128, 128, 256]) and registers ([8, 32, 1]), vectorizes, hoists the
// accumulator out of the k loop and lowers the contraction to outer-product
// FMAs. Only matmuls whose sizes the tiles divide are scheduled (no masking);
// the others stay for the loop lowering.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Parser/Parser.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTVECTORIZEMATMULS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

/// Marks the matmuls the schedule applies to.
static constexpr StringLiteral kScheduledAttrName = "mlopt_vectorize";

static constexpr StringLiteral kSchedule = R"mlir(
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(
      %root: !transform.any_op {transform.readonly}) {
    %mm = transform.structured.match ops{["linalg.matmul"]}
        attributes {mlopt_vectorize} in %root
        : (!transform.any_op) -> !transform.any_op
    %t1, %l1:3 = transform.structured.tile_using_for %mm
        tile_sizes [128, 128, 256] : (!transform.any_op)
        -> (!transform.any_op, !transform.any_op, !transform.any_op,
            !transform.any_op)
    %t2, %l2:3 = transform.structured.tile_using_for %t1
        tile_sizes [8, 32, 1] : (!transform.any_op)
        -> (!transform.any_op, !transform.any_op, !transform.any_op,
            !transform.any_op)
    // Only the register tiles: vectorizing every op of the function
    // (vectorize_children_and_apply_patterns) made the pattern driver spin
    // on small batch matmuls.
    transform.structured.vectorize %t2 : !transform.any_op
    %f = transform.get_parent_op %l1#0 {op_name = "func.func", deduplicate}
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.memref.fold_memref_alias_ops
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_cse to %f : !transform.any_op
    %h = transform.structured.hoist_redundant_vector_transfers %f
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %h {
      transform.apply_patterns.vector.lower_contraction
          lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.lower_outerproduct
    } : !transform.any_op
    transform.yield
  }
}
)mlir";

namespace {
struct VectorizeMatmulsPass
    : public mlir::mlopt::impl::MLOptVectorizeMatmulsBase<
          VectorizeMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool any = false;
    module.walk([&](linalg::MatmulOp op) {
      // Transposed operands (the backward pass's) are fine: the vectorizer
      // reads them through their maps.
      if (!op.hasPureBufferSemantics())
        return;
      SmallVector<int64_t> bounds = op.getStaticLoopRanges();
      if (bounds.size() != 3 || ShapedType::isDynamic(bounds[0]) ||
          ShapedType::isDynamic(bounds[1]) || ShapedType::isDynamic(bounds[2]))
        return;
      if (bounds[0] % 128 || bounds[1] % 128 || bounds[2] % 256)
        return;
      auto elementType = getElementTypeOrSelf(op.getDpsInits()[0].getType());
      if (!elementType.isF32())
        return;
      op->setAttr(kScheduledAttrName, UnitAttr::get(op.getContext()));
      any = true;
    });
    if (!any)
      return;
    OwningOpRef<ModuleOp> schedule =
        parseSourceString<ModuleOp>(kSchedule, &getContext());
    if (!schedule) {
      module.emitError("mlopt-vectorize-matmuls: cannot parse its schedule");
      return signalPassFailure();
    }
    Operation *entry = transform::detail::findTransformEntryPoint(
        module, *schedule,
        transform::TransformDialect::kTransformEntryPointSymbolName);
    if (!entry || failed(transform::applyTransformNamedSequence(
                      module, entry, *schedule, transform::TransformOptions())))
      return signalPassFailure();
    module.walk([](Operation *op) { op->removeAttr(kScheduledAttrName); });
  }
};
} // namespace
