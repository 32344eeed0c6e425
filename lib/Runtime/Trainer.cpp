//===- Trainer.cpp - what mlopt-run does, as one call ---------------------===//

#include "mlopt/Runtime/Trainer.h"
#include "RuntimeError.h"
#include "StateValues.h"

#include "mlopt/Runtime/CheckpointPolicy.h"
#include "mlopt/Runtime/DatasetSpec.h"
#include "mlopt/Runtime/LossScaling.h"
#include "mlopt/Runtime/Metrics.h"
#include "mlopt/Runtime/Pruning.h"
#include "mlopt/Runtime/Quantization.h"
#include "mlopt/Runtime/TrainingLoop.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <cmath>
#include <unistd.h>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::makeError;

char EveryRankError::ID = 0;

/// The number of ranks of the run and this process's rank.
static int64_t worldSize(const TrainerOptions &options) {
  return options.session.communicator ? options.session.communicator->size()
                                      : 1;
}
static int64_t worldRank(const TrainerOptions &options) {
  return options.session.communicator ? options.session.communicator->rank()
                                      : 0;
}

/// The session options with the textual slots parsed; `modelPasses` is the
/// text of the model-level slot (`--passes` less a final int8 conversion).
static Expected<SessionOptions>
buildSessionOptions(const TrainerOptions &options, StringRef modelPasses) {
  SessionOptions session = options.session;
  auto addSlot = [](StringRef text, std::vector<PassBuilder> &slot) -> Error {
    if (text.empty())
      return Error::success();
    std::string errors;
    llvm::raw_string_ostream errorStream(errors);
    FailureOr<PassBuilder> builder = parsePassBuilder(text, errorStream);
    if (failed(builder)) {
      // The parser's message is "<buffer>:1:1: error: <what>\n<pipeline>\n^".
      StringRef message = StringRef(errors).split('\n').first;
      size_t at = message.find("error: ");
      if (at != StringRef::npos)
        message = message.drop_front(at + strlen("error: "));
      return makeError("bad pass pipeline '" + text + "': " + message);
    }
    slot.push_back(std::move(*builder));
    return Error::success();
  };
  if (Error error = addSlot(modelPasses, session.pipeline.modelPasses))
    return std::move(error);
  // Mixed precision comes after the model's own passes (DESIGN section 4:
  // mlopt-amp follows pruning, quantization and distillation).
  if (!options.amp.empty()) {
    MLOptAmpOptions amp;
    amp.dtype = options.amp;
    session.pipeline.modelPasses.push_back(
        [amp](OpPassManager &pm) { pm.addPass(createMLOptAmp(amp)); });
  }
  // Data parallelism comes first after autodiff: the gradients the later
  // passes see (loss scaling's finite check, clipping) are the averaged ones
  // (or this rank's shard of them).
  if (!options.dataParallel.empty()) {
    MLOptDataParallelOptions dataParallel;
    dataParallel.ranks = worldSize(options);
    dataParallel.bucketMb = options.bucketMb;
    dataParallel.zero = options.dataParallel == "zero1" ? 1 : 0;
    session.pipeline.postAutodiffPasses.push_back(
        [dataParallel](OpPassManager &pm) {
          pm.addPass(createMLOptDataParallel(dataParallel));
        });
  }
  if (Error error = addSlot(options.postAutodiffPasses,
                            session.pipeline.postAutodiffPasses))
    return std::move(error);
  // f16's narrow range needs dynamic loss scaling (GradScaler's defaults);
  // bf16 has f32's exponent range and trains without it, as in PyTorch.
  if (options.amp == "f16")
    session.pipeline.postAutodiffPasses.push_back([](OpPassManager &pm) {
      pm.addPass(createMLOptLossScaling(MLOptLossScalingOptions()));
    });
  // The model's own batch is only known once it is loaded; at that size the
  // pass changes nothing. --batch-size is the global batch: each rank
  // compiles its part (runTrainer checks that it divides).
  if (options.batchSize > 0)
    session.pipeline.batchSize = options.batchSize / worldSize(options);
  return session;
}

/// Lowers a clone of the training module with the backend's lowering and
/// writes it: the IR that `mlopt-opt --pass-pipeline=<--print-pipeline>`
/// produces from the model.
static Error emitLoweredModule(Session &session, const SessionOptions &options,
                               StringRef path) {
  Expected<const BackendInfo &> backend = lookupBackend(options.backend);
  if (!backend)
    return backend.takeError();
  OwningOpRef<ModuleOp> clone(session.getTrainingModule().clone());
  PassManager pm(clone->getContext(), ModuleOp::getOperationName());
  if (backend->buildLowering)
    if (Error error = backend->buildLowering(pm, options.backendOptions))
      return error;
  if (failed(pm.run(*clone)))
    return makeError("lowering for the " + options.backend + " backend failed");
  std::error_code ec;
  llvm::ToolOutputFile file(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  clone->print(file.os());
  file.os() << "\n";
  file.keep();
  return Error::success();
}

static std::string formatMetrics(const Evaluation &eval, StringRef prefix) {
  std::string text = llvm::formatv("{0}loss {1:f4}", prefix, eval.loss).str();
  for (const auto &[name, value] : eval.metrics)
    text += llvm::formatv(", {0}{1} {2:f4}", prefix, name, value).str();
  return text;
}

/// The first record of the metrics file: what the run was asked to do, the
/// optimizer with every mlopt-optimizer option, and the machine.
static MetricsRecord configRecord(const TrainerOptions &options,
                                  const Session &session) {
  const SessionOptions &sessionOptions = options.session;
  llvm::json::Object optimizer;
  const MLOptOptimizerOptions &optimizerOptions =
      sessionOptions.pipeline.optimizer;
  // optimizer["lr"] = optimizerOptions.lr; and so on, for every option.
#define MLOPT_CONFIG_OPTION(field, argument, type, defaultValue, description)  \
  optimizer[argument] = optimizerOptions.field;
  MLOPT_MLOptOptimizer_OPTIONS(MLOPT_CONFIG_OPTION);
#undef MLOPT_CONFIG_OPTION
  MetricsRecord record;
  record.add("event", "config")
      .add("mlopt_version", MLOPT_VERSION)
      .add("model", options.modelPath)
      .add("backend", sessionOptions.backend)
      .add("passes", options.passes)
      .add("post_autodiff_passes", options.postAutodiffPasses)
      .add("amp", options.amp)
      .add("optimizer", std::move(optimizer))
      .add("train", options.evalOnly ? std::string() : options.train)
      .add("test", options.test)
      .add("epochs", options.epochs)
      .add("steps", options.steps)
      .add("batch_size", session.getSignature().batchSize * worldSize(options))
      .add("seed", options.seed)
      .add("load", options.loadPath)
      .add("eval_only", options.evalOnly)
      .add("finalize_pruning", options.finalizePruning)
      .add("calibrate", options.calibrate)
      .add("cpu", toJson(detectHostCpu()));
  if (!options.dataParallel.empty())
    record.add("data_parallel", options.dataParallel)
        .add("world_size", worldSize(options))
        .add("bucket_mb", options.bucketMb);
  return record;
}

static void addMetrics(MetricsRecord &record, const Evaluation &eval) {
  record.add("test_loss", eval.loss);
  for (const auto &[name, value] : eval.metrics)
    record.add("test_" + name, value);
}

/// Writes the predictions of every sample of `dataset` to `path` as .npy,
/// atomically (a temporary file renamed into place).
static Error writePredictions(Session &session, const Dataset &dataset,
                              StringRef path) {
  Expected<NpyArray> predictions = predict(session, dataset);
  if (!predictions)
    return predictions.takeError();
  Expected<std::vector<uint8_t>> bytes = writeNpyBytes(*predictions);
  if (!bytes)
    return bytes.takeError();
  if (Error error = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        os.write(reinterpret_cast<const char *>(bytes->data()), bytes->size());
        return Error::success();
      }))
    return makeError("cannot write '" + path +
                     "': " + llvm::toString(std::move(error)));
  return Error::success();
}

/// `path` made absolute and normalized, for comparing paths that may not
/// exist yet; an existing file resolves through links.
static std::string canonicalPath(StringRef path) {
  llvm::SmallString<256> real;
  if (!llvm::sys::fs::real_path(path, real))
    return std::string(real);
  llvm::SmallString<256> absolute(path);
  llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  return std::string(absolute);
}

/// Where the metrics of a running run go: renamed to --metrics when the run
/// succeeds, so a failed run leaves an earlier file intact (and its own
/// records beside it for a look at what went wrong).
static std::string metricsPartialPath(const TrainerOptions &options) {
  return options.metricsPath + ".partial";
}

/// Checks, before anything runs, that the files the run writes are distinct,
/// overwrite none of its inputs (a checkpoint may replace the one it
/// resumed from: saves are atomic), and go to writable directories.
static Error checkOutputPaths(const TrainerOptions &options) {
  std::vector<std::pair<std::string, std::string>> outputs;
  auto addOutput = [&](StringRef flag, const std::string &path) {
    if (!path.empty())
      outputs.emplace_back(flag.str(), path);
  };
  addOutput("--save", options.savePath);
  addOutput("--metrics", options.metricsPath);
  addOutput("--predict", options.predictPath);
  addOutput("--emit-mlir", options.emitMlirPath);
  addOutput("--save-model", options.saveModelPath);
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"the model", options.modelPath}};
  if (!options.loadPath.empty())
    inputs.emplace_back("--load", options.loadPath);
  for (const std::string &file :
       getDatasetSpecFiles(options.train, Split::Train))
    inputs.emplace_back("--train", file);
  for (const std::string &file : getDatasetSpecFiles(options.test, Split::Test))
    inputs.emplace_back("--test", file);

  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto &[flag, path] = outputs[i];
    std::string canonical = canonicalPath(path);
    for (size_t j = 0; j < i; ++j)
      if (canonicalPath(outputs[j].second) == canonical)
        return makeError(outputs[j].first + " and " + flag +
                         " name the same file '" + path + "'");
    for (const auto &[what, input] : inputs)
      if (canonicalPath(input) == canonical &&
          !(flag == "--save" && what == "--load"))
        return makeError(flag + "='" + path + "' would overwrite " + what +
                         " ('" + input + "')");
    StringRef directory = llvm::sys::path::parent_path(canonical);
    if (!llvm::sys::fs::is_directory(directory))
      return makeError("cannot write " + flag + "='" + path +
                       "': no directory '" + directory + "'");
    if (::access(directory.str().c_str(), W_OK) != 0)
      return makeError("cannot write " + flag + "='" + path + "': '" +
                       directory + "' is not writable");
    if (llvm::sys::fs::is_directory(canonical))
      return makeError("cannot write " + flag + "='" + path +
                       "': it is a directory");
  }
  return Error::success();
}

/// "F32 [256, 784]" of a state type.
static std::string formatStateType(RankedTensorType type) {
  std::optional<DType> dtype = dtypeOf(type.getElementType());
  if (!dtype)
    return "?";
  return formatTensorType(*dtype, type.getShape());
}

/// --finalize-pruning: finalizes the model pruned in `session`, writes it,
/// and evaluates it on `testSet` when there is one.
static Error finalizeAndEvaluate(const TrainerOptions &options,
                                 const Model &model,
                                 const SessionOptions &sessionOptions,
                                 Session &session, const Dataset *testSet,
                                 std::optional<MetricsWriter> &metrics,
                                 llvm::raw_ostream &out) {
  Expected<FinalizedModel> finalized =
      finalizePrunedModel(model, sessionOptions.pipeline.modelPasses, session);
  if (!finalized)
    return makeError("--finalize-pruning: " +
                     llvm::toString(finalized.takeError()));
  const PruneFinalization &finalization = finalized->finalization;
  std::vector<std::string> shrunk;
  llvm::json::Object shapes;
  for (const StateChange &change : finalization.changes) {
    auto info = llvm::find_if(session.getStates(), [&](const StateInfo &info) {
      return info.spec.name == change.state;
    });
    if (info == session.getStates().end() ||
        llvm::ArrayRef<int64_t>(info->spec.shape) == change.newType.getShape())
      continue;
    shrunk.push_back(change.state + " " +
                     formatTensorType(info->spec.dtype, info->spec.shape) +
                     " -> " + formatStateType(change.newType));
    shapes[change.state] = llvm::json::Array(change.newType.getShape());
  }
  out << "finalized pruning: removed "
      << llvm::join(finalization.removedStates, ", ") << "; "
      << (shrunk.empty() ? std::string("no shape changed (masks folded into "
                                       "the weights)")
                         : "shrank " + llvm::join(shrunk, ", "))
      << "\n";
  if (Error error = saveFinalizedModel(*finalized, options.saveModelPath,
                                       options.savePath))
    return error;
  if (!options.saveModelPath.empty())
    out << "wrote the finalized model to " << options.saveModelPath << "\n";
  if (!options.savePath.empty())
    out << "saved " << options.savePath << " (the finalized model's tensors)\n";

  MetricsRecord record;
  record.add("event", "finalize")
      .add("model", options.saveModelPath)
      .add("checkpoint", options.savePath)
      .add("removed_states", llvm::json::Array(finalization.removedStates))
      .add("shapes", std::move(shapes));
  if (testSet) {
    // The finalized model is a model of its own: no model-level passes.
    Expected<std::unique_ptr<Model>> finalModel =
        Model::fromModule(*finalized->module);
    if (!finalModel)
      return finalModel.takeError();
    SessionOptions finalOptions = sessionOptions;
    finalOptions.pipeline.modelPasses.clear();
    Expected<std::unique_ptr<Session>> finalSession =
        Session::compile(**finalModel, finalOptions);
    if (!finalSession)
      return makeError("--finalize-pruning: compiling the finalized model: " +
                       llvm::toString(finalSession.takeError()));
    if (Error error = (*finalSession)->init(options.seed))
      return error;
    if (Error error = loadFinalizedTensors(*finalized, **finalSession))
      return error;
    Expected<Evaluation> eval = evaluate(**finalSession, *testSet);
    if (!eval)
      return eval.takeError();
    out << "finalized model: " << formatMetrics(*eval, "test_") << "\n";
    addMetrics(record, *eval);
  }
  if (metrics)
    return metrics->write(record);
  return Error::success();
}

/// "mode=static", "mode=convert", "mode=dynamic" of the plan's conversion.
static std::string conversionName(const QuantizationPlan &plan) {
  if (plan.conversion == QuantizeMode::Dynamic)
    return "mlopt-quantize{mode=dynamic}";
  return plan.calibrate ? "mlopt-quantize{mode=static}"
                        : "mlopt-quantize{mode=convert}";
}

/// Checks the options of a run whose --passes quantize (`plan`).
static Error checkQuantizationOptions(const TrainerOptions &options,
                                      const QuantizationPlan &plan) {
  if (options.calibrate < 0)
    return makeError("--calibrate must be >= 0");
  if (options.calibrate > 0 && !plan.calibrate)
    return makeError("--calibrate runs the observers of static quantization: "
                     "give --passes='mlopt-quantize{mode=static}'");
  if (plan.calibrate && options.calibrate == 0)
    return makeError("mlopt-quantize{mode=static} needs --calibrate=N: N "
                     "batches of --train through the observers before the "
                     "int8 conversion");
  if (plan.calibrate && !options.evalOnly)
    return makeError("mlopt-quantize{mode=static} quantizes a trained model: "
                     "give --eval-only and --load (--train is the calibration "
                     "data)");
  if (options.calibrate > 0 && options.train.empty())
    return makeError("--calibrate=" + llvm::Twine(options.calibrate) +
                     " needs --train: the calibration data");
  if (!plan.conversion)
    return Error::success();
  if (options.finalizePruning)
    return makeError("--finalize-pruning and " + conversionName(plan) +
                     " are separate runs: finalize pruning first, then "
                     "quantize the finalized model");
  bool trains = !options.evalOnly && !options.train.empty();
  if (options.loadPath.empty() && !trains)
    return makeError(conversionName(plan) +
                     " converts a trained model: give --load=CHECKPOINT (or "
                     "--train to train it in this run)");
  return Error::success();
}

/// Runs the whole model-level pipeline, the final conversion pass included,
/// on a clone of the model, so that the conversion's errors (bit widths, ops
/// without an int8 form) show before anything is compiled or trained.
static Error checkConversionPipeline(const Model &model, StringRef passes) {
  FailureOr<PassBuilder> builder = parsePassBuilder(passes, llvm::nulls());
  if (failed(builder))
    return makeError("bad pass pipeline '" + passes + "'");
  return runtime::detail::runModelPasses(model, {*builder}).takeError();
}

/// The int8 model of a run, its session and its evaluation.
struct Int8Run {
  QuantizedModel quantized;
  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
};

/// Converts the trained float `session` to int8 as `plan` says (calibrating
/// first for static quantization), writes the int8 model and tensors, and
/// compiles the int8 model into a session of its own holding them.
static Expected<Int8Run>
quantizeAndCompile(const TrainerOptions &options, const QuantizationPlan &plan,
                   const Model &model, const SessionOptions &sessionOptions,
                   Session &session, const Dataset *calibrationSet,
                   llvm::raw_ostream &out) {
  std::string what = conversionName(plan);
  if (plan.calibrate) {
    runtime::Timer timer;
    if (Error error = calibrate(session, *calibrationSet, options.calibrate,
                                options.seed))
      return makeError("calibration: " + llvm::toString(std::move(error)));
    out << "calibrated the observers on " << options.calibrate << " batches of "
        << calibrationSet->name() << " in "
        << llvm::formatv("{0:f2}", timer.seconds()) << " s\n";
  }
  // The passes before the conversion, without mlopt-amp: the int8 model
  // computes in int8 and f32 whatever precision the float model trained in.
  std::vector<PassBuilder> passes;
  if (!plan.sessionPasses.empty()) {
    FailureOr<PassBuilder> builder =
        parsePassBuilder(plan.sessionPasses, llvm::nulls());
    if (failed(builder))
      return makeError("bad pass pipeline '" + plan.sessionPasses + "'");
    passes.push_back(std::move(*builder));
  }
  bool dynamic = plan.conversion == QuantizeMode::Dynamic;
  Expected<QuantizedModel> quantized =
      quantizeModel(model, passes, session, dynamic, plan.conversionOptions);
  if (!quantized)
    return makeError(what + ": " + llvm::toString(quantized.takeError()));
  int64_t weights = llvm::count_if(
      quantized->conversion.values, [](const QuantizedStateValue &value) {
        return value.kind == QuantizedStateValue::Kind::Int8Weight;
      });
  out << "quantized to int8 (" << what << "): " << weights
      << " int8 weight tensors\n";
  if (Error error = saveQuantizedModel(*quantized, options.saveModelPath,
                                       options.savePath))
    return std::move(error);
  if (!options.saveModelPath.empty())
    out << "wrote the int8 model to " << options.saveModelPath << "\n";
  if (!options.savePath.empty())
    out << "saved " << options.savePath << " (the int8 model's tensors)\n";

  Int8Run run;
  run.quantized = std::move(*quantized);
  Expected<std::unique_ptr<Model>> int8Model =
      Model::fromModule(*run.quantized.module);
  if (!int8Model)
    return int8Model.takeError();
  run.model = std::move(*int8Model);
  // The int8 model is a model of its own: no model-level passes (nor
  // mlopt-amp), nothing after autodiff (it is only evaluated).
  SessionOptions int8Options = sessionOptions;
  int8Options.pipeline.modelPasses.clear();
  int8Options.pipeline.postAutodiffPasses.clear();
  Expected<std::unique_ptr<Session>> int8Session =
      Session::compile(*run.model, int8Options);
  if (!int8Session)
    return makeError(what + ": compiling the int8 model: " +
                     llvm::toString(int8Session.takeError()));
  run.session = std::move(*int8Session);
  if (Error error = run.session->init(options.seed))
    return std::move(error);
  if (Error error = loadQuantizedTensors(run.quantized, *run.session))
    return std::move(error);
  return run;
}

/// `value` as printf's %g writes it.
static std::string formatG(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

/// Checks the options of data parallelism against the run's world.
static Error checkDataParallelOptions(const TrainerOptions &options,
                                      const QuantizationPlan &plan) {
  int64_t world = worldSize(options);
  if (!options.dataParallel.empty() && options.dataParallel != "ddp" &&
      options.dataParallel != "zero1")
    return makeError("--data-parallel must be ddp or zero1, got '" +
                     options.dataParallel + "'");
  if (!(options.bucketMb > 0))
    return makeError("--bucket-mb must be positive, got " +
                     formatG(options.bucketMb));
  if (!(options.commTimeout >= 0))
    return makeError("--comm-timeout must be >= 0 seconds (0: no limit), got " +
                     formatG(options.commTimeout));
  if (world == 1)
    return Error::success();
  if (options.dataParallel.empty())
    return makeError("this run has " + llvm::Twine(world) +
                     " ranks (started by an MPI launcher) but no "
                     "--data-parallel: give --data-parallel (ddp) or "
                     "--data-parallel=zero1, or run one process");
  if (options.batchSize % world != 0)
    return makeError("--batch-size=" + llvm::Twine(options.batchSize) +
                     " (the global batch) does not divide by the " +
                     llvm::Twine(world) + " ranks of the run");
  if (options.finalizePruning)
    return makeError("--finalize-pruning runs in one process: finalize the "
                     "checkpoint of the data-parallel run without mpirun");
  if (plan.conversion || options.calibrate > 0)
    return makeError(conversionName(plan) +
                     " runs in one process: convert the checkpoint of the "
                     "data-parallel run without mpirun");
  return Error::success();
}

static Error trainOnRank(const TrainerOptions &options, llvm::raw_ostream &out,
                         bool &diverged);

/// Checks that every rank read data sets of the same sizes (the ranks step
/// through the same batches and must run the same number of collectives).
/// Collective.
static Error checkSameDataSizes(Communicator &communicator,
                                const std::optional<Dataset> &trainSet,
                                const std::optional<Dataset> &testSet) {
  // The largest and (negated) the smallest size of each set.
  auto size = [](const std::optional<Dataset> &set) {
    return set ? static_cast<double>(set->size()) : 0.0;
  };
  double sizes[4] = {size(trainSet), -size(trainSet), size(testSet),
                     -size(testSet)};
  if (Error error =
          communicator.allReduce(sizes, sizes, 4, DType::F64, Reduction::Max))
    return error;
  for (auto [what, largest, smallest] :
       {std::tuple("training", sizes[0], -sizes[1]),
        std::tuple("test", sizes[2], -sizes[3])})
    if (largest != smallest)
      return llvm::make_error<EveryRankError>(
          llvm::formatv("the ranks read {0} sets of different sizes ({1} to "
                        "{2} samples): every rank must read the same data",
                        what, smallest, largest)
              .str());
  return Error::success();
}

Error runtime::runTrainer(const TrainerOptions &options,
                          llvm::raw_ostream &out) {
  // Only rank 0 prints.
  bool diverged = false;
  Error error = trainOnRank(
      options, worldRank(options) == 0 ? out : llvm::nulls(), diverged);
  // Before the first synchronization point every rank checks the same
  // options and fails the same way.
  if (error && !diverged && !error.isA<EveryRankError>())
    return llvm::make_error<EveryRankError>(llvm::toString(std::move(error)));
  return error;
}

/// runTrainer on this rank; sets `diverged` once the ranks' outcomes may
/// differ (each reads its own files).
static Error trainOnRank(const TrainerOptions &options, llvm::raw_ostream &out,
                         bool &diverged) {
  Communicator *communicator = options.session.communicator;
  int64_t world = worldSize(options);
  bool leader = worldRank(options) == 0;
  // An outcome every rank agrees on (agreeOnError): success, or the error
  // naming the ranks that failed, on every rank.
  auto agree = [&](Error local) -> Error {
    if (world == 1)
      return local;
    if (Error error = agreeOnError(*communicator, std::move(local)))
      return llvm::make_error<EveryRankError>(llvm::toString(std::move(error)),
                                              /*namesRanks=*/true);
    return Error::success();
  };
  if (options.epochs < 0 || options.steps < 0 || options.batchSize < 0 ||
      options.logEvery < 0)
    return makeError(
        "--epochs, --steps, --batch-size and --log-every must be >= 0");
  if (!options.amp.empty() && options.amp != "bf16" && options.amp != "f16")
    return makeError("--amp must be bf16 or f16, got '" + options.amp + "'");
  if (options.loadWeightsOnly && options.loadPath.empty())
    return makeError("--load-weights-only needs --load");
  if (options.loadWeightsOnly && options.evalOnly)
    return makeError("--load-weights-only starts training; it does not go "
                     "with --eval-only");
  if (!options.predictPath.empty() && options.test.empty())
    return makeError("--predict writes the predictions of the --test "
                     "samples: give --test");
  if (options.finalizePruning && options.loadPath.empty())
    return makeError("--finalize-pruning needs --load: the checkpoint of the "
                     "model pruned with the same --passes");
  if (options.finalizePruning && options.savePath.empty() &&
      options.saveModelPath.empty())
    return makeError("--finalize-pruning writes the finalized model: give "
                     "--save-model=OUT.mlir and/or --save=OUT.safetensors");
  Expected<QuantizationPlan> plan = planQuantization(options.passes);
  if (!plan)
    return plan.takeError();
  if (Error error = checkQuantizationOptions(options, *plan))
    return error;
  if (Error error = checkDataParallelOptions(options, *plan))
    return error;
  if (communicator)
    communicator->setTimeoutSeconds(options.commTimeout);
  if (!options.saveModelPath.empty() && !options.finalizePruning &&
      !plan->conversion)
    return makeError("--save-model writes the model that --finalize-pruning "
                     "makes: give --finalize-pruning (or an int8 conversion: "
                     "--passes ending with mlopt-quantize mode=static, "
                     "convert or dynamic)");
  Expected<SessionOptions> sessionOptions =
      buildSessionOptions(options, plan->sessionPasses);
  if (!sessionOptions)
    return sessionOptions.takeError();
  if (!options.printPipeline && world == 1)
    if (Error error = checkOutputPaths(options))
      return error;
  if (options.printPipeline) {
    Expected<std::string> pipeline = printPipeline(*sessionOptions);
    if (!pipeline)
      return pipeline.takeError();
    out << *pipeline << "\n";
    return Error::success();
  }
  if (Expected<const BackendInfo &> backend =
          lookupBackend(sessionOptions->backend);
      !backend)
    return backend.takeError();

  // From here on each rank reads its own files: the ranks agree on the
  // outcome after loading the model and the data, after compiling and after
  // loading a checkpoint; any other failure is this rank's alone.
  diverged = true;
  std::unique_ptr<Model> model;
  std::optional<Dataset> trainSet, testSet, calibrationSet;
  double dataSeconds = 0;
  Error loadError = [&]() -> Error {
    // Only rank 0 writes.
    if (world > 1 && leader)
      if (Error error = checkOutputPaths(options))
        return error;
    Expected<std::unique_ptr<Model>> loaded = Model::load(options.modelPath);
    if (!loaded)
      return loaded.takeError();
    model = std::move(*loaded);
    const ModelSignature &signature = model->getSignature();
    int64_t inputs = llvm::count_if(signature.arguments,
                                    [](auto &arg) { return !arg.isLabel; });
    int64_t labels = signature.arguments.size() - inputs;
    if (inputs != 1 || labels != 1)
      return makeError("mlopt-run feeds models with one mlopt.input and one "
                       "mlopt.label argument; this one has " +
                       llvm::Twine(inputs) + " and " + llvm::Twine(labels));
    if (plan->conversion && plan->sessionPasses != options.passes)
      if (Error error = checkConversionPipeline(*model, options.passes))
        return error;
    // A --batch-size other than the model's is compiled in by
    // mlopt-set-batch-size (buildSessionOptions); data is read per sample.
    // Without one, the model's batch is the global batch.
    if (options.batchSize == 0 && world > 1) {
      if (signature.batchSize % world != 0)
        return makeError("the model's batch of " +
                         llvm::Twine(signature.batchSize) +
                         " (the global batch; --batch-size sets another) "
                         "does not divide by the " +
                         llvm::Twine(world) + " ranks of the run");
      sessionOptions->pipeline.batchSize = signature.batchSize / world;
    }

    // Data first: a bad data file should fail before compiling.
    auto load = [&](StringRef spec, Split split,
                    std::optional<Dataset> &result) -> Error {
      runtime::Timer timer;
      llvm::scope_exit addTime([&] { dataSeconds += timer.seconds(); });
      Expected<Dataset> dataset = loadDatasetSpec(spec, split, signature);
      if (!dataset)
        return dataset.takeError();
      if (Error error = fitDataset(*dataset, signature))
        return error;
      result = std::move(*dataset);
      return Error::success();
    };
    if (!options.train.empty() && !options.evalOnly)
      if (Error error = load(options.train, Split::Train, trainSet))
        return error;
    if (!options.test.empty())
      if (Error error = load(options.test, Split::Test, testSet))
        return error;
    if (options.calibrate > 0)
      if (Error error = load(options.train, Split::Train, calibrationSet))
        return error;
    return Error::success();
  }();
  if (Error error = agree(std::move(loadError)))
    return error;
  if (world > 1)
    if (Error error = checkSameDataSizes(*communicator, trainSet, testSet))
      return error;

  runtime::Timer compileTimer;
  Expected<std::unique_ptr<Session>> compiled =
      Session::compile(*model, *sessionOptions);
  if (Error error = agree(compiled ? Error::success() : compiled.takeError()))
    return error;
  Session &session = **compiled;
  out << "compiled " << options.modelPath << " for the "
      << sessionOptions->backend << " backend in "
      << llvm::formatv("{0:f2}", compileTimer.seconds()) << " s"
      << (session.isLoadedFromCache() ? " (from the compile cache)" : "")
      << "\n";
  if (!options.predictPath.empty() && !session.hasPredict())
    return makeError("--predict: the model has no @predict_step (its loss is "
                     "not the result of a loss op such as mlopt.cross_entropy; "
                     "docs/TrainingIR.md)");
  // The pruned tensors, whose sparsity the run reports.
  bool pruned = !getPrunedTensors(session.getStates()).empty();
  bool lossScaled = hasLossScaling(session);
  if (options.finalizePruning &&
      llvm::none_of(session.getStates(), [](const StateInfo &info) {
        return info.kind == StateKind::Mask;
      }))
    return makeError("--finalize-pruning: the model has no pruning masks "
                     "(state of kind mask): give the --passes that pruned it");
  if (options.report)
    session.getReport().print(out);
  if (!options.emitMlirPath.empty() && leader)
    if (Error error =
            emitLoweredModule(session, *sessionOptions, options.emitMlirPath))
      return error;

  // Initialize first, so that state a checkpoint does not hold (optimizer
  // moments) still has its defined initial value.
  if (Error error = session.init(options.seed))
    return error;
  int64_t startStep = 0;
  if (!options.loadPath.empty()) {
    // Finalizing without training needs every model tensor of any
    // optimizer's checkpoint.
    bool training = trainSet.has_value();
    // Converting to int8 without training needs every model tensor, the
    // observers of QAT included; static quantization calibrates its
    // observers and needs, as dynamic quantization, what evaluation does.
    CheckpointUse use = options.evalOnly          ? CheckpointUse::Evaluate
                        : options.loadWeightsOnly ? CheckpointUse::Weights
                                                  : CheckpointUse::Train;
    if (options.finalizePruning && !training)
      use = CheckpointUse::ModelTensors;
    if (plan->conversion == QuantizeMode::Convert && !plan->calibrate &&
        !training)
      use = CheckpointUse::ModelTensors;
    Expected<CheckpointLoad> loaded =
        loadCheckpoint(session, options.loadPath, use, communicator);
    if (Error error = agree(loaded ? Error::success() : loaded.takeError()))
      return error;
    startStep = loaded->step;
    out << "loaded " << options.loadPath << " (step " << startStep << ")\n";
    if (loaded->fresh == FreshTrainingState::NewDerivedState)
      out << "new training phase: the checkpoint has no "
          << llvm::join(loaded->derived, ", ")
          << ", which the model's passes derive from its weights; training "
             "starts at step 0 from its model tensors with fresh training "
             "state\n";
    if (!loaded->initialized.empty())
      out << "initialized " << loaded->initialized.size()
          << " tensors the checkpoint does not hold: "
          << llvm::join(loaded->initialized, ", ") << "\n";
  }

  std::optional<MetricsWriter> metrics;
  if (!options.metricsPath.empty() && leader) {
    Expected<MetricsWriter> writer =
        MetricsWriter::open(metricsPartialPath(options), /*append=*/false);
    if (!writer)
      return writer.takeError();
    metrics.emplace(std::move(*writer));
    if (Error error = metrics->write(configRecord(options, session)))
      return error;
  }

  std::optional<DatasetEvaluator> testEvaluator;
  if (testSet)
    testEvaluator.emplace(session, *testSet, communicator);
  // The evaluation of the final state, when the last epoch made it.
  std::optional<Evaluation> finalEval;

  RunSummary summary;
  // The loss scaler's skipped steps before this epoch (a resumed run's too).
  int64_t skippedBefore = 0;
  if (lossScaled) {
    Expected<std::optional<LossScalingStatus>> status =
        readLossScaling(session);
    if (!status)
      return status.takeError();
    skippedBefore = (*status)->skippedSteps;
  }
  // Time spent evaluating between epochs, which is not training time.
  double evalSeconds = 0;
  TrainLoopResult trained;
  trained.steps = startStep;
  // What the communicator moved in the training steps: its counter over
  // training less what the evaluations between epochs moved.
  auto commBytes = [&]() -> int64_t {
    return communicator ? communicator->getStats().bytes : 0;
  };
  int64_t trainCommBytes = 0;
  if (trainSet) {
    // --epochs and --steps count from the start of training, so a resumed
    // run may have nothing left to do: say so rather than train nothing.
    int64_t globalBatch = session.getSignature().batchSize * world;
    int64_t perEpoch = trainSet->size() / globalBatch;
    int64_t lastStep = options.epochs * perEpoch;
    if (options.steps)
      lastStep = std::min(lastStep, options.steps);
    if (perEpoch > 0 && startStep >= lastStep && leader) {
      out.flush();
      llvm::WithColor::warning(llvm::errs(), "mlopt-run")
          << "the checkpoint is at step " << startStep << " (epoch "
          << startStep / perEpoch << " of " << trainSet->size() << " samples"
          << " at batch " << globalBatch << "): --epochs=" << options.epochs
          << (options.steps ? " --steps=" + std::to_string(options.steps)
                            : std::string())
          << " count from the start of training and leave no step to "
             "train\n";
    }
    TrainLoopOptions loop;
    loop.epochs = options.epochs;
    loop.maxSteps = options.steps;
    loop.seed = options.seed;
    loop.startStep = startStep;
    loop.progress = leader;
    loop.rank = worldRank(options);
    loop.numRanks = world;
    TrainLoopCallbacks callbacks;
    // Throughput of the steps since the previous step record: their samples
    // over the wall time since it, less the time spent evaluating.
    runtime::Timer sinceRecord;
    int64_t samplesSinceRecord = 0;
    double evalSecondsSinceRecord = 0;
    callbacks.onStep = [&](const StepRecord &step) -> Error {
      samplesSinceRecord += globalBatch;
      if (!metrics || !options.logEvery || step.step % options.logEvery != 0)
        return Error::success();
      MetricsRecord record;
      record.add("event", "step")
          .add("step", step.step)
          .add("epoch", step.epoch)
          .add("loss", step.result.loss);
      // The step's other results, the optimizer's "lr" among them.
      for (const auto &[name, value] : step.result.metrics)
        record.add(name, value);
      if (std::optional<double> rate =
              samplesPerSecond(samplesSinceRecord,
                               sinceRecord.seconds() - evalSecondsSinceRecord))
        record.add("samples_per_s", *rate);
      sinceRecord.reset();
      samplesSinceRecord = 0;
      evalSecondsSinceRecord = 0;
      return metrics->write(record);
    };
    callbacks.onEpoch = [&](const EpochRecord &epoch) -> Error {
      MetricsRecord record;
      record.add("event", "epoch")
          .add("epoch", epoch.epoch)
          .add("steps", epoch.steps)
          .add("train_loss", epoch.trainLoss);
      // The loss terms only training computes (distillation's).
      for (const auto &[name, value] : epoch.trainMetrics)
        record.add("train_" + name, value);
      record.add("epoch_seconds", epoch.seconds)
          .add("step_seconds", epoch.stepSeconds);
      // Evaluate before printing, so the evaluation's progress bar on a
      // terminal never overwrites the epoch line.
      std::string line = llvm::formatv("epoch {0}: train_loss {1:f4}",
                                       epoch.epoch, epoch.trainLoss);
      for (const auto &[name, value] : epoch.trainMetrics)
        line += llvm::formatv(", train_{0} {1:f4}", name, value).str();
      finalEval.reset();
      if (testEvaluator) {
        runtime::Timer evalTimer;
        Expected<Evaluation> eval = testEvaluator->run(leader);
        if (!eval)
          return eval.takeError();
        double seconds = evalTimer.seconds();
        evalSecondsSinceRecord += seconds;
        evalSeconds += seconds;
        addMetrics(record, *eval);
        line += ", " + formatMetrics(*eval, "test_");
        finalEval = std::move(*eval);
      }
      if (pruned) {
        Expected<SparsityReport> sparsity = measureSparsity(session);
        if (!sparsity)
          return sparsity.takeError();
        addSparsity(record, sparsity->fractions(), sparsity->overall());
        line += llvm::formatv(", sparsity {0:f2}%", sparsity->overall() * 100);
      }
      if (lossScaled) {
        Expected<std::optional<LossScalingStatus>> status =
            readLossScaling(session);
        if (!status)
          return status.takeError();
        int64_t skipped = (*status)->skippedSteps - skippedBefore;
        skippedBefore = (*status)->skippedSteps;
        record.add("loss_scale", (*status)->scale)
            .add("skipped_steps", skipped);
        llvm::raw_string_ostream(line)
            << ", loss_scale " << llvm::format("%g", (*status)->scale)
            << ", skipped_steps " << skipped;
      }
      out << line << "\n";
      out.flush();
      if (metrics)
        return metrics->write(record);
      return Error::success();
    };
    int64_t commBytesBefore = commBytes();
    int64_t evalCommBytes = 0;
    callbacks.onEpoch = [&, evaluateEpoch = std::move(callbacks.onEpoch)](
                            const EpochRecord &epoch) -> Error {
      int64_t before = commBytes();
      Error error = evaluateEpoch(epoch);
      evalCommBytes += commBytes() - before;
      return error;
    };
    Expected<TrainLoopResult> result =
        train(session, *trainSet, loop, callbacks);
    trainCommBytes = commBytes() - commBytesBefore - evalCommBytes;
    if (!result)
      return result.takeError();
    trained = std::move(*result);
  }
  summary.trained = trainSet.has_value();
  if (trained.steps > startStep)
    summary.firstStepLoss = trained.firstStepLoss;
  summary.epochs = trained.epochsRun;
  summary.steps = trained.steps;
  summary.stepSeconds = trained.stepSeconds;
  summary.samples = trained.samples;
  summary.trainSeconds = trained.seconds - evalSeconds;
  if (trainSet || testSet)
    summary.dataSeconds = dataSeconds;
  summary.trainLoss = trained.lastEpochLoss;
  summary.trainMetrics = trained.lastEpochMetrics;
  if (session.getReport().forward.measured)
    summary.stepFlops = session.getReport().stepFlops();
  summary.stepBuffers = session.getReport().stepBuffers;
  if (!options.dataParallel.empty()) {
    const StepReport &report = session.getReport();
    summary.worldSize = world;
    summary.commBytesPerStep = report.communicatedBytes;
    if (trained.steps > startStep)
      summary.measuredCommBytesPerStep =
          static_cast<double>(trainCommBytes) /
          static_cast<double>(trained.steps - startStep);
    summary.optimizerStateBytesPerRank =
        report.stateBytesOfKind("optimizer_state");
  }

  auto setTestSummary = [&](const Evaluation &eval) {
    summary.testLoss = eval.loss;
    summary.testAccuracy.reset();
    summary.testMetrics.clear();
    for (const auto &[name, value] : eval.metrics) {
      if (name == "accuracy")
        summary.testAccuracy = value;
      else
        summary.testMetrics.emplace_back(name, value);
    }
    summary.testSamples = eval.samples;
  };
  if (testEvaluator) {
    // The last epoch ends with the last step: its evaluation is the final
    // one.
    Expected<Evaluation> eval =
        finalEval ? Expected<Evaluation>(std::move(*finalEval))
                  : testEvaluator->run(leader);
    if (!eval)
      return eval.takeError();
    setTestSummary(*eval);
    // QAT's model computes with fake quantization, close to the int8 one.
    if (plan->conversion)
      out << (plan->qat ? "fake-quantized model: " : "float model: ")
          << formatMetrics(*eval, "test_") << "\n";
  }

  // The int8 model, which the rest of the run reports on.
  std::optional<Int8Run> int8;
  if (plan->conversion) {
    Expected<Int8Run> run =
        quantizeAndCompile(options, *plan, *model, *sessionOptions, session,
                           calibrationSet ? &*calibrationSet : nullptr, out);
    if (!run)
      return run.takeError();
    int8 = std::move(*run);
    MetricsRecord record;
    record.add("event", "quantize")
        .add("passes", options.passes)
        .add("calibration_batches", options.calibrate)
        .add("model", options.saveModelPath)
        .add("checkpoint", options.savePath);
    if (testSet) {
      Expected<Evaluation> eval = evaluate(*int8->session, *testSet);
      if (!eval)
        return eval.takeError();
      out << "int8 model: " << formatMetrics(*eval, "test_") << "\n";
      setTestSummary(*eval);
      addMetrics(record, *eval);
    }
    if (metrics)
      if (Error error = metrics->write(record))
        return error;
  }
  Session &reported = int8 ? *int8->session : session;

  if (!options.predictPath.empty() && leader) {
    if (Error error = writePredictions(reported, *testSet, options.predictPath))
      return error;
    out << "wrote the predictions of " << testSet->size() << " samples to "
        << options.predictPath << "\n";
  }

  if (options.finalizePruning) {
    if (Error error =
            finalizeAndEvaluate(options, *model, *sessionOptions, session,
                                testSet ? &*testSet : nullptr, metrics, out))
      return error;
  } else if (!options.savePath.empty() && !int8) {
    // Every rank takes part (a sharded state is gathered); rank 0 writes.
    if (Error error = saveCheckpoint(session, options.savePath, trained.steps,
                                     communicator))
      return error;
    out << "saved " << options.savePath << "\n";
  }
  if (pruned) {
    Expected<SparsityReport> sparsity = measureSparsity(session);
    if (!sparsity)
      return sparsity.takeError();
    summary.sparsity = sparsity->fractions();
    summary.sparsityOverall = sparsity->overall();
  }
  if (lossScaled) {
    Expected<std::optional<LossScalingStatus>> status =
        readLossScaling(session);
    if (!status)
      return status.takeError();
    summary.lossScale = (*status)->scale;
    summary.skippedSteps = (*status)->skippedSteps;
  }

  std::vector<TensorSpec> specs, modelSpecs, teacherSpecs;
  for (const StateInfo &info : reported.getStates()) {
    specs.push_back(info.spec);
    if (isTeacherState(info))
      teacherSpecs.push_back(info.spec);
    else if (!isTrainingState(info))
      modelSpecs.push_back(info.spec);
  }
  summary.stateBytes = bytesPerDType(specs);
  summary.modelBytes = bytesPerDType(modelSpecs);
  summary.teacherBytes = bytesPerDType(teacherSpecs);
  summary.peakRssMb = peakRssMb();
  out << formatSummary(summary);
  if (metrics) {
    if (Error error = metrics->write(summaryRecord(summary)))
      return error;
    // The run succeeded: its records replace an earlier file of that name.
    std::string partial = metricsPartialPath(options);
    metrics.reset();
    if (std::error_code ec =
            llvm::sys::fs::rename(partial, options.metricsPath))
      return makeError("cannot rename '" + partial + "' to '" +
                       options.metricsPath + "': " + ec.message());
  }
  return Error::success();
}
