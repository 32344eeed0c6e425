//===- ElementwiseKernels.cpp - unary, binary, compare, select, cast ------===//

#include "Kernels.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

static RankedTensorType resultType(Operation *op) {
  return tensorTypeOf(op->getResult(0));
}

static Tensor mapUnary(Operation *op, const Tensor &input,
                       function_ref<double(double)> fn) {
  ArrayRef<double> in = input.getDoubles();
  std::vector<double> out(in.size());
  for (auto [i, x] : llvm::enumerate(in))
    out[i] = fn(x);
  return Tensor::fromDoubles(resultType(op), out);
}

static Tensor mapBinary(Operation *op, const Tensor &lhs, const Tensor &rhs,
                        function_ref<double(double, double)> fn) {
  RankedTensorType type = resultType(op);
  std::vector<int64_t> lhsIndex =
      broadcastIndices(lhs.getShape(), type.getShape());
  std::vector<int64_t> rhsIndex =
      broadcastIndices(rhs.getShape(), type.getShape());
  ArrayRef<double> l = lhs.getDoubles(), r = rhs.getDoubles();
  std::vector<double> out(lhsIndex.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = fn(l[lhsIndex[i]], r[rhsIndex[i]]);
  return Tensor::fromDoubles(type, out);
}

/// PyTorch's maximum/minimum propagate NaN.
static double nanMax(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
}
static double nanMin(double x, double y) {
  return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
}

static double gelu(double x, GeluApproximation approximation) {
  if (approximation == GeluApproximation::Tanh) {
    constexpr double kSqrt2OverPi = 0.79788456080286535588;
    return 0.5 * x *
           (1.0 + std::tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));
  }
  constexpr double kSqrtHalf = 0.70710678118654752440;
  return x * 0.5 * (1.0 + std::erf(x * kSqrtHalf));
}

template <typename T>
static bool comparePredicate(ComparePredicate predicate, T lhs, T rhs) {
  // The C++ operators already give IEEE semantics: NaN compares false
  // except with !=.
  switch (predicate) {
  case ComparePredicate::EQ:
    return lhs == rhs;
  case ComparePredicate::NE:
    return lhs != rhs;
  case ComparePredicate::LT:
    return lhs < rhs;
  case ComparePredicate::LE:
    return lhs <= rhs;
  case ComparePredicate::GT:
    return lhs > rhs;
  case ComparePredicate::GE:
    return lhs >= rhs;
  }
  llvm_unreachable("unknown compare predicate");
}

static Tensor evaluateCompare(CompareOp op, const Tensor &lhs,
                              const Tensor &rhs) {
  RankedTensorType type = op.getType();
  std::vector<int64_t> lhsIndex =
      broadcastIndices(lhs.getShape(), type.getShape());
  std::vector<int64_t> rhsIndex =
      broadcastIndices(rhs.getShape(), type.getShape());
  Tensor result = Tensor::zeros(type);
  MutableArrayRef<int64_t> out = result.getInts();
  ComparePredicate predicate = op.getPredicate();
  for (size_t i = 0; i < out.size(); ++i) {
    bool holds =
        lhs.isFloat()
            ? comparePredicate(predicate, lhs.getDoubles()[lhsIndex[i]],
                               rhs.getDoubles()[rhsIndex[i]])
            : comparePredicate(predicate, lhs.getInts()[lhsIndex[i]],
                               rhs.getInts()[rhsIndex[i]]);
    out[i] = holds ? 1 : 0;
  }
  return result;
}

static Tensor evaluateSelect(SelectOp op, const Tensor &condition,
                             const Tensor &onTrue, const Tensor &onFalse) {
  RankedTensorType type = cast<RankedTensorType>(op.getType());
  ArrayRef<int64_t> shape = type.getShape();
  std::vector<int64_t> condIndex =
      broadcastIndices(condition.getShape(), shape);
  std::vector<int64_t> trueIndex = broadcastIndices(onTrue.getShape(), shape);
  std::vector<int64_t> falseIndex = broadcastIndices(onFalse.getShape(), shape);
  Tensor result = Tensor::zeros(type);
  ArrayRef<int64_t> cond = condition.getInts();
  for (size_t i = 0; i < condIndex.size(); ++i) {
    bool pick = cond[condIndex[i]] != 0;
    if (result.isFloat())
      result.getDoubles()[i] = pick ? onTrue.getDoubles()[trueIndex[i]]
                                    : onFalse.getDoubles()[falseIndex[i]];
    else
      result.getInts()[i] = pick ? onTrue.getInts()[trueIndex[i]]
                                 : onFalse.getInts()[falseIndex[i]];
  }
  return result;
}

/// float -> float rounds, float -> integer truncates, integer -> float is
/// rounded once; Tensor's constructors implement exactly these rules.
static Tensor evaluateCast(CastOp op, const Tensor &input) {
  auto type = cast<RankedTensorType>(op.getType());
  return input.isFloat() ? Tensor::fromDoubles(type, input.getDoubles())
                         : Tensor::fromInts(type, input.getInts());
}

KernelResult
reference::evaluateElementwiseOp(Operation *op,
                                 ArrayRef<const Tensor *> operands) {
  auto unary = [&](function_ref<double(double)> fn) -> FailureOr<Tensor> {
    return mapUnary(op, *operands[0], fn);
  };
  auto binary =
      [&](function_ref<double(double, double)> fn) -> FailureOr<Tensor> {
    return mapBinary(op, *operands[0], *operands[1], fn);
  };
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](NegOp) { return unary([](double x) { return -x; }); })
      .Case([&](ExpOp) { return unary([](double x) { return std::exp(x); }); })
      .Case([&](LogOp) { return unary([](double x) { return std::log(x); }); })
      .Case(
          [&](SqrtOp) { return unary([](double x) { return std::sqrt(x); }); })
      .Case([&](RsqrtOp) {
        return unary([](double x) { return 1.0 / std::sqrt(x); });
      })
      .Case([&](ReluOp) {
        return unary(
            [](double x) { return std::isnan(x) ? x : std::max(x, 0.0); });
      })
      .Case([&](SigmoidOp) {
        return unary([](double x) { return 1.0 / (1.0 + std::exp(-x)); });
      })
      .Case(
          [&](TanhOp) { return unary([](double x) { return std::tanh(x); }); })
      .Case([&](AbsOp) { return unary([](double x) { return std::fabs(x); }); })
      .Case([&](CosOp) { return unary([](double x) { return std::cos(x); }); })
      .Case([&](ErfOp) { return unary([](double x) { return std::erf(x); }); })
      .Case([&](GeluOp gelu) {
        GeluApproximation approximation = gelu.getApproximate();
        return unary(
            [approximation](double x) { return ::gelu(x, approximation); });
      })
      .Case([&](AddOp) {
        return binary([](double x, double y) { return x + y; });
      })
      .Case([&](SubOp) {
        return binary([](double x, double y) { return x - y; });
      })
      .Case([&](MulOp) {
        return binary([](double x, double y) { return x * y; });
      })
      .Case([&](DivOp) {
        return binary([](double x, double y) { return x / y; });
      })
      .Case([&](PowOp) {
        return binary([](double x, double y) { return std::pow(x, y); });
      })
      .Case([&](MaximumOp) { return binary(nanMax); })
      .Case([&](MinimumOp) { return binary(nanMin); })
      .Case([&](CompareOp compare) -> FailureOr<Tensor> {
        return evaluateCompare(compare, *operands[0], *operands[1]);
      })
      .Case([&](SelectOp select) -> FailureOr<Tensor> {
        return evaluateSelect(select, *operands[0], *operands[1], *operands[2]);
      })
      .Case([&](CastOp castOp) -> FailureOr<Tensor> {
        return evaluateCast(castOp, *operands[0]);
      })
      .Default([](Operation *) { return std::nullopt; });
}
