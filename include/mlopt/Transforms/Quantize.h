//===- Quantize.h - mlopt-quantize's int8 conversion ------------*- C++ -*-===//
//
// The model rewrite behind `mlopt-quantize{mode=convert}` and
// `{mode=dynamic}` (issue #12), and the matching change of the state values,
// so that the runtime can convert a float checkpoint (with the observers of
// QAT or calibration) into the int8 model's tensors. As PruneFinalize.h, the
// rewrite of the IR and of the values are separate.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_QUANTIZE_H
#define MLOPT_TRANSFORMS_QUANTIZE_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt {

/// The modes of mlopt-quantize.
enum class QuantizeMode { Qat, Static, Dynamic, Convert };

/// The attribute with which mode=qat and mode=static stamp every quantized
/// op: its layer name (StringAttr), the prefix of its states' names.
inline constexpr llvm::StringLiteral kQuantLayerAttrName = "mlopt.quant_layer";

/// The `step` state (`tensor<i64>`) that counts the training steps for
/// `freeze-observers-after`.
inline constexpr llvm::StringLiteral kQuantizationStepStateName =
    "quantization.step";

/// `<layer>.<role>_observer.min_val` (or `.max_val`).
inline std::string getObserverStateName(llvm::StringRef layer,
                                        llvm::StringRef role, bool max) {
  return (layer + "." + role + "_observer." + (max ? "max_val" : "min_val"))
      .str();
}

/// `<layer>.<role>.scale` (or `.zero_point`) of the int8 model.
inline std::string getQuantParamStateName(llvm::StringRef layer,
                                          llvm::StringRef role,
                                          bool zeroPoint) {
  return (layer + "." + role + (zeroPoint ? ".zero_point" : ".scale")).str();
}

/// The mode of `pass` when it is an mlopt-quantize pass, else nullopt. The
/// runtime uses it to find where a pipeline needs state values (convert,
/// dynamic) or calibration (static).
std::optional<QuantizeMode> getQuantizeMode(const Pass &pass);

/// How one state of the int8 model gets its value from the float model's.
struct QuantizedStateValue {
  enum class Kind {
    /// `state` (i8) = quantize(source) with the parameters of the range.
    Int8Weight,
    /// `state` (f32) = the scale of the range.
    Scale,
    /// `state` (i32) = the zero point of the range.
    ZeroPoint,
  };
  Kind kind;
  /// The state of the int8 model (`fc1.weight`, `fc1.weight.scale`,
  /// `fc1.input.zero_point`).
  std::string state;
  /// The float state quantized (Int8Weight), or the float state whose own
  /// range gives the parameters (dynamic mode: weights have no observer);
  /// may equal `state`.
  std::string source;
  /// The observer states holding the range (`fc1.weight_observer.min_val`,
  /// `.max_val`), or empty: the range of `source` itself, per channel along
  /// `axis` (dynamic mode).
  std::string observerMin, observerMax;
  int64_t quantMin, quantMax;
  bool symmetric;
  /// Per-channel along this dimension of `source`; per tensor when unset.
  std::optional<int64_t> axis;
};

/// What the int8 conversion did to the model.
struct QuantConversion {
  /// The states the int8 model has that the float model lacks or holds in
  /// another type, in declaration order.
  std::vector<QuantizedStateValue> values;
  /// The float model's states that the int8 model no longer has (the
  /// observers, `quantization.step`).
  std::vector<std::string> removedStates;
};

/// The options of mode=dynamic (mode=convert takes its layers and their
/// granularity from the observers, and the integer range of an operand from
/// the `fake_quant` it replaces, else from the bits here).
struct Int8ConversionOptions {
  /// The names of the ops to quantize (dynamic); empty: every op with
  /// QuantizableOpInterface.
  std::vector<std::string> ops;
  /// Weights per output channel (QuantizedOperand::channelAxis), else per
  /// tensor (dynamic).
  bool perChannel = true;
  /// Bits (2..8) of the symmetric operands (weights) and of the affine ones
  /// (activations), stored in i8 with the range [-2^(b-1), 2^(b-1) - 1].
  /// Activations default to 7 bits as in PyTorch's x86 quantization
  /// (`reduce_range`, also quantize_dynamic's): the AVX2 int8 kernel's exact
  /// fast path, and the same model on every CPU.
  int64_t weightBits = 8, activationBits = 7;
};

/// The options of `pass` when it is an mlopt-quantize pass, else nullopt.
std::optional<Int8ConversionOptions> getInt8ConversionOptions(const Pass &pass);

/// Rewrites the model-level `module` into its int8 inference form
/// (mode=convert when `dynamic` is false: from the observers of mode=qat or
/// mode=static; mode=dynamic: weights only, activations quantized per batch).
/// States initialized with `#mlopt.value` whose values the conversion can
/// compute get their int8 values; the others are initialized with zeros
/// (the runtime computes them from a checkpoint with
/// computeQuantizedStateValue). On failure, emits a located error; the
/// module may be partially rewritten.
FailureOr<QuantConversion>
convertToInt8(ModuleOp module, bool dynamic,
              const Int8ConversionOptions &options = {});

/// Computes one value of the int8 model. `lookup` returns the float model's
/// value of a state (null when it has none). Fails, without a diagnostic,
/// when a state is missing or has another type than expected.
FailureOr<DenseElementsAttr> computeQuantizedStateValue(
    const QuantizedStateValue &value,
    llvm::function_ref<DenseElementsAttr(llvm::StringRef state)> lookup);

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_QUANTIZE_H
