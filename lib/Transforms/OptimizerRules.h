//===- OptimizerRules.h - torch.optim update formulas as mlopt ops -------===//
//
// Private to lib/Transforms: the arithmetic of mlopt-optimizer (update rules,
// gradient clipping, learning-rate schedules), separate from the pass's
// bookkeeping of states and function results.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_TRANSFORMS_OPTIMIZERRULES_H
#define MLOPT_LIB_TRANSFORMS_OPTIMIZERRULES_H

#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

namespace mlir::mlopt::optimizer {

enum class Algorithm { SGD, Adam, AdamW };
enum class Schedule { Constant, Step, Cosine };

/// Validated optimizer options; `weightDecay` is already resolved to the
/// optimizer's default when the option was negative.
struct Config {
  Algorithm algorithm = Algorithm::SGD;
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0;
  double maxGradNorm = 0.0;
  Schedule schedule = Schedule::Constant;
  int64_t stepSize = 1;
  double gamma = 0.1;
  int64_t totalSteps = 0;
  double minLr = 0.0;
  int64_t warmupSteps = 0;
};

/// Suffixes of the per-parameter optimizer states `Config` needs, in the
/// order `UpdateRules::update` takes and returns them
/// (`optimizer.<param>.<suffix>`).
llvm::SmallVector<llvm::StringRef, 2> stateSuffixes(const Config &config);

/// A host-side scalar: a compile-time double, or a 0-d f64 tensor computed in
/// the IR. PyTorch computes step-dependent scalars (scheduled lr, bias
/// corrections) as Python floats, hence f64.
struct Scalar {
  double constant = 0.0;
  Value dynamic;
  bool isConstant() const { return !dynamic; }
};

/// The shared mlopt emitter plus host-side scalars: arithmetic on Scalar
/// folds when both sides are compile-time constants and otherwise computes
/// in 0-d f64 tensors, as PyTorch computes them in Python floats.
class Emitter : public MLOptBuilder {
public:
  using MLOptBuilder::add;
  using MLOptBuilder::div;
  using MLOptBuilder::MLOptBuilder;
  using MLOptBuilder::mul;
  using MLOptBuilder::sub;

  Scalar add(Scalar lhs, Scalar rhs);
  Scalar sub(Scalar lhs, Scalar rhs);
  Scalar mul(Scalar lhs, Scalar rhs);
  Scalar div(Scalar lhs, Scalar rhs);
  /// `scalar` as a 0-d tensor of `elementType` (one cast per pair, cached).
  Value materialize(Scalar scalar, Type elementType);
  /// `scalar` as a 0-d f64 tensor.
  Value asF64(Scalar scalar);

private:
  llvm::DenseMap<std::pair<Value, Type>, Value> castCache;
};

/// The learning rate at step `t` (0-d f64, the number of completed steps):
/// linear warm-up, then the schedule on `t - warmupSteps`.
Scalar learningRate(Emitter &emitter, const Config &config, Value stepF64);

/// torch.nn.utils.clip_grad_norm_ (L2): scales every gradient by
/// min(maxNorm / (total + 1e-6), 1) with total the global L2 norm. With
/// `shards` > 0 the gradients are this rank's chunks of gradients sharded
/// over `shards` ranks (ZeRO-1, zero-padded): the sum of squares is an
/// `mlopt.all_reduce sum` over the ranks, so every rank clips by the norm
/// of the whole gradients.
llvm::SmallVector<Value> clipGradNorm(Emitter &emitter, ArrayRef<Value> grads,
                                      double maxNorm, int64_t shards = 0);

/// The new value of a parameter and of its optimizer states.
struct ParamUpdate {
  Value param;
  llvm::SmallVector<Value, 2> states;
};

/// The update of one optimizer step for every parameter, sharing the
/// step-dependent scalars.
class UpdateRules {
public:
  /// `step` is the 0-d i64 number of completed steps.
  UpdateRules(Emitter &emitter, const Config &config, Value step);

  /// The update of `param` from `grad`; `states` holds the current values of
  /// the states named by `stateSuffixes(config)`.
  ParamUpdate update(Value param, Value grad, ArrayRef<Value> states);

  /// The step count after this step (i64).
  Value nextStep();

  /// The learning rate this step applies (after warm-up and the schedule).
  Scalar appliedLearningRate() const { return lr; }

private:
  ParamUpdate updateSGD(Value param, Value grad, ArrayRef<Value> states);
  ParamUpdate updateAdam(Value param, Value grad, ArrayRef<Value> states);

  Emitter &emitter;
  const Config &config;
  Value step;
  Value stepF64;
  Scalar lr;
  // SGD with momentum: step == 0 (PyTorch's first step copies the gradient).
  Value isFirstStep;
  // Adam/AdamW: lr / (1 - beta1^t), sqrt(1 - beta2^t), 1 - lr * wd.
  Scalar adamStepSize, adamBiasCorrection2Sqrt, adamwDecay;
};

} // namespace mlir::mlopt::optimizer

#endif // MLOPT_LIB_TRANSFORMS_OPTIMIZERRULES_H
