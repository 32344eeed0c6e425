//===- Backend.h - executes a compiled training module ----------*- C++ -*-===//
//
// A backend owns the state buffers of one training module and runs its entry
// points (`init`, `train_step`, `eval_step`, `predict_step`,
// docs/TrainingIR.md). The reference backend interprets the mlopt IR; the CPU
// backend runs JIT-compiled native code.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_BACKEND_H
#define MLOPT_RUNTIME_BACKEND_H

#include "mlopt/Conversion/BufferPlan.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Runtime/Checkpoint.h"
#include "mlopt/Transforms/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

/// A state that holds one rank's chunk of a tensor shaped like another
/// state (`mlopt.shard_of` and `mlopt.shard_ranks`, mlopt-optimizer under
/// ZeRO-1): the full tensor flattened, zero-padded to `ranks` chunks of the
/// state's element count, rank r holding chunk r.
struct ShardInfo {
  /// The state whose shape the full tensor has (`fc1.weight`).
  std::string of;
  /// The group size the state is sharded over.
  int64_t ranks = 1;
  /// The full tensor's shape: what checkpoints hold, under the sharded
  /// state's own name.
  std::vector<int64_t> fullShape;
};

/// One state tensor of a training module: its `mlopt.manifest` entry.
struct StateInfo {
  TensorSpec spec;
  StateKind kind = StateKind::Parameter;
  bool trainable = false;
  /// Set when the state is one rank's chunk (ShardInfo).
  std::optional<ShardInfo> shard;

  /// The state as checkpoints hold it: `spec`, with the full shape when the
  /// state is a shard.
  TensorSpec fullSpec() const;
};

/// Reads the `mlopt.manifest` module attribute (added by mlopt-entry-points),
/// with the shard description of the states the module still declares.
llvm::Expected<std::vector<StateInfo>> readManifest(ModuleOp module);

/// The checkpoint dtype of an MLIR element type, if it has one.
std::optional<DType> dtypeOf(Type elementType);

/// A tensor the runtime returns: its type and little-endian bytes.
struct TensorData {
  TensorSpec spec;
  std::vector<uint8_t> bytes;
};

/// Runs the entry points of one training module.
class Backend {
public:
  virtual ~Backend();

  /// The state tensors, in declaration order.
  virtual llvm::ArrayRef<StateInfo> manifest() const = 0;
  /// Whether the compiled code came from the on-disk compile cache.
  virtual bool isLoadedFromCache() const { return false; }
  /// The bytes of entry point `name`'s planned buffers (the CPU backend's
  /// mlopt-allocs-to-globals); unset for a backend that does not plan them.
  virtual std::optional<BufferBytes>
  getBufferBytes(llvm::StringRef name) const {
    return std::nullopt;
  }
  /// Runs `@init(seed)`, overwriting every state tensor.
  virtual llvm::Error initialize(uint64_t seed) = 0;
  /// Runs `@train_step` (updating the state) or `@eval_step` on one batch,
  /// whose arguments are given in the loss function's order; returns the
  /// loss followed by the metrics.
  virtual llvm::Expected<std::vector<double>>
  trainStep(llvm::ArrayRef<TensorRef> arguments) = 0;
  virtual llvm::Expected<std::vector<double>>
  evalStep(llvm::ArrayRef<TensorRef> arguments) = 0;
  /// Whether the module has `@calibrate_step` (mlopt-entry-points builds it
  /// when the model has observer state: mlopt-quantize).
  virtual bool hasCalibrateStep() const { return false; }
  /// Runs `@calibrate_step` on one batch, arguments as trainStep's: the
  /// evaluation form of the loss that updates the observers and no other
  /// state; returns the loss followed by the metrics. A backend without it
  /// returns an error.
  virtual llvm::Expected<std::vector<double>>
  calibrateStep(llvm::ArrayRef<TensorRef> arguments);
  /// Whether the module has `@predict_step` (mlopt-entry-points builds it
  /// when the loss comes from a LossOpInterface op).
  virtual bool hasPredictStep() const { return false; }
  /// Runs `@predict_step` on one batch of the model's inputs (the
  /// `mlopt.input` arguments, in the loss function's order); returns the
  /// prediction (the logits of a classifier), named "prediction". A backend
  /// without it returns an error.
  virtual llvm::Expected<TensorData>
  predictStep(llvm::ArrayRef<TensorRef> inputs);
  /// Copies state tensor `name` out, or in, as little-endian bytes of its
  /// dtype.
  virtual llvm::Expected<std::vector<uint8_t>>
  readState(llvm::StringRef name) = 0;
  virtual llvm::Error writeState(llvm::StringRef name,
                                 llvm::ArrayRef<uint8_t> bytes) = 0;
};

/// Options of the backends that compile.
struct BackendOptions {
  /// The CPU backend's matmul code: `blas` (OpenBLAS), `vector` (generated,
  /// tiled and vectorized) or `loops`.
  std::string matmul = "blas";
  /// The CPU backend: large generated loops of parallel iterators run on
  /// the runtime's thread pool (CpuCompileOptions::parallelLoops).
  bool parallelLoops = true;
  /// The CPU backend: f32 (f16, bf16) exp, log, erf, tanh, ... as inline
  /// polynomials (CpuCompileOptions::approximateMath); false: libm calls.
  bool approximateMath = true;
  /// The compile cache: a directory (empty: $MLOPT_CACHE_DIR, else
  /// ~/.cache/mlopt) and whether to use it.
  std::string cacheDir;
  bool useCache = true;
};

/// A backend of the registry.
struct BackendInfo {
  std::string name;
  std::string description;
  /// Adds the passes that lower a training module for this backend (none
  /// for an interpreter); `--print-pipeline` shows them.
  std::function<llvm::Error(OpPassManager &, const BackendOptions &)>
      buildLowering;
  /// Compiles a training module (after the training pipeline) into a
  /// backend that owns its state. The module must outlive the backend.
  std::function<llvm::Expected<std::unique_ptr<Backend>>(
      ModuleOp, const BackendOptions &)>
      create;
};

/// Adds `info` to the registry (replacing a backend of the same name). The
/// built-in backends, `reference` and `cpu`, are always registered.
void registerBackend(BackendInfo info);
/// The backend called `name`; an unknown name is an error that lists the
/// registered ones.
llvm::Expected<const BackendInfo &> lookupBackend(llvm::StringRef name);
/// The registered backend names, sorted.
std::vector<std::string> getRegisteredBackends();

/// Interprets `module` (a training module before lowering) with the
/// reference evaluator.
llvm::Expected<std::unique_ptr<Backend>>
createReferenceBackend(ModuleOp module);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_BACKEND_H
