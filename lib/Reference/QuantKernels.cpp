//===- QuantKernels.cpp - observers, fake-quant and int8 products ---------===//
//
// The quantization ops on the scalar rules of mlopt/Support/QuantMath.h, the
// ones the checkpoint conversion uses and the CPU lowering emits, so that
// all of them agree bit for bit. Float inputs of any type are read as f32
// (exact for f16, bf16 and f32; f64 rounds once, as the lowering's
// arith.truncf); fake_quant rounds its f32 result once to the input's type.
// The integer products sum in i64 and wrap to i32, the two's-complement
// result of the CPU kernel's i32 sums.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlopt/Support/QuantMath.h"

#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

namespace qm = mlir::mlopt::quant_math;

/// For every element (row-major) of `shape`, the index of its parameter:
/// 0 per tensor, its coordinate along `axis` per channel.
static std::vector<int64_t> channelIndices(ArrayRef<int64_t> shape,
                                           std::optional<int64_t> axis) {
  std::vector<int64_t> indices(numElements(shape), 0);
  if (!axis)
    return indices;
  SmallVector<int64_t> strides = computeStrides(shape);
  int64_t stride = strides[*axis], size = shape[*axis];
  for (int64_t i = 0, e = indices.size(); i < e; ++i)
    indices[i] = (i / stride) % size;
  return indices;
}

static float asF32(const Tensor &tensor, int64_t index) {
  return static_cast<float>(tensor.getDoubles()[index]);
}

static int32_t asI32(const Tensor &tensor, int64_t index) {
  return static_cast<int32_t>(tensor.getInts()[index]);
}

/// The batch range per channel (NaN elements ignored; +inf, -inf for a
/// channel without a number), then QuantMath's observer step, unless
/// `update` is false.
static SmallVector<Tensor> evaluateObserve(ObserveOp op, const Tensor &input,
                                           const Tensor &min, const Tensor &max,
                                           const Tensor &update) {
  if (update.getInts()[0] == 0)
    return {min, max};
  int64_t channels = min.getNumElements();
  std::vector<float> batchMin(channels, qm::kUnobservedMin),
      batchMax(channels, qm::kUnobservedMax);
  std::vector<int64_t> channel = channelIndices(input.getShape(), op.getAxis());
  for (int64_t i = 0, e = input.getNumElements(); i < e; ++i) {
    float x = asF32(input, i);
    float &low = batchMin[channel[i]], &high = batchMax[channel[i]];
    // As the lowering compares: NaN never replaces the extreme.
    if (x < low)
      low = x;
    if (x > high)
      high = x;
  }
  double constant = op.getAveragingConstant().convertToDouble();
  std::vector<double> newMin(channels), newMax(channels);
  for (int64_t c = 0; c < channels; ++c) {
    float low = asF32(min, c), high = asF32(max, c);
    qm::observe(low, high, batchMin[c], batchMax[c], constant);
    newMin[c] = low;
    newMax[c] = high;
  }
  return {Tensor::fromDoubles(min.getType(), newMin),
          Tensor::fromDoubles(max.getType(), newMax)};
}

static SmallVector<Tensor>
evaluateQuantParams(QuantParamsOp op, const Tensor &min, const Tensor &max) {
  int64_t count = min.getNumElements();
  std::vector<double> scales(count);
  std::vector<int64_t> zeroPoints(count);
  for (int64_t i = 0; i < count; ++i) {
    qm::QuantParams params =
        qm::computeQuantParams(asF32(min, i), asF32(max, i), op.getQuantMin(),
                               op.getQuantMax(), op.getSymmetric());
    scales[i] = params.scale;
    zeroPoints[i] = params.zeroPoint;
  }
  return {Tensor::fromDoubles(op.getScale().getType(), scales),
          Tensor::fromInts(op.getZeroPoint().getType(), zeroPoints)};
}

/// `rule(x, scale, zeroPoint)` for every element of `input`, with the
/// parameters of its channel.
template <typename Rule>
static void forEachQuantized(const Tensor &input, const Tensor &scale,
                             const Tensor &zeroPoint,
                             std::optional<int64_t> axis, Rule &&rule) {
  std::vector<int64_t> channel = channelIndices(input.getShape(), axis);
  for (int64_t i = 0, e = input.getNumElements(); i < e; ++i)
    rule(i, asF32(input, i), asF32(scale, channel[i]),
         asI32(zeroPoint, channel[i]));
}

static Tensor evaluateFakeQuant(FakeQuantOp op, const Tensor &input,
                                const Tensor &scale, const Tensor &zeroPoint) {
  std::vector<double> result(input.getNumElements());
  forEachQuantized(input, scale, zeroPoint, op.getAxis(),
                   [&](int64_t i, float x, float s, int32_t zp) {
                     result[i] = qm::fakeQuantize(x, s, zp, op.getQuantMin(),
                                                  op.getQuantMax());
                   });
  return Tensor::fromDoubles(op.getType(), result);
}

static Tensor evaluateFakeQuantGrad(FakeQuantGradOp op, const Tensor &grad,
                                    const Tensor &input, const Tensor &scale,
                                    const Tensor &zeroPoint) {
  std::vector<double> result(input.getNumElements());
  forEachQuantized(input, scale, zeroPoint, op.getAxis(),
                   [&](int64_t i, float x, float s, int32_t zp) {
                     result[i] = qm::passesGradient(x, s, zp, op.getQuantMin(),
                                                    op.getQuantMax())
                                     ? grad.getDoubles()[i]
                                     : 0.0;
                   });
  return Tensor::fromDoubles(op.getType(), result);
}

static Tensor evaluateQuantize(QuantizeOp op, const Tensor &input,
                               const Tensor &scale, const Tensor &zeroPoint) {
  std::vector<int64_t> result(input.getNumElements());
  forEachQuantized(input, scale, zeroPoint, op.getAxis(),
                   [&](int64_t i, float x, float s, int32_t zp) {
                     result[i] = qm::quantize(x, s, zp, op.getQuantMin(),
                                              op.getQuantMax());
                   });
  return Tensor::fromInts(op.getType(), result);
}

static Tensor evaluateDequantize(DequantizeOp op, const Tensor &input,
                                 const Tensor &scale, const Tensor &zeroPoint) {
  std::vector<double> result(input.getNumElements());
  std::vector<int64_t> channel = channelIndices(input.getShape(), op.getAxis());
  for (int64_t i = 0, e = input.getNumElements(); i < e; ++i)
    result[i] = qm::dequantize(asI32(input, i), asF32(scale, channel[i]),
                               asI32(zeroPoint, channel[i]));
  return Tensor::fromDoubles(op.getType(), result);
}

/// acc[i, j] = sum_p (lhs[i, p] - lhsZeroPoint) * (rhs'[p, j] -
/// rhsZeroPoint), rhs' = rhs or its transpose, summed in i64 and wrapped to
/// i32.
static Tensor integerProduct(RankedTensorType type, const Tensor &lhs,
                             int64_t lhsZeroPoint, const Tensor &rhs,
                             int64_t rhsZeroPoint, bool rhsTransposed) {
  int64_t m = lhs.getShape()[0], k = lhs.getShape()[1];
  int64_t n = type.getShape()[1];
  ArrayRef<int64_t> a = lhs.getInts(), b = rhs.getInts();
  std::vector<int64_t> acc(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      // Unsigned, so that wrap-around is defined.
      uint64_t sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        int64_t rhsValue = rhsTransposed ? b[j * k + p] : b[p * n + j];
        sum += static_cast<uint64_t>((a[i * k + p] - lhsZeroPoint) *
                                     (rhsValue - rhsZeroPoint));
      }
      acc[i * n + j] = static_cast<int64_t>(sum);
    }
  // fromInts wraps to the i32 width.
  return Tensor::fromInts(type, acc);
}

KernelResults reference::evaluateQuantOp(Operation *op,
                                         ArrayRef<const Tensor *> operands) {
  auto one = [](Tensor tensor) -> FailureOr<SmallVector<Tensor>> {
    return SmallVector<Tensor>{std::move(tensor)};
  };
  return llvm::TypeSwitch<Operation *, KernelResults>(op)
      .Case([&](ObserveOp observe) -> FailureOr<SmallVector<Tensor>> {
        return evaluateObserve(observe, *operands[0], *operands[1],
                               *operands[2], *operands[3]);
      })
      .Case([&](QuantParamsOp params) -> FailureOr<SmallVector<Tensor>> {
        return evaluateQuantParams(params, *operands[0], *operands[1]);
      })
      .Case([&](FakeQuantOp fake) {
        return one(
            evaluateFakeQuant(fake, *operands[0], *operands[1], *operands[2]));
      })
      .Case([&](FakeQuantGradOp grad) {
        return one(evaluateFakeQuantGrad(grad, *operands[0], *operands[1],
                                         *operands[2], *operands[3]));
      })
      .Case([&](QuantizeOp quantize) {
        return one(evaluateQuantize(quantize, *operands[0], *operands[1],
                                    *operands[2]));
      })
      .Case([&](DequantizeOp dequantize) {
        return one(evaluateDequantize(dequantize, *operands[0], *operands[1],
                                      *operands[2]));
      })
      .Case([&](QuantizedLinearOp linear) {
        return one(integerProduct(linear.getType(), *operands[0],
                                  operands[1]->getInts()[0], *operands[2], 0,
                                  /*rhsTransposed=*/true));
      })
      .Case([&](QuantizedMatmulOp matmul) {
        return one(integerProduct(matmul.getType(), *operands[0],
                                  operands[1]->getInts()[0], *operands[2],
                                  operands[3]->getInts()[0],
                                  /*rhsTransposed=*/false));
      })
      .Default([](Operation *) { return std::nullopt; });
}
