//===- LossKernels.cpp - losses and metrics -------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

static Tensor scalar(Operation *op, double value) {
  return Tensor::fromDoubles(tensorTypeOf(op->getResult(0)), {value});
}

/// Checks that every label lies in [0, classes).
static LogicalResult checkLabels(Operation *op, const Tensor &labels,
                                 int64_t classes) {
  for (auto [row, label] : llvm::enumerate(labels.getInts()))
    if (label < 0 || label >= classes)
      return op->emitOpError("label ")
             << label << " of row " << row << " is out of range [0, " << classes
             << ")";
  return success();
}

static Tensor evaluateMse(Operation *op, const Tensor &input,
                          const Tensor &target) {
  double sum = 0.0;
  for (auto [x, t] : llvm::zip(input.getDoubles(), target.getDoubles()))
    sum += (x - t) * (x - t);
  return scalar(op, sum / static_cast<double>(input.getNumElements()));
}

static FailureOr<Tensor> evaluateCrossEntropy(Operation *op,
                                              const Tensor &logits,
                                              const Tensor &labels) {
  int64_t rows = logits.getShape()[0], classes = logits.getShape()[1];
  if (failed(checkLabels(op, labels, classes)))
    return failure();
  ArrayRef<double> x = logits.getDoubles();
  double total = 0.0;
  for (int64_t n = 0; n < rows; ++n) {
    ArrayRef<double> row = x.slice(n * classes, classes);
    double maxValue = -std::numeric_limits<double>::infinity();
    for (double value : row)
      maxValue = std::max(maxValue, value);
    if (!std::isfinite(maxValue))
      maxValue = 0.0;
    double sum = 0.0;
    for (double value : row)
      sum += std::exp(value - maxValue);
    double logSumExp = maxValue + std::log(sum);
    total += logSumExp - row[labels.getInts()[n]];
  }
  return scalar(op, total / static_cast<double>(rows));
}

static FailureOr<Tensor> evaluateNllLoss(Operation *op, const Tensor &input,
                                         const Tensor &labels) {
  int64_t rows = input.getShape()[0], classes = input.getShape()[1];
  if (failed(checkLabels(op, labels, classes)))
    return failure();
  double total = 0.0;
  for (int64_t n = 0; n < rows; ++n)
    total += input.getDoubles()[n * classes + labels.getInts()[n]];
  return scalar(op, -total / static_cast<double>(rows));
}

static Tensor evaluateKLDiv(KLDivOp op, const Tensor &input,
                            const Tensor &target) {
  bool logTarget = op.getLogTarget();
  double total = 0.0;
  for (auto [x, t] : llvm::zip(input.getDoubles(), target.getDoubles())) {
    if (logTarget)
      total += std::exp(t) * (t - x);
    else if (t != 0.0) // The term is 0 where the target is 0.
      total += t * (std::log(t) - x);
  }
  switch (op.getReduction()) {
  case KLDivReduction::Mean:
    total /= static_cast<double>(input.getNumElements());
    break;
  case KLDivReduction::BatchMean:
    total /= static_cast<double>(input.getShape()[0]);
    break;
  case KLDivReduction::Sum:
    break;
  }
  return scalar(op, total);
}

static FailureOr<Tensor> evaluateAccuracy(Operation *op, const Tensor &logits,
                                          const Tensor &labels) {
  int64_t rows = logits.getShape()[0], classes = logits.getShape()[1];
  if (failed(checkLabels(op, labels, classes)))
    return failure();
  int64_t correct = 0;
  for (int64_t n = 0; n < rows; ++n)
    if (firstArgmax(logits.getDoubles().data() + n * classes, classes, 1) ==
        labels.getInts()[n])
      ++correct;
  return scalar(op, static_cast<double>(correct) / static_cast<double>(rows));
}

KernelResult reference::evaluateLossOp(Operation *op,
                                       ArrayRef<const Tensor *> operands) {
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](MseLossOp mse) -> FailureOr<Tensor> {
        return evaluateMse(mse, *operands[0], *operands[1]);
      })
      .Case([&](CrossEntropyOp loss) {
        return evaluateCrossEntropy(loss, *operands[0], *operands[1]);
      })
      .Case([&](NllLossOp loss) {
        return evaluateNllLoss(loss, *operands[0], *operands[1]);
      })
      .Case([&](KLDivOp loss) -> FailureOr<Tensor> {
        return evaluateKLDiv(loss, *operands[0], *operands[1]);
      })
      .Case([&](AccuracyOp accuracy) {
        return evaluateAccuracy(accuracy, *operands[0], *operands[1]);
      })
      .Default([](Operation *) { return std::nullopt; });
}
