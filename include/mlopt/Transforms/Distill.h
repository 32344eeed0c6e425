//===- Distill.h - knowledge distillation from a frozen teacher -*- C++ -*-===//
//
// The C++ side of `mlopt-distill` (Passes.td): merges a teacher model, whose
// tensors are given as attributes, into a student's loss function, so an
// embedding user distills without files. The pass parses the teacher file,
// reads its checkpoint with readTeacherCheckpoint and calls distillModel.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_DISTILL_H
#define MLOPT_TRANSFORMS_DISTILL_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>

namespace mlir::mlopt {

/// What the distillation loss compares.
enum class DistillMode {
  /// Hinton et al.: alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) +
  /// (1 - alpha) * student_loss.
  Soft,
  /// alpha * MSE(s, t) + (1 - alpha) * student_loss.
  Regression,
  /// FitNets hints: student_loss + hintWeight * MSE(proj(a), b) for tapped
  /// intermediate tensors a (student) and b (teacher).
  Feature,
};

/// When feature mode projects the student's tapped tensor.
enum class DistillProjection {
  /// When the last dimensions of the taps differ.
  Auto,
  Always,
  /// Never: the widths must match.
  Never,
};

/// The options of mlopt-distill, parsed.
struct DistillOptions {
  DistillMode mode = DistillMode::Soft;
  /// soft, regression: the distillation term's weight, in [0, 1].
  double alpha = 0.9;
  /// soft: the softmax temperature, > 0.
  double temperature = 4.0;
  /// feature: the `mlopt.tap` names; an empty teacherTap means studentTap.
  std::string studentTap;
  std::string teacherTap;
  /// feature: the hint loss's weight, >= 0.
  double hintWeight = 1.0;
  DistillProjection projection = DistillProjection::Auto;
};

/// Parses the pass's string spellings: "soft", "regression", "feature";
/// "auto", "always", "never". std::nullopt for anything else.
std::optional<DistillMode> parseDistillMode(StringRef mode);
std::optional<DistillProjection> parseDistillProjection(StringRef projection);

/// Checks the numeric options (temperature > 0, alpha in [0, 1],
/// hint-weight >= 0, a tap name in feature mode); errors at `module`.
LogicalResult verifyDistillOptions(const DistillOptions &options,
                                   ModuleOp module);

/// The values of a teacher's states, by the teacher's state names. Each has
/// the state's type.
using TeacherTensors = llvm::StringMap<DenseElementsAttr>;

/// Reads the values of `teacher`'s states from the safetensors file at
/// `path`. Every model tensor of the teacher (its parameter, buffer, mask
/// and observer states) must be in the file with the state's dtype and
/// shape; one error, at `errorLoc`, lists every mismatch. The teacher's
/// other states found in the file are read too; the file's remaining tensors
/// (a training checkpoint's optimizer state) are ignored.
FailureOr<TeacherTensors>
readTeacherCheckpoint(ModuleOp teacher, StringRef path, Location errorLoc);

/// Merges `teacher` (another mlopt model, in the context of `student`) into
/// the loss function of `student`, as `mlopt-distill` does: the teacher's
/// prediction (and tap) in evaluation form, its states as `teacher` states
/// named `teacher.<name>` initialized with `tensors` (or their own
/// `#mlopt.value`), the loss of `options.mode` as
/// `mlopt.mode_select(total, student_loss)` and the `student_loss` and
/// `distill_loss` (`hint_loss`) metrics marked `mlopt.train_only`. On
/// failure a located error has been emitted and `student` is unchanged;
/// `teacher` is never changed.
LogicalResult distillModel(ModuleOp student, ModuleOp teacher,
                           const TeacherTensors &tensors,
                           const DistillOptions &options);

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_DISTILL_H
