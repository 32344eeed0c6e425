//===- MLOptToLinalg.h - mlopt to linalg patterns ---------------*- C++ -*-===//

#ifndef MLOPT_CONVERSION_MLOPTTOLINALG_MLOPTTOLINALG_H
#define MLOPT_CONVERSION_MLOPTTOLINALG_MLOPTTOLINALG_H

namespace mlir {
class RewritePatternSet;
class ConversionTarget;

namespace mlopt {

/// Patterns lowering every mlopt compute op to linalg / tensor / arith /
/// math / scf on tensors (prune_mask: a call of its runtime kernel on
/// buffers, bridged with bufferization.to_buffer / to_tensor). State ops are
/// left alone.
void populateMLOptToLinalgPatterns(RewritePatternSet &patterns);

/// The same, by op family (lib/Conversion/MLOptToLinalg/*.cpp).
void populateMLOptElementwiseToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptShapeToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptNNToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptLossToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptStateToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptCompressionToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptQuantToLinalgPatterns(RewritePatternSet &patterns);
/// Collectives and point-to-point ops as calls of the runtime's mlopt_comm_*
/// functions (lib/Conversion/MLOptToLinalg/Collective.cpp).
void populateMLOptCollectiveToLinalgPatterns(RewritePatternSet &patterns);
/// f16/bf16 compute ops (all but the matrix products, which accumulate in
/// f32 themselves) rewritten to compute in f32 between mlopt.cast ops
/// (lib/Conversion/MLOptToLinalg/LowPrecision.cpp).
void populateMLOptLowPrecisionToLinalgPatterns(RewritePatternSet &patterns);

/// Marks the mlopt compute ops illegal and the target dialects legal.
void configureMLOptToLinalgTarget(ConversionTarget &target);

} // namespace mlopt
} // namespace mlir

#endif // MLOPT_CONVERSION_MLOPTTOLINALG_MLOPTTOLINALG_H
