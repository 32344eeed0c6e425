//===- CounterHash.h - the counter-based random streams ---------*- C++ -*-===//
//
// docs/TrainingIR.md ("Random numbers"): one counter-based generator serves
// initializers, `rng` states, dropout and the runtime's synthetic data, so
// every backend draws the same numbers. The arithmetic is written once, as
// templates over an "arithmetic" policy: HostArith evaluates it on uint64_t
// (the reference evaluator, the runtime), and the lowering instantiates the
// same templates with a policy that emits arith ops, so the compiled code and
// the reference cannot drift apart. Header-only and dependency-free.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_SUPPORT_COUNTERHASH_H
#define MLOPT_SUPPORT_COUNTERHASH_H

#include <cmath>
#include <cstdint>
#include <string_view>

namespace mlir::mlopt::counter_hash {

/// splitmix64's increment (the golden ratio), also the Weyl step of the
/// sequential SplitMix64 generator.
inline constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;
/// The two multiply steps of splitmix64's finalizer, x = (x ^ (x >> shift))
/// * multiplier, then a last x ^ (x >> kFinalShift).
struct MixStep {
  unsigned shift;
  uint64_t multiplier;
};
inline constexpr MixStep kMixSteps[] = {{30, 0xBF58476D1CE4E5B9ULL},
                                        {27, 0x94D049BB133111EBULL}};
inline constexpr unsigned kFinalShift = 31;

/// uniform() keeps the top 24 bits, so the value is exact in f32 as well.
inline constexpr unsigned kUniformBits = 24;
inline constexpr double kUniformScale = 0x1p-24;

/// `#mlopt.from_seed` keeps the top 52 bits of `bits`, so the value of an
/// `rng` state stays below 2^52 and train_step's increment (through f64,
/// exact below 2^53) stays exact for 2^52 steps.
inline constexpr unsigned kSeedKeyShift = 12;

/// FNV-1a, 64-bit: the stream of a state is the hash of its name.
inline constexpr uint64_t kFnvOffsetBasis = 0xCBF29CE484222325ULL;
inline constexpr uint64_t kFnvPrime = 0x100000001B3ULL;

/// The arithmetic the templates below need, on host integers (all wrapping
/// modulo 2^64). An IR-emitting policy provides the same members on its own
/// value type.
struct HostArith {
  using Int = uint64_t;
  using Float = double;
  constexpr Int constant(uint64_t value) const { return value; }
  constexpr Int add(Int a, Int b) const { return a + b; }
  constexpr Int mul(Int a, Int b) const { return a * b; }
  constexpr Int bitXor(Int a, Int b) const { return a ^ b; }
  constexpr Int shiftRight(Int a, unsigned shift) const { return a >> shift; }
  /// Unsigned integer to float.
  constexpr Float toFloat(Int a) const { return static_cast<double>(a); }
  constexpr Float mulFloat(Float a, double factor) const { return a * factor; }
};

// Each step is its own statement so that an IR-emitting policy creates its
// ops in a fixed order (the order of function arguments is unspecified).

/// splitmix64's output function on `x`.
template <typename Arith>
constexpr typename Arith::Int mix(const Arith &a, typename Arith::Int x) {
  typename Arith::Int gamma = a.constant(kGoldenGamma);
  x = a.add(x, gamma);
  for (const MixStep &step : kMixSteps) {
    typename Arith::Int shifted = a.shiftRight(x, step.shift);
    typename Arith::Int folded = a.bitXor(x, shifted);
    typename Arith::Int multiplier = a.constant(step.multiplier);
    x = a.mul(folded, multiplier);
  }
  typename Arith::Int shifted = a.shiftRight(x, kFinalShift);
  return a.bitXor(x, shifted);
}

/// bits(seed, stream, i) = mix(mix(seed ^ stream) + i).
template <typename Arith>
constexpr typename Arith::Int bits(const Arith &a, typename Arith::Int seed,
                                   typename Arith::Int stream,
                                   typename Arith::Int index) {
  typename Arith::Int streamKey = mix(a, a.bitXor(seed, stream));
  return mix(a, a.add(streamKey, index));
}

/// uniform(seed, stream, i) = (bits >> 40) * 2^-24, in [0, 1).
template <typename Arith>
constexpr typename Arith::Float
uniform(const Arith &a, typename Arith::Int seed, typename Arith::Int stream,
        typename Arith::Int index) {
  typename Arith::Int top =
      a.shiftRight(bits(a, seed, stream, index), 64 - kUniformBits);
  typename Arith::Float asFloat = a.toFloat(top);
  return a.mulFloat(asFloat, kUniformScale);
}

/// seedKey(seed, stream, i) = bits(seed, stream, i) >> 12, in [0, 2^52): the
/// value `#mlopt.from_seed` gives element i of an `rng` state.
template <typename Arith>
constexpr typename Arith::Int seedKey(const Arith &a, typename Arith::Int seed,
                                      typename Arith::Int stream,
                                      typename Arith::Int index) {
  typename Arith::Int drawn = bits(a, seed, stream, index);
  return a.shiftRight(drawn, kSeedKeyShift);
}

/// dropoutKey(state) = mix(state): the seed a dropout draws its mask with
/// from the value of its `rng` state. Hashing the state first keeps the
/// masks of consecutive steps unrelated for every stream: with the state as
/// the seed, stream s at state x would draw what stream s' draws at state
/// x ^ s ^ s' (a nearby step, for small streams).
template <typename Arith>
constexpr typename Arith::Int dropoutKey(const Arith &a,
                                         typename Arith::Int state) {
  return mix(a, state);
}

//===----------------------------------------------------------------------===//
// Host entry points
//===----------------------------------------------------------------------===//

constexpr uint64_t splitmix64(uint64_t x) { return mix(HostArith(), x); }

constexpr uint64_t randomBits(uint64_t seed, uint64_t stream, uint64_t index) {
  return bits(HostArith(), seed, stream, index);
}

constexpr double randomUniform(uint64_t seed, uint64_t stream, uint64_t index) {
  return uniform(HostArith(), seed, stream, index);
}

constexpr uint64_t randomSeedKey(uint64_t seed, uint64_t stream,
                                 uint64_t index) {
  return seedKey(HostArith(), seed, stream, index);
}

/// The uniform that decides element `index` of a dropout whose `rng` state
/// holds `state`: uniform(dropoutKey(state), stream, index).
constexpr double dropoutUniform(uint64_t state, uint64_t stream,
                                uint64_t index) {
  return randomUniform(dropoutKey(HostArith(), state), stream, index);
}

/// Box-Muller on uniforms 2i and 2i + 1; 1 - u is in (0, 1], so the log is
/// finite.
inline double randomNormal(uint64_t seed, uint64_t stream, uint64_t index) {
  constexpr double kPi = 3.14159265358979323846;
  double u1 = randomUniform(seed, stream, 2 * index);
  double u2 = randomUniform(seed, stream, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * kPi * u2);
}

/// FNV-1a 64-bit hash of `text`: the stream of a state's initializer.
constexpr uint64_t fnv1a64(std::string_view text) {
  uint64_t hash = kFnvOffsetBasis;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

// The published test vectors, checked at compile time.
static_assert(splitmix64(0) == 0xE220A8397B1DCDAFULL);
static_assert(fnv1a64("") == kFnvOffsetBasis);
static_assert(fnv1a64("a") == 0xAF63DC4C8601EC8CULL);
static_assert(randomSeedKey(0, 0, 0) == randomBits(0, 0, 0) >> 12);
static_assert(randomSeedKey(~0ULL, 1, 2) < (1ULL << 52));

} // namespace mlir::mlopt::counter_hash

#endif // MLOPT_SUPPORT_COUNTERHASH_H
