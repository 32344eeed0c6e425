//===- Random.cpp - the counter-based generator and initializers ----------===//
//
// docs/TrainingIR.md ("Random numbers"): one generator serves initializers
// and dropout so that every backend draws the same numbers.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

uint64_t reference::splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t reference::randomBits(uint64_t seed, uint64_t stream, uint64_t index) {
  return splitmix64(splitmix64(seed ^ stream) + index);
}

double reference::randomUniform(uint64_t seed, uint64_t stream,
                                uint64_t index) {
  // The top 24 bits, so that the value is exact in f32 as well.
  return static_cast<double>(randomBits(seed, stream, index) >> 40) * 0x1p-24;
}

double reference::randomNormal(uint64_t seed, uint64_t stream, uint64_t index) {
  // Box-Muller; 1 - u is in (0, 1], so the log is finite.
  constexpr double kPi = 3.14159265358979323846;
  double u1 = randomUniform(seed, stream, 2 * index);
  double u2 = randomUniform(seed, stream, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * kPi * u2);
}

uint64_t reference::fnv1a64(StringRef text) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

/// `bound * (2u - 1)` for every element: U(-bound, bound).
static std::vector<double> symmetricUniform(int64_t count, double bound,
                                            uint64_t seed, uint64_t stream) {
  std::vector<double> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = bound * (2.0 * randomUniform(seed, stream, i) - 1.0);
  return values;
}

Tensor reference::sampleInitializer(InitializerAttrInterface initializer,
                                    RankedTensorType type, uint64_t seed,
                                    uint64_t stream) {
  if (!initializer || !type)
    return Tensor();
  int64_t count = type.getNumElements();
  ArrayRef<int64_t> shape = type.getShape();
  std::optional<std::vector<double>> values =
      llvm::TypeSwitch<Attribute, std::optional<std::vector<double>>>(
          initializer)
          .Case([&](ZerosInitAttr) { return std::vector<double>(count, 0.0); })
          .Case([&](OnesInitAttr) { return std::vector<double>(count, 1.0); })
          .Case([&](ConstantInitAttr attr) {
            return std::vector<double>(count,
                                       attr.getValue().convertToDouble());
          })
          .Case([&](UniformInitAttr attr) {
            double low = attr.getLow().convertToDouble();
            double high = attr.getHigh().convertToDouble();
            std::vector<double> result(count);
            for (int64_t i = 0; i < count; ++i)
              result[i] = low + (high - low) * randomUniform(seed, stream, i);
            return result;
          })
          .Case([&](NormalInitAttr attr) {
            double mean = attr.getMean().convertToDouble();
            double std = attr.getStd().convertToDouble();
            std::vector<double> result(count);
            for (int64_t i = 0; i < count; ++i)
              result[i] = mean + std * randomNormal(seed, stream, i);
            return result;
          })
          .Case([&](KaimingUniformInitAttr attr)
                    -> std::optional<std::vector<double>> {
            int64_t fanIn = attr.getFanIn();
            if (fanIn <= 0) {
              if (shape.size() < 2)
                return std::nullopt;
              fanIn = computeFans(shape).first;
            }
            double a = attr.getA().convertToDouble();
            double gain = std::sqrt(2.0 / (1.0 + a * a));
            double bound = gain * std::sqrt(3.0 / static_cast<double>(fanIn));
            return symmetricUniform(count, bound, seed, stream);
          })
          .Case([&](XavierUniformInitAttr attr)
                    -> std::optional<std::vector<double>> {
            if (shape.size() < 2)
              return std::nullopt;
            auto [fanIn, fanOut] = computeFans(shape);
            double gain = attr.getGain().convertToDouble();
            double bound =
                gain * std::sqrt(6.0 / static_cast<double>(fanIn + fanOut));
            return symmetricUniform(count, bound, seed, stream);
          })
          .Default([](Attribute) { return std::nullopt; });
  if (!values)
    return Tensor();
  return Tensor::fromDoubles(type, *values);
}
