//===- Quantization.h - int8 models from trained sessions -------*- C++ -*-===//
//
// The runtime side of `mlopt-quantize` (docs/Quantization.md): where a
// pipeline of model-level passes converts the model to int8, and the
// conversion of a trained float session (QAT-trained, calibrated, or plain
// for dynamic quantization) into the int8 model and its tensors --
// `convertToInt8` on the model, `computeQuantizedStateValue` on the
// session's state (Transforms/Quantize.h). As Runtime/Pruning.h's
// finalization, the int8 model is a model of its own that mlopt-run and
// Model::fromModule take with no passes.
//
//   // The session was compiled with mlopt-quantize{mode=static} and
//   // calibrated with Session::calibrateStep.
//   auto quantized = quantizeModel(*model, options.pipeline.modelPasses,
//                                  *session, /*dynamic=*/false);
//   saveQuantizedModel(*quantized, "int8.mlir", "int8.safetensors");
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_QUANTIZATION_H
#define MLOPT_RUNTIME_QUANTIZATION_H

#include "mlopt/Runtime/Data.h"
#include "mlopt/Runtime/Session.h"
#include "mlopt/Transforms/Quantize.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

//===----------------------------------------------------------------------===//
// Where a pipeline quantizes
//===----------------------------------------------------------------------===//

/// What the mlopt-quantize passes of a model-level pipeline ask the runtime
/// to do.
struct QuantizationPlan {
  /// The passes the float session is compiled with (mlopt-opt pipeline
  /// text, possibly empty): the pipeline without a final
  /// `mlopt-quantize{mode=convert}` or `{mode=dynamic}`.
  std::string sessionPasses;
  /// How the int8 model is made from the trained session at the end of the
  /// run: Convert (an explicit final mode=convert, or mode=static, whose
  /// observers are calibrated first), Dynamic, or nothing.
  std::optional<QuantizeMode> conversion;
  /// Whether the pipeline has mode=static: the session's observers need
  /// calibration (Session::calibrateStep) before the conversion.
  bool calibrate = false;
  /// Whether the pipeline has mode=qat.
  bool qat = false;
  /// The options of the final mode=dynamic pass (its `ops`, `per-channel`).
  Int8ConversionOptions conversionOptions;
};

/// Reads the mlopt-quantize passes of `passes` (mlopt-opt pipeline text,
/// registered passes). Errors: a text that does not parse, a mode=convert
/// or mode=dynamic pass that is not the last pass (the int8 model is made
/// from the trained session), mode=convert without a mode=qat or
/// mode=static before it.
llvm::Expected<QuantizationPlan> planQuantization(llvm::StringRef passes);

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

/// Runs `batches` full batches of `dataset`, in the order of its first
/// shuffled epoch for `seed` (shuffledOrder), through
/// Session::calibrateStep: the observers of mlopt-quantize{mode=static}
/// record the ranges of the float model's activations, nothing else changes.
/// Errors: a session without @calibrate_step, fewer full batches in
/// `dataset` than `batches`, a failing step.
llvm::Error calibrate(Session &session, const Dataset &dataset, int64_t batches,
                      uint64_t seed);

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

/// An int8 model and its tensors.
struct QuantizedModel {
  /// The int8 model-level module, in the source model's context: int8
  /// weights, scales and zero points as state, no observers.
  OwningOpRef<ModuleOp> module;
  /// The value of every model tensor of `module` (isTrainingStateKind is
  /// false; not a distillation teacher's, which its initializer holds), in
  /// declaration order.
  std::vector<TensorData> tensors;
  /// What the conversion did to the states (Transforms/Quantize.h).
  QuantConversion conversion;
};

/// Converts a trained float session to int8: runs `modelPasses` (the passes
/// the session was compiled with before the conversion, e.g. mlopt-quantize
/// {mode=qat} or {mode=static}; none for dynamic quantization of a float
/// model) on a clone of `model`'s module, then `convertToInt8(module,
/// dynamic, options)`, and computes every tensor of the int8 model from
/// `session`'s state (computeQuantizedStateValue for the new and retyped
/// states, the session's value for the others). `session` must be compiled from
/// `model` with those passes (and possibly passes that keep the states, such as
/// mlopt-amp). Errors: a pass or the conversion failing (with its first
/// diagnostic), a state the session does not have or holds with another
/// type.
llvm::Expected<QuantizedModel>
quantizeModel(const Model &model, llvm::ArrayRef<PassBuilder> modelPasses,
              Session &session, bool dynamic,
              const Int8ConversionOptions &options = {});

/// Writes the int8 module as text to `modelPath` and its tensors (int8
/// weights, scales, zero points and the float tensors) to `checkpointPath`
/// (a state_dict, saveModelTensors), each atomically; an empty path writes
/// nothing.
llvm::Error saveQuantizedModel(const QuantizedModel &quantized,
                               llvm::StringRef modelPath,
                               llvm::StringRef checkpointPath);

/// Writes the int8 tensors into the state of `session`, compiled from the
/// int8 module.
llvm::Error loadQuantizedTensors(const QuantizedModel &quantized,
                                 Session &session);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_QUANTIZATION_H
