//===- MLOptToLinalg.h - mlopt to linalg patterns ---------------*- C++ -*-===//

#ifndef MLOPT_CONVERSION_MLOPTTOLINALG_MLOPTTOLINALG_H
#define MLOPT_CONVERSION_MLOPTTOLINALG_MLOPTTOLINALG_H

namespace mlir {
class RewritePatternSet;
class ConversionTarget;

namespace mlopt {

/// Patterns lowering every mlopt compute op to linalg / tensor / arith /
/// math / scf on tensors. State ops are left alone.
void populateMLOptToLinalgPatterns(RewritePatternSet &patterns);

/// The same, by op family (lib/Conversion/MLOptToLinalg/*.cpp).
void populateMLOptElementwiseToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptShapeToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptNNToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptLossToLinalgPatterns(RewritePatternSet &patterns);
void populateMLOptStateToLinalgPatterns(RewritePatternSet &patterns);

/// Marks the mlopt compute ops illegal and the target dialects legal.
void configureMLOptToLinalgTarget(ConversionTarget &target);

} // namespace mlopt
} // namespace mlir

#endif // MLOPT_CONVERSION_MLOPTTOLINALG_MLOPTTOLINALG_H
