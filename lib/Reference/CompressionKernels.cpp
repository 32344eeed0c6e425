//===- CompressionKernels.cpp - masks, mask selection, sparsity schedule --===//

#include "Kernels.h"

#include "mlopt/Support/PruneSelection.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

static Tensor evaluateApplyMask(ApplyMaskOp op, const Tensor &input,
                                const Tensor &mask) {
  ArrayRef<double> x = input.getDoubles(), m = mask.getDoubles();
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = x[i] * m[i];
  return Tensor::fromDoubles(op.getType(), y);
}

/// The selection of mlopt/Support/PruneSelection.h on the scores as
/// doubles: exact for every float type, and the order of f16/bf16/f32
/// values is the order of their doubles, so it selects what the CPU kernel
/// selects.
static Tensor evaluatePruneMask(PruneMaskOp op, const Tensor &scores,
                                const Tensor &sparsity, const Tensor &update,
                                const Tensor &previous) {
  if (update.getInts()[0] == 0)
    return previous;
  RankedTensorType type = op.getType();
  int64_t length = type.getShape().back();
  int64_t groups = length == 0 ? 0 : type.getNumElements() / length;
  std::vector<double> mask(type.getNumElements());
  prune_selection::selectPruneMask(scores.getDoubles().data(), mask.data(),
                                   groups, length, sparsity.getDoubles()[0]);
  return Tensor::fromDoubles(type, mask);
}

/// s(t) in f64, in the order of operations the lowering emits:
/// final + (initial - final) * (r * r * r), r = 1 - (t - start) / (end -
/// start).
static SmallVector<Tensor> evaluateSparsitySchedule(SparsityScheduleOp op,
                                                    const Tensor &step) {
  int64_t t = step.getInts()[0];
  int64_t start = op.getStart(), end = op.getEnd(),
          frequency = op.getFrequency();
  double initial = op.getInitial().convertToDouble();
  double final = op.getFinal().convertToDouble();
  double sparsity;
  if (t < start)
    sparsity = initial;
  else if (t >= end)
    sparsity = final;
  else {
    double progress =
        static_cast<double>(t - start) / static_cast<double>(end - start);
    double remaining = 1.0 - progress;
    sparsity = final + (initial - final) * (remaining * remaining * remaining);
  }
  bool update = t >= start && t <= end && (t - start) % frequency == 0;
  return {Tensor::fromDoubles(op.getSparsity().getType(), {sparsity}),
          Tensor::fromInts(op.getUpdate().getType(), {update ? 1 : 0})};
}

KernelResults
reference::evaluateCompressionOp(Operation *op,
                                 ArrayRef<const Tensor *> operands) {
  auto one = [](Tensor tensor) -> FailureOr<SmallVector<Tensor>> {
    return SmallVector<Tensor>{std::move(tensor)};
  };
  return llvm::TypeSwitch<Operation *, KernelResults>(op)
      .Case([&](ApplyMaskOp apply) {
        return one(evaluateApplyMask(apply, *operands[0], *operands[1]));
      })
      .Case([&](PruneMaskOp prune) {
        return one(evaluatePruneMask(prune, *operands[0], *operands[1],
                                     *operands[2], *operands[3]));
      })
      .Case([&](SparsityScheduleOp schedule) -> FailureOr<SmallVector<Tensor>> {
        return evaluateSparsitySchedule(schedule, *operands[0]);
      })
      .Default([](Operation *) { return std::nullopt; });
}
