//===- LossScaling.h - the runtime side of mlopt-loss-scaling ---*- C++ -*-===//
//
// What the runtime reads of a step compiled with `mlopt-loss-scaling`
// (docs/MixedPrecision.md): the current scale and the skipped steps, which
// mlopt-run reports per epoch and in its summary, and the stop when the
// scale has reached its floor and a step's gradients are still not finite.
//
//   if (auto status = readLossScaling(*session)) ... status->scale
//   if (Error error = checkLossScaleFloor(*session, result, step)) ...
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_LOSSSCALING_H
#define MLOPT_RUNTIME_LOSSSCALING_H

#include "mlopt/Runtime/Session.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

/// The loss scaler's state after the steps run so far.
struct LossScalingStatus {
  /// The scale the next step applies (`loss_scaler.scale`).
  double scale = 0;
  /// The steps skipped since training began, resumed runs included
  /// (`loss_scaler.skipped_steps`).
  int64_t skippedSteps = 0;
};

/// Whether the session's @train_step scales its loss (it has the state
/// `loss_scaler.scale`).
bool hasLossScaling(const Session &session);

/// The scaler's state; std::nullopt without loss scaling.
llvm::Expected<std::optional<LossScalingStatus>>
readLossScaling(Session &session);

/// The states whose gradients the finite check covers, in the order the
/// `nonfinite_grad` metric indexes (@train_step's `mlopt.checked_grads`);
/// empty without loss scaling.
std::vector<std::string> getCheckedGradients(const Session &session);

/// An error when the training step `result` (the `step`-th, 1-based) was
/// skipped with the scale at its floor: it names the step, the scale and
/// the first non-finite gradient's state. Success otherwise, and for a
/// session without loss scaling.
llvm::Error checkLossScaleFloor(const Session &session,
                                const StepResult &result, int64_t step);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_LOSSSCALING_H
