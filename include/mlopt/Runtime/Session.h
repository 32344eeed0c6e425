//===- Session.h - the mlopt C++ embedding API ------------------*- C++ -*-===//
//
// Load a model, build the training pipeline from typed options, compile it
// for a backend from the registry, and run its entry points on tensors the
// caller owns. docs/Embedding.md shows a complete program.
//
//   auto model = Model::load("examples/toy_linear.mlir");
//   SessionOptions options;
//   options.backend = "cpu";
//   options.pipeline.optimizer.optimizer = "adam";
//   auto session = Session::compile(**model, options);
//   (*session)->init(/*seed=*/0);
//   auto result = (*session)->trainStep({input, label});
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_SESSION_H
#define MLOPT_RUNTIME_SESSION_H

#include "mlopt/Runtime/Backend.h"
#include "mlopt/Runtime/Checkpoint.h"
#include "mlopt/Runtime/Communicator.h"
#include "mlopt/Runtime/Report.h"
#include "mlopt/Transforms/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

/// One argument of the model's loss function.
struct ArgumentInfo {
  std::string name;
  RankedTensorType type;
  bool isLabel = false;
};

/// What the loss function takes and returns.
struct ModelSignature {
  /// The arguments in order (mlopt.input and mlopt.label).
  std::vector<ArgumentInfo> arguments;
  /// The names of the metrics after the loss (`mlopt.metric`), in order.
  std::vector<std::string> metricNames;
  /// The leading dimension shared by every argument.
  int64_t batchSize = 0;
  /// The exclusive bound of the class indices fed through the label
  /// argument, when the model uses it as indices.
  std::optional<int64_t> numClasses;

  /// The single input and label arguments, or null when the model has
  /// another number of them.
  const ArgumentInfo *getInput() const;
  const ArgumentInfo *getLabel() const;
};

/// Reads the signature of the function marked `mlopt.loss`.
llvm::Expected<ModelSignature> readModelSignature(ModuleOp module);

/// A parsed and verified model, in an MLIRContext that has every dialect
/// the pipelines need.
class Model {
public:
  /// Parses the model file at `path` into a context of its own.
  static llvm::Expected<std::unique_ptr<Model>> load(llvm::StringRef path);
  /// Parses `source`; `name` is used in messages.
  static llvm::Expected<std::unique_ptr<Model>>
  parse(llvm::StringRef source, llvm::StringRef name = "<model>");
  /// Takes a clone of `module`, in `module`'s context, which must outlive the
  /// model and every session compiled from it.
  static llvm::Expected<std::unique_ptr<Model>> fromModule(ModuleOp module);

  ~Model();
  ModuleOp getModule() const { return *module; }
  const ModelSignature &getSignature() const { return signature; }
  MLIRContext *getContext() const { return getModule().getContext(); }
  /// The file or name the model came from.
  llvm::StringRef getName() const { return name; }

private:
  Model() = default;
  static llvm::Expected<std::unique_ptr<Model>>
  adopt(std::unique_ptr<MLIRContext> context, OwningOpRef<ModuleOp> module,
        std::string name);

  std::unique_ptr<MLIRContext> ownedContext;
  OwningOpRef<ModuleOp> module;
  ModelSignature signature;
  std::string name;
};

/// Registers, in `registry`, every dialect and interface a model, the
/// training pipeline and the CPU lowering use.
void registerSessionDialects(DialectRegistry &registry);

/// How to compile a model.
struct SessionOptions {
  /// A backend name from the registry (getRegisteredBackends()).
  std::string backend = "cpu";
  /// The training pipeline: its slots and the optimizer. The lowering slot
  /// is filled from the backend.
  TrainingPipelineOptions pipeline;
  /// Options of backends that compile (the compile cache).
  BackendOptions backendOptions;
  /// The communicator the compiled collectives use (data parallelism,
  /// docs/DataParallel.md), which must outlive the session; null is a world
  /// of one. The session makes it the active one around every entry-point
  /// call and returns its pending error after the call. A training module
  /// marked `mlopt.data_parallel_ranks = N` (mlopt-data-parallel) compiles
  /// only for a communicator of N ranks.
  Communicator *communicator = nullptr;
};

/// The exact pass pipeline Session::compile runs for `options`, as
/// `builtin.module(...)` text that `mlopt-opt --pass-pipeline=` replays:
/// the training pipeline followed by the backend's lowering.
llvm::Expected<std::string> printPipeline(const SessionOptions &options);

/// The loss and metrics of one step.
struct StepResult {
  double loss = 0;
  /// `mlopt.metric` values, named as in ModelSignature::metricNames.
  std::vector<std::pair<std::string, double>> metrics;
};

/// A view of caller-owned, dense row-major tensor memory: the runtime reads
/// it during the call and keeps no reference afterwards.
TensorRef viewTensor(llvm::StringRef name, DType dtype,
                     llvm::ArrayRef<int64_t> shape, const void *data);

/// A compiled model with its state: the entry points, named state, and
/// checkpoints.
class Session {
public:
  /// Runs the training pipeline on a clone of the model's module and
  /// compiles the result for `options.backend`. The model must outlive the
  /// session.
  static llvm::Expected<std::unique_ptr<Session>>
  compile(const Model &model, const SessionOptions &options);

  ~Session();

  const ModelSignature &getSignature() const { return signature; }
  /// The state tensors, in declaration order.
  llvm::ArrayRef<StateInfo> getStates() const;
  /// The training module (after the training pipeline, before lowering).
  ModuleOp getTrainingModule() const { return *trainingModule; }
  /// What one step costs as the compiler counts it.
  const StepReport &getReport() const { return report; }
  /// The backend that runs the entry points.
  Backend &getBackend() { return *backend; }
  /// Whether compiling reused the on-disk compile cache.
  bool isLoadedFromCache() const;

  /// `@init(seed)`: every state tensor from its initializer.
  llvm::Error init(uint64_t seed);
  /// One `@train_step` (updating the state) or `@eval_step` on one batch:
  /// the arguments in the loss function's order, each of the argument's
  /// exact dtype and shape (anything else is an error naming the argument).
  llvm::Expected<StepResult> trainStep(llvm::ArrayRef<TensorRef> arguments);
  llvm::Expected<StepResult> evalStep(llvm::ArrayRef<TensorRef> arguments);

  /// Whether the compiled module has `@calibrate_step` (the model has
  /// observer state: mlopt-quantize; docs/Quantization.md).
  bool hasCalibrate() const;
  /// One `@calibrate_step` on one batch, arguments as trainStep's: the
  /// model in evaluation form with its observers updating (static
  /// quantization's calibration); no other state changes. Returns the loss
  /// and the metrics of @eval_step. An error when the model has no
  /// @calibrate_step.
  llvm::Expected<StepResult> calibrateStep(llvm::ArrayRef<TensorRef> arguments);

  /// Whether the compiled module has `@predict_step` (the loss comes from a
  /// LossOpInterface op such as cross_entropy; docs/TrainingIR.md).
  bool hasPredict() const;
  /// `@predict_step` on one batch: the model's input arguments only (no
  /// labels), in the loss function's order, each of the argument's exact
  /// dtype and shape. Returns the prediction (the logits of a classifier)
  /// with its type. An error when the model has no @predict_step.
  llvm::Expected<TensorData> predict(llvm::ArrayRef<TensorRef> inputs);
  /// The names of the values after the loss that trainStep and evalStep
  /// return: each entry point's own `mlopt.metric` results, in order.
  /// @train_step also returns what the pipeline added (the optimizer's "lr").
  llvm::ArrayRef<std::string> getTrainMetricNames() const {
    return trainMetricNames;
  }
  llvm::ArrayRef<std::string> getEvalMetricNames() const {
    return evalMetricNames;
  }

  /// The names of the states the entry point `name` reads (e.g. what
  /// evaluation needs from a checkpoint), in declaration order.
  std::vector<std::string> getStatesReadBy(llvm::StringRef name) const;

  /// The same model and options compiled for another batch size (through
  /// mlopt-set-batch-size), with fresh state: e.g. a step for the last
  /// partial batch of an evaluation.
  llvm::Expected<std::unique_ptr<Session>>
  compileForBatchSize(int64_t batchSize) const;
  /// Copies the state tensors `names` into `other`, a session of the same
  /// model (another batch size).
  llvm::Error copyStateTo(Session &other, llvm::ArrayRef<std::string> names);

  /// Copies state tensor `name` out, or in, as little-endian bytes.
  llvm::Expected<std::vector<uint8_t>> readState(llvm::StringRef name);
  llvm::Error writeState(llvm::StringRef name, llvm::ArrayRef<uint8_t> bytes);

private:
  Session() = default;
  llvm::Error checkArguments(llvm::ArrayRef<TensorRef> arguments) const;
  llvm::Error checkArguments(llvm::ArrayRef<TensorRef> arguments,
                             llvm::ArrayRef<const ArgumentInfo *> expected,
                             llvm::StringRef what) const;
  llvm::Expected<StepResult>
  toStepResult(llvm::Expected<std::vector<double>> values,
               llvm::ArrayRef<std::string> metricNames) const;
  /// Runs `call` (an entry point of the backend) with the session's
  /// communicator active; a collective's error it recorded wins over the
  /// call's own result.
  template <typename T>
  llvm::Expected<T>
  withCommunicator(llvm::function_ref<llvm::Expected<T>()> call);

  OwningOpRef<ModuleOp> trainingModule;
  ModelSignature signature;
  /// The metric names of @train_step and @eval_step.
  std::vector<std::string> trainMetricNames, evalMetricNames;
  StepReport report;
  std::unique_ptr<Backend> backend;
  /// What the session was compiled from, for sessions of other batch sizes.
  const Model *model = nullptr;
  SessionOptions options;
};

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_SESSION_H
