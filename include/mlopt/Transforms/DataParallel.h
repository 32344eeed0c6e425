//===- DataParallel.h - buckets and bytes of mlopt-data-parallel -*- C++
//-*-===//
//
// The gradient buckets of `mlopt-data-parallel` (Passes.td, issue #14) as
// functions, so the runtime's report shows the plan the pass follows, and
// the compile-time count of the bytes a training step communicates, which
// the runtime's measured counter (CommStats::bytes) matches exactly.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_DATAPARALLEL_H
#define MLOPT_TRANSFORMS_DATAPARALLEL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir::mlopt {

/// One bucket: the gradients one collective exchanges.
struct GradientBucket {
  /// The indices of the gradient results (`mlopt.grad_of`) of @train_step,
  /// in the order their defining ops appear in its body (the order the
  /// backward pass produces them).
  SmallVector<unsigned> resultIndices;
  /// The bytes of the gradients' types (unpadded, unsharded).
  int64_t bytes = 0;
};

/// The gradient results of `trainStep` (`mlopt.grad_of`), ordered by the
/// position of their defining ops in its body (block arguments first; the
/// results of one op in result order; ties between results returning the
/// same value by result index).
SmallVector<unsigned> getGradientsInBackwardOrder(func::FuncOp trainStep);

/// The buckets `mlopt-data-parallel` forms over the gradients of
/// `trainStep` (before it runs): the gradients in backward order, the first
/// bucket closing once it holds at least `firstBucketMb` MiB, each later
/// one at `bucketMb` MiB (1 MiB = 2^20 bytes; DDP's `bucket_cap_mb`). The
/// last bucket may hold less. Empty when there are no gradients.
SmallVector<GradientBucket> planGradientBuckets(func::FuncOp trainStep,
                                                double firstBucketMb,
                                                double bucketMb);

/// The bytes of a statically shaped tensor type: elements times whole bytes
/// per element (`i1` counts one byte); 0 for anything else.
int64_t getTensorBytes(Type type);

/// The payload bytes of every collective and point-to-point op in
/// `trainStep` (nested regions included): what one step communicates, the
/// sum of the dialect's getCommunicatedBytes (Traits.h) over its ops.
int64_t getCommunicatedBytesPerStep(func::FuncOp trainStep);

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_DATAPARALLEL_H
