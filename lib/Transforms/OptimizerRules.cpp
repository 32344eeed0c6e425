//===- OptimizerRules.cpp - torch.optim update formulas as mlopt ops ------===//
//
// Each formula follows torch.optim's single-tensor (non-foreach, non-fused)
// implementation, operation by operation, so that the result matches PyTorch
// up to floating-point reassociation inside a backend's kernels.
//
//===----------------------------------------------------------------------===//

#include "OptimizerRules.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::optimizer;

SmallVector<StringRef, 2> optimizer::stateSuffixes(const Config &config) {
  switch (config.algorithm) {
  case Algorithm::SGD:
    if (config.momentum != 0.0)
      return {"momentum_buffer"};
    return {};
  case Algorithm::Adam:
  case Algorithm::AdamW:
    return {"exp_avg", "exp_avg_sq"};
  }
  llvm_unreachable("unknown optimizer algorithm");
}

static Type elementTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

//===----------------------------------------------------------------------===//
// Emitter
//===----------------------------------------------------------------------===//

Value Emitter::asF64(Scalar scalar) {
  return materialize(scalar, getBuilder().getF64Type());
}

Value Emitter::materialize(Scalar scalar, Type elementType) {
  if (scalar.isConstant())
    return constant(elementType, scalar.constant);
  auto key = std::make_pair(scalar.dynamic, elementType);
  auto it = castCache.find(key);
  if (it != castCache.end())
    return it->second;
  Value result = cast(scalar.dynamic, elementType);
  castCache[key] = result;
  return result;
}

Scalar Emitter::add(Scalar lhs, Scalar rhs) {
  if (lhs.isConstant() && rhs.isConstant())
    return {lhs.constant + rhs.constant, {}};
  return {0.0, add(asF64(lhs), asF64(rhs))};
}
Scalar Emitter::sub(Scalar lhs, Scalar rhs) {
  if (lhs.isConstant() && rhs.isConstant())
    return {lhs.constant - rhs.constant, {}};
  return {0.0, sub(asF64(lhs), asF64(rhs))};
}
Scalar Emitter::mul(Scalar lhs, Scalar rhs) {
  if (lhs.isConstant() && rhs.isConstant())
    return {lhs.constant * rhs.constant, {}};
  return {0.0, mul(asF64(lhs), asF64(rhs))};
}
Scalar Emitter::div(Scalar lhs, Scalar rhs) {
  if (lhs.isConstant() && rhs.isConstant())
    return {lhs.constant / rhs.constant, {}};
  return {0.0, div(asF64(lhs), asF64(rhs))};
}

//===----------------------------------------------------------------------===//
// Learning-rate schedule
//===----------------------------------------------------------------------===//

static Scalar constantScalar(double value) { return {value, {}}; }

Scalar optimizer::learningRate(Emitter &e, const Config &config,
                               Value stepF64) {
  Scalar lr = constantScalar(config.lr);
  if (config.schedule == Schedule::Constant && config.warmupSteps == 0)
    return lr;

  Type f64 = e.getBuilder().getF64Type();
  Scalar t{0.0, stepF64};
  // The schedule starts counting when the warm-up ends.
  Scalar scheduleStep = t;
  if (config.warmupSteps > 0 && config.schedule != Schedule::Constant) {
    Value shifted = e.asF64(
        e.sub(t, constantScalar(static_cast<double>(config.warmupSteps))));
    scheduleStep = {0.0, e.maximum(shifted, e.constant(f64, 0.0))};
  }

  Scalar scheduled = lr;
  switch (config.schedule) {
  case Schedule::Constant:
    break;
  case Schedule::Step: {
    // StepLR's closed form: lr * gamma ** (t // step_size). t >= 0, so the
    // truncating cast to an integer is the floor.
    Value quotient = e.asF64(e.div(
        scheduleStep, constantScalar(static_cast<double>(config.stepSize))));
    Value floored = e.cast(e.cast(quotient, e.getBuilder().getI64Type()), f64);
    Value factor = e.pow(e.constant(f64, config.gamma), floored);
    scheduled = e.mul(lr, Scalar{0.0, factor});
    break;
  }
  case Schedule::Cosine: {
    // CosineAnnealingLR's closed form, held at min_lr after total-steps:
    // min_lr + (lr - min_lr) * (1 + cos(pi * t / T)) / 2.
    double total = static_cast<double>(config.totalSteps);
    Scalar clamped{0.0,
                   e.minimum(e.asF64(scheduleStep), e.constant(f64, total))};
    Scalar angle = e.div(e.mul(constantScalar(llvm::numbers::pi), clamped),
                         constantScalar(total));
    Scalar cosine{0.0, e.cos(e.asF64(angle))};
    Scalar factor = e.add(constantScalar(1.0), cosine);
    scheduled =
        e.add(constantScalar(config.minLr),
              e.div(e.mul(constantScalar(config.lr - config.minLr), factor),
                    constantScalar(2.0)));
    break;
  }
  }

  if (config.warmupSteps == 0)
    return scheduled;
  // Linear warm-up: lr * (t + 1) / warmup for t < warmup.
  double warmup = static_cast<double>(config.warmupSteps);
  Scalar warm =
      e.div(e.mul(lr, e.add(t, constantScalar(1.0))), constantScalar(warmup));
  Value inWarmup =
      e.compare(ComparePredicate::LT, stepF64, e.constant(f64, warmup));
  Value selected = e.select(inWarmup, e.asF64(warm), e.asF64(scheduled));
  return {0.0, selected};
}

//===----------------------------------------------------------------------===//
// Gradient clipping
//===----------------------------------------------------------------------===//

SmallVector<Value> optimizer::clipGradNorm(Emitter &e, ArrayRef<Value> grads,
                                           double maxNorm, int64_t shards) {
  if (grads.empty())
    return {};
  // PyTorch computes the norm in the gradients' dtype; with mixed dtypes we
  // accumulate in the widest, at least f32.
  OpBuilder &b = e.getBuilder();
  Type normType = b.getF32Type();
  for (Value grad : grads)
    if (elementTypeOf(grad).isF64())
      normType = b.getF64Type();

  Value sumOfSquares;
  for (Value grad : grads) {
    // Squared in the norm type: half-precision squares overflow early.
    Value wide = e.cast(grad, normType);
    Value squares = e.sumAll(e.mul(wide, wide));
    sumOfSquares = sumOfSquares ? e.add(sumOfSquares, squares) : squares;
  }
  // The chunks of every rank together; their zero padding adds nothing.
  if (shards > 0)
    sumOfSquares = AllReduceOp::create(b, e.getLoc(), ReduceKind::Sum,
                                       ValueRange{sumOfSquares},
                                       static_cast<uint64_t>(shards))
                       .getResult(0);
  Value total = e.sqrt(sumOfSquares);
  Value coef = e.div(e.constant(normType, maxNorm),
                     e.add(total, e.constant(normType, 1e-6)));
  coef = e.minimum(coef, e.constant(normType, 1.0));

  SmallVector<Value> clipped;
  for (Value grad : grads)
    clipped.push_back(e.mul(grad, e.cast(coef, elementTypeOf(grad))));
  return clipped;
}

//===----------------------------------------------------------------------===//
// Update rules
//===----------------------------------------------------------------------===//

UpdateRules::UpdateRules(Emitter &emitter, const Config &config, Value step)
    : emitter(emitter), config(config), step(step) {
  OpBuilder &b = emitter.getBuilder();
  stepF64 = emitter.cast(step, b.getF64Type());
  lr = learningRate(emitter, config, stepF64);

  if (config.algorithm == Algorithm::SGD) {
    if (config.momentum != 0.0)
      isFirstStep = emitter.compare(ComparePredicate::EQ, step,
                                    emitter.constant(b.getI64Type(), 0.0));
    return;
  }

  // Adam's bias corrections with t = step + 1, as Python floats.
  Type f64 = b.getF64Type();
  Value t = emitter.add(stepF64, emitter.constant(f64, 1.0));
  auto oneMinusPow = [&](double beta) {
    Value power = emitter.pow(emitter.constant(f64, beta), t);
    return Scalar{0.0, emitter.sub(emitter.constant(f64, 1.0), power)};
  };
  Scalar biasCorrection1 = oneMinusPow(config.beta1);
  Scalar biasCorrection2 = oneMinusPow(config.beta2);
  adamStepSize = emitter.div(lr, biasCorrection1);
  adamBiasCorrection2Sqrt = {0.0, emitter.sqrt(biasCorrection2.dynamic)};
  if (config.algorithm == Algorithm::AdamW && config.weightDecay != 0.0)
    adamwDecay =
        emitter.sub(constantScalar(1.0),
                    emitter.mul(lr, constantScalar(config.weightDecay)));
}

ParamUpdate UpdateRules::update(Value param, Value grad,
                                ArrayRef<Value> states) {
  if (config.algorithm == Algorithm::SGD)
    return updateSGD(param, grad, states);
  return updateAdam(param, grad, states);
}

Value UpdateRules::nextStep() {
  OpBuilder &b = emitter.getBuilder();
  Value next = emitter.add(stepF64, emitter.constant(b.getF64Type(), 1.0));
  return emitter.cast(next, b.getI64Type());
}

ParamUpdate UpdateRules::updateSGD(Value param, Value grad,
                                   ArrayRef<Value> states) {
  Emitter &e = emitter;
  Type type = elementTypeOf(param);
  auto scalar = [&](double value) { return e.constant(type, value); };

  ParamUpdate result;
  Value d = grad;
  if (config.weightDecay != 0.0)
    d = e.add(d, e.mul(scalar(config.weightDecay), param));
  if (config.momentum != 0.0) {
    // buf = d at the first step, then momentum * buf + (1 - dampening) * d.
    Value momentum = scalar(config.momentum);
    Value accumulated = e.mul(states[0], momentum);
    double dampFactor = 1.0 - config.dampening;
    Value damped = dampFactor == 1.0 ? d : e.mul(scalar(dampFactor), d);
    accumulated = e.add(accumulated, damped);
    Value buf = e.select(isFirstStep, d, accumulated);
    result.states.push_back(buf);
    d = config.nesterov ? e.add(d, e.mul(momentum, buf)) : buf;
  }
  result.param = e.sub(param, e.mul(e.materialize(lr, type), d));
  return result;
}

ParamUpdate UpdateRules::updateAdam(Value param, Value grad,
                                    ArrayRef<Value> states) {
  Emitter &e = emitter;
  Type type = elementTypeOf(param);
  auto scalar = [&](double value) { return e.constant(type, value); };

  Value g = grad;
  Value p = param;
  if (config.weightDecay != 0.0) {
    if (config.algorithm == Algorithm::Adam)
      g = e.add(g, e.mul(scalar(config.weightDecay), p));
    else
      p = e.mul(p, e.materialize(adamwDecay, type));
  }
  // m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g.
  Value m = e.add(e.mul(states[0], scalar(config.beta1)),
                  e.mul(scalar(1.0 - config.beta1), g));
  Value v = e.add(e.mul(states[1], scalar(config.beta2)),
                  e.mul(e.mul(scalar(1.0 - config.beta2), g), g));
  // denom = sqrt(v) / sqrt(1 - beta2^t) + eps;
  // p -= (lr / (1 - beta1^t)) * (m / denom).
  Value denom =
      e.add(e.div(e.sqrt(v), e.materialize(adamBiasCorrection2Sqrt, type)),
            scalar(config.eps));
  Value newParam =
      e.sub(p, e.mul(e.materialize(adamStepSize, type), e.div(m, denom)));
  return {newParam, {m, v}};
}
