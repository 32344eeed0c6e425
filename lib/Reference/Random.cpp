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

// The generator itself (splitmix64, bits, uniform, normal, seedKey,
// dropoutKey, fnv1a64) lives in mlopt/Support/CounterHash.h, shared with the
// lowering and the runtime.

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
  // The embedded values, exactly (the verifier checked the type).
  if (auto value = dyn_cast<ValueInitAttr>(initializer)) {
    if (value.getValue().getType() != type)
      return Tensor();
    return Tensor::fromAttr(value.getValue());
  }
  if (isa<FromSeedInitAttr>(initializer)) {
    // Below 2^52: exact as int64_t.
    std::vector<int64_t> keys(count);
    for (int64_t i = 0; i < count; ++i)
      keys[i] = static_cast<int64_t>(randomSeedKey(seed, stream, i));
    return Tensor::fromInts(type, keys);
  }
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
