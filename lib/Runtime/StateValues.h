//===- StateValues.h - state values as attributes ---------------*- C++ -*-===//
//
// Internal to lib/Runtime: the conversions between a session's state bytes
// and MLIR attributes that the model rewrites on trained state use
// (finalizing pruning, int8 conversion), and the first error diagnostic of
// a pass run as an llvm::Error.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_RUNTIME_STATEVALUES_H
#define MLOPT_LIB_RUNTIME_STATEVALUES_H

#include "mlopt/Runtime/Session.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime::detail {

/// Keeps the first error diagnostic as "file:line:col: message".
class FirstError {
public:
  explicit FirstError(MLIRContext &context);
  /// "<what>: <the diagnostic>", or `what` alone when there was none.
  llvm::Error take(const llvm::Twine &what);

private:
  std::string message;
  ScopedDiagnosticHandler handler;
};

/// A clone of `model`'s module with `modelPasses` (a model-level slot) run
/// on it; the first diagnostic in the error when a pass fails.
llvm::Expected<OwningOpRef<ModuleOp>>
runModelPasses(const Model &model, llvm::ArrayRef<PassBuilder> modelPasses);

/// `bytes`, the runtime's dense little-endian layout of a tensor of `type`,
/// as an attribute (i1 is one byte per element there, one bit in MLIR's
/// raw buffers); failure when the size does not match.
FailureOr<DenseElementsAttr> toAttribute(RankedTensorType type,
                                         llvm::ArrayRef<uint8_t> bytes);

/// The runtime's layout of `attr` (a splat expanded).
std::vector<uint8_t> toBytes(DenseElementsAttr attr);

/// The value of every model tensor of the rewritten `module` (the states
/// whose kind isTrainingStateKind rejects, less a distillation teacher's,
/// which its initializer holds), in declaration order: `valueOf`
/// gives each state's value, which must have the state's type (an error
/// naming `what`, "finalized" or "int8", otherwise).
llvm::Expected<std::vector<TensorData>> collectModelTensors(
    ModuleOp module,
    llvm::function_ref<llvm::Expected<DenseElementsAttr>(StateOp state)>
        valueOf,
    llvm::StringRef what);

/// Writes `module` as text to `modelPath` and `tensors` (a state_dict,
/// saveModelTensors) to `checkpointPath`, each atomically; an empty path
/// writes nothing. The rewritten models (finalized, int8) are written so.
llvm::Error saveModelAndTensors(ModuleOp module,
                                llvm::ArrayRef<TensorData> tensors,
                                llvm::StringRef modelPath,
                                llvm::StringRef checkpointPath);

/// Writes `tensors` into the state of `session`.
llvm::Error writeTensors(llvm::ArrayRef<TensorData> tensors, Session &session);

/// The value of state `name` in `session`, as an attribute of `type`.
llvm::Expected<DenseElementsAttr>
readStateAttr(Session &session, llvm::StringRef name, RankedTensorType type);

} // namespace mlir::mlopt::runtime::detail

#endif // MLOPT_LIB_RUNTIME_STATEVALUES_H
