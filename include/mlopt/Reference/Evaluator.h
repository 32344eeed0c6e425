//===- Evaluator.h - reference interpreter of the mlopt dialect -*- C++ -*-===//
//
// A straightforward interpreter for every mlopt op: the numerical oracle for
// gradient checks, optimizer tests, differential tests of compiled code and
// `mlopt-run --backend=reference`. Simple rather than fast; every op computes
// in f64 and rounds its result to the element type.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_REFERENCE_EVALUATOR_H
#define MLOPT_REFERENCE_EVALUATOR_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Support/CounterHash.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mlir::mlopt::reference {

/// A dense row-major tensor value. Float tensors hold doubles, rounded to the
/// element type's precision (f16/bf16/f32) after every op; integer and i1
/// tensors hold int64_t (integers wrapped to their width, i1 as 0 or 1).
class Tensor {
public:
  Tensor() = default;
  static Tensor zeros(RankedTensorType type);
  /// Rounds each value to the element type; on an integer type converts
  /// like mlopt.cast. `values` has one entry per element.
  static Tensor fromDoubles(RankedTensorType type, ArrayRef<double> values);
  /// Wraps each value to the element type's width (i1: nonzero is 1); on a
  /// float type converts like mlopt.cast.
  static Tensor fromInts(RankedTensorType type, ArrayRef<int64_t> values);
  /// The value of a DenseElementsAttr (splats included).
  static Tensor fromAttr(DenseElementsAttr attr);

  RankedTensorType getType() const { return type; }
  Type getElementType() const;
  ArrayRef<int64_t> getShape() const;
  int64_t getNumElements() const;
  bool isFloat() const;
  ArrayRef<double> getDoubles() const { return doubles; }
  MutableArrayRef<double> getDoubles() { return doubles; }
  ArrayRef<int64_t> getInts() const { return ints; }
  MutableArrayRef<int64_t> getInts() { return ints; }

  /// Element `index` as a double, whatever the element type.
  double getAsDouble(int64_t index) const;
  /// The same values as an attribute of this tensor's type.
  DenseElementsAttr toAttr() const;
  /// A null tensor (default-constructed) has no type and no elements.
  explicit operator bool() const { return static_cast<bool>(type); }

private:
  RankedTensorType type;
  std::vector<double> doubles;
  std::vector<int64_t> ints;
};

/// State tensors by name (the names of the mlopt.state symbols).
using StateMap = std::map<std::string, Tensor>;

/// Interprets the functions of one module.
class Evaluator {
public:
  explicit Evaluator(ModuleOp module);

  /// Interprets func.func `name` with `args`, reading and writing `state`.
  /// Errors (an unsupported op, a label or index out of range, a missing
  /// state tensor, wrong argument count/types) are emitted as located
  /// diagnostics through the module's MLIRContext and return failure. The
  /// module is verified first.
  FailureOr<SmallVector<Tensor>> call(StringRef name, ArrayRef<Tensor> args,
                                      StateMap &state);

  /// Sets every mlopt.state of the module from its initializer, with `seed`;
  /// identical to what mlopt.initial_value computes (stream =
  /// fnv1a64(name)).
  LogicalResult initializeState(uint64_t seed, StateMap &state);

  /// Nested func.call depth beyond which a call fails (recursion guard).
  static constexpr unsigned kMaxCallDepth = 128;

private:
  FailureOr<SmallVector<Tensor>> callFunction(Operation *func,
                                              ArrayRef<Tensor> args,
                                              StateMap &state, unsigned depth);

  ModuleOp module;
};

/// The generator of docs/TrainingIR.md ("Random numbers"), defined once in
/// mlopt/Support/CounterHash.h; fnv1a64 hashes a state's name into the
/// stream of its initializer.
using counter_hash::dropoutUniform;
using counter_hash::fnv1a64;
using counter_hash::randomBits;
using counter_hash::randomNormal;
using counter_hash::randomSeedKey;
using counter_hash::randomUniform;
using counter_hash::splitmix64;

/// Fills a tensor of `type` from `initializer` as mlopt.initial_value does.
/// Returns a null Tensor for an initializer this evaluator does not know or
/// one that does not apply to `type` (e.g. computed fans of a rank < 2
/// tensor).
Tensor sampleInitializer(InitializerAttrInterface initializer,
                         RankedTensorType type, uint64_t seed, uint64_t stream);

} // namespace mlir::mlopt::reference

#endif // MLOPT_REFERENCE_EVALUATOR_H
