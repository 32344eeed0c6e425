//===- QuantMath.h - the arithmetic of the quantization ops -----*- C++ -*-===//
//
// The scalar rules of mlopt.observe, mlopt.quant_params, mlopt.quantize,
// mlopt.fake_quant and mlopt.fake_quant_grad, written once for the reference
// evaluator, the conversion of checkpoints to int8 (mlopt-quantize
// mode=convert/dynamic) and the tests, so that they agree bit for bit with
// each other and with the CPU lowering (which emits the same f32 operations
// in the same order). They follow PyTorch's torch.ao.quantization:
//
//   inv_scale = 1 / scale                        (f32)
//   q         = clamp(nearbyint(x * inv_scale) + zero_point, qmin, qmax)
//   fake(x)   = (q - zero_point) * scale         (f32)
//
// nearbyint rounds half to even (the default floating-point environment).
// Clamping ignores NaN (fmax/fmin, arith.maxnumf/minnumf): a NaN input
// quantizes to quant_min. Observed ranges ignore NaN elements.
// Header-only and dependency-free.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_SUPPORT_QUANTMATH_H
#define MLOPT_SUPPORT_QUANTMATH_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace mlir::mlopt::quant_math {

/// The smallest scale quant_params returns: f32's epsilon, 2^-23, as
/// PyTorch's observers (torch.finfo(torch.float32).eps).
inline constexpr float kScaleEpsilon = 1.1920928955078125e-07f;

/// The range of an observer that has seen nothing.
inline constexpr float kUnobservedMin = std::numeric_limits<float>::infinity();
inline constexpr float kUnobservedMax = -std::numeric_limits<float>::infinity();

/// The integer range of `bits`-bit signed quantization: [-2^(b-1), 2^(b-1)-1].
inline int64_t signedMin(int64_t bits) { return -(int64_t(1) << (bits - 1)); }
inline int64_t signedMax(int64_t bits) { return (int64_t(1) << (bits - 1)) - 1; }

/// A scale and a zero point.
struct QuantParams {
  float scale;
  int32_t zeroPoint;
};

/// mlopt.quant_params for one range (PyTorch's _calculate_qparams).
inline QuantParams computeQuantParams(float min, float max, int64_t quantMin,
                                      int64_t quantMax, bool symmetric) {
  if (min == kUnobservedMin && max == kUnobservedMax)
    return {1.0f, 0};
  float minNeg = std::min(min, 0.0f);
  float maxPos = std::max(max, 0.0f);
  if (symmetric) {
    float absMax = std::max(-minNeg, maxPos);
    float scale = absMax / (static_cast<float>(quantMax - quantMin) / 2.0f);
    scale = std::max(scale, kScaleEpsilon);
    int32_t zeroPoint =
        quantMin < 0 ? 0 : static_cast<int32_t>((quantMin + quantMax + 1) / 2);
    return {scale, zeroPoint};
  }
  float scale = (maxPos - minNeg) / static_cast<float>(quantMax - quantMin);
  scale = std::max(scale, kScaleEpsilon);
  float shift = std::nearbyint(minNeg / scale);
  int64_t zeroPoint = quantMin - static_cast<int64_t>(shift);
  zeroPoint = std::clamp(zeroPoint, quantMin, quantMax);
  return {scale, static_cast<int32_t>(zeroPoint)};
}

/// The f32 quantization level of `x` before clamping:
/// nearbyint(x * (1 / scale)) + zero_point.
inline float unclampedLevel(float x, float scale, int32_t zeroPoint) {
  float invScale = 1.0f / scale;
  return std::nearbyint(x * invScale) + static_cast<float>(zeroPoint);
}

/// mlopt.quantize of one element: the level clamped to [qmin, qmax].
inline int32_t quantize(float x, float scale, int32_t zeroPoint,
                        int64_t quantMin, int64_t quantMax) {
  float level = unclampedLevel(x, scale, zeroPoint);
  level = std::fmin(std::fmax(level, static_cast<float>(quantMin)),
                    static_cast<float>(quantMax));
  return static_cast<int32_t>(level);
}

/// mlopt.dequantize of one element.
inline float dequantize(int32_t q, float scale, int32_t zeroPoint) {
  return static_cast<float>(q - zeroPoint) * scale;
}

/// mlopt.fake_quant of one element, in f32 (the op rounds it once to the
/// input's type).
inline float fakeQuantize(float x, float scale, int32_t zeroPoint,
                          int64_t quantMin, int64_t quantMax) {
  float level = unclampedLevel(x, scale, zeroPoint);
  level = std::fmin(std::fmax(level, static_cast<float>(quantMin)),
                    static_cast<float>(quantMax));
  return (level - static_cast<float>(zeroPoint)) * scale;
}

/// Whether mlopt.fake_quant_grad passes the gradient of `x`: its level lies
/// in [qmin, qmax] (false for NaN).
inline bool passesGradient(float x, float scale, int32_t zeroPoint,
                           int64_t quantMin, int64_t quantMax) {
  float level = unclampedLevel(x, scale, zeroPoint);
  return level >= static_cast<float>(quantMin) &&
         level <= static_cast<float>(quantMax);
}

/// One step of mlopt.observe for one range. `batchMin`/`batchMax` are the
/// batch's extremes (ignoring NaN elements); `averagingConstant` 0 is
/// the running min/max, else a moving average whose first observation (an
/// unobserved previous range) takes the batch's range.
inline void observe(float &min, float &max, float batchMin, float batchMax,
                    double averagingConstant) {
  if (averagingConstant == 0.0) {
    min = std::fmin(min, batchMin);
    max = std::fmax(max, batchMax);
    return;
  }
  if (min == kUnobservedMin && max == kUnobservedMax) {
    min = batchMin;
    max = batchMax;
    return;
  }
  float c = static_cast<float>(averagingConstant);
  min = min + c * (batchMin - min);
  max = max + c * (batchMax - max);
}

} // namespace mlir::mlopt::quant_math

#endif // MLOPT_SUPPORT_QUANTMATH_H
