//===- LossScaling.h - names and hooks of mlopt-loss-scaling ----*- C++ -*-===//
//
// The states and metrics that `mlopt-loss-scaling` adds (issue #11), which
// the runtime reports, and the hook where the finite check of the gradients
// agrees across data-parallel ranks (issue #14).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_LOSSSCALING_H
#define MLOPT_TRANSFORMS_LOSSSCALING_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::mlopt {

/// `tensor<f32>`, kind `loss_scale`: the scale the loss is multiplied by
/// (GradScaler's `scale`).
inline constexpr llvm::StringLiteral kLossScaleStateName = "loss_scaler.scale";
/// `tensor<i64>`, kind `loss_scale`: consecutive steps with finite gradients
/// since the scale last changed or a step was skipped (GradScaler's
/// `_growth_tracker`). Dynamic mode only.
inline constexpr llvm::StringLiteral kGrowthTrackerStateName =
    "loss_scaler.growth_tracker";
/// `tensor<i64>`, kind `loss_scale`: the overflows still tolerated before the
/// scale backs off (DeepSpeed's `cur_hysteresis`). Dynamic mode with
/// `hysteresis > 1` only.
inline constexpr llvm::StringLiteral kHysteresisStateName =
    "loss_scaler.hysteresis";
/// `tensor<i64>`, kind `loss_scale`: the steps skipped since training began.
inline constexpr llvm::StringLiteral kSkippedStepsStateName =
    "loss_scaler.skipped_steps";

/// The `mlopt.metric` results of @train_step (0-d f64 each): the scale this
/// step applied; 1 when the step was skipped, else 0; the index in
/// `mlopt.checked_grads` of the first non-finite gradient, or -1; 1 when the
/// step was skipped with the scale at its floor (it cannot back off any
/// more: training cannot recover), else 0.
inline constexpr llvm::StringLiteral kLossScaleMetricName = "loss_scale";
inline constexpr llvm::StringLiteral kSkippedMetricName = "skipped";
inline constexpr llvm::StringLiteral kNonFiniteGradMetricName =
    "nonfinite_grad";
inline constexpr llvm::StringLiteral kScaleAtFloorMetricName = "scale_at_floor";

/// The hook of the distributed finite check (issue #14). `localNonFinite` is
/// this process's verdict on its gradients as a 0-d f32: 0 when every
/// gradient it holds is finite, NaN otherwise (PyTorch's `found_inf`, as a
/// sum that stays NaN once any term is). Every rank must skip the same
/// steps, or their parameters diverge. `gradShards` is the number of ranks
/// the step's gradients are sharded over (their `mlopt.grad_shard`, from
/// `mlopt-data-parallel{zero=1}`), 0 when they are whole: each rank then
/// checks only its chunk, and the verdict becomes an `mlopt.all_reduce sum`
/// over the `gradShards` ranks, which is NaN on every rank as soon as one
/// rank's value is. Without data parallelism, or after a whole-gradient
/// all-reduce (every rank then checks the same sums), the local verdict is
/// already the global one and is returned as it is.
/// mlopt-loss-scaling calls this once per step, between the per-gradient
/// checks and the comparison that yields the `mlopt.grads_finite` flag.
Value agreeOnNonFiniteAcrossRanks(OpBuilder &builder, Location loc,
                                  Value localNonFinite, int64_t gradShards);

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_LOSSSCALING_H
