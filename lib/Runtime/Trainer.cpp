//===- Trainer.cpp - compile a model and train it on a data set -----------===//

#include "mlopt/Runtime/Trainer.h"

#include "mlopt/InitAll.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/Backend.h"
#include "mlopt/Runtime/CpuBackend.h"
#include "mlopt/Runtime/Data.h"
#include "mlopt/Runtime/Metrics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstring>
#include <mutex>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

/// Collects the first error diagnostic as "file:line:col: message".
class FirstDiagnostic {
public:
  explicit FirstDiagnostic(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error &&
              message.empty())
            message = format(diag);
          return success();
        }) {}

  Error take(const llvm::Twine &fallback) {
    return makeError(message.empty() ? fallback : llvm::Twine(message));
  }

private:
  static std::string format(Diagnostic &diag) {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (auto loc = dyn_cast<FileLineColLoc>(diag.getLocation())) {
      os << loc.getFilename().getValue();
      if (loc.getLine() != 0)
        os << ":" << loc.getLine() << ":" << loc.getColumn();
      os << ": ";
    }
    os << diag.str();
    return text;
  }

  std::string message;
  ScopedDiagnosticHandler handler;
};

namespace {

/// One argument of the loss function: where its data comes from.
struct ArgumentInfo {
  RankedTensorType type;
  bool isLabel = false;
};

struct ModelSignature {
  std::vector<ArgumentInfo> arguments;
  std::vector<std::string> metricNames;
  int64_t batchSize = 0;
  /// The class count of the ops that take the label argument as class
  /// indices; compiled code clamps bad labels, so the runtime checks them.
  std::optional<int64_t> numClasses;
};

Expected<ModelSignature> readSignature(ModuleOp module) {
  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kLossAttrName))
      loss = func;
  if (!loss)
    return makeError("the model has no function marked 'mlopt.loss'");
  ModelSignature signature;
  for (unsigned i = 0; i < loss.getNumArguments(); ++i) {
    auto type = cast<RankedTensorType>(loss.getArgumentTypes()[i]);
    bool isLabel = loss.getArgAttr(i, MLOptDialect::kLabelAttrName) != nullptr;
    if (type.getRank() == 0)
      return makeError("argument #" + llvm::Twine(i) +
                       " of the loss function has no batch dimension");
    signature.arguments.push_back({type, isLabel});
  }
  int64_t inputs = llvm::count_if(signature.arguments,
                                  [](auto &arg) { return !arg.isLabel; });
  int64_t labels = signature.arguments.size() - inputs;
  if (inputs != 1 || labels != 1)
    return makeError("mlopt-run feeds models with one mlopt.input and one "
                     "mlopt.label argument; this one has " +
                     llvm::Twine(inputs) + " and " + llvm::Twine(labels));
  signature.batchSize = signature.arguments.front().type.getDimSize(0);
  for (const ArgumentInfo &arg : signature.arguments)
    if (arg.type.getDimSize(0) != signature.batchSize)
      return makeError("the loss function's arguments disagree on the batch "
                       "size (dimension 0)");
  for (BlockArgument argument : loss.getArguments()) {
    if (!loss.getArgAttr(argument.getArgNumber(), MLOptDialect::kLabelAttrName))
      continue;
    for (Operation *user : argument.getUsers()) {
      Value scores;
      if (auto op = dyn_cast<CrossEntropyOp>(user))
        scores = op.getLogits();
      else if (auto op = dyn_cast<NllLossOp>(user))
        scores = op.getInput();
      else if (auto op = dyn_cast<AccuracyOp>(user))
        scores = op.getLogits();
      if (scores)
        signature.numClasses =
            cast<RankedTensorType>(scores.getType()).getDimSize(1);
    }
  }
  for (unsigned i = 1; i < loss.getNumResults(); ++i) {
    auto name =
        loss.getResultAttrOfType<StringAttr>(i, MLOptDialect::kMetricAttrName);
    signature.metricNames.push_back(name ? name.str()
                                         : "result" + std::to_string(i));
  }
  return signature;
}

const ArgumentInfo &inputArgument(const ModelSignature &signature) {
  return *llvm::find_if(signature.arguments,
                        [](auto &arg) { return !arg.isLabel; });
}

const ArgumentInfo &labelArgument(const ModelSignature &signature) {
  return *llvm::find_if(signature.arguments,
                        [](auto &arg) { return arg.isLabel; });
}

int64_t sampleElements(RankedTensorType type) {
  return type.getNumElements() / type.getDimSize(0);
}

/// `synthetic[:N]`: standard-normal inputs shaped like the model's and labels
/// from a fixed random linear teacher over the last dimension (float labels)
/// or the argmax of a 10-way teacher (class labels), so training can learn
/// them.
Expected<Dataset> makeSyntheticDataset(StringRef spec,
                                       const ModelSignature &signature,
                                       uint64_t streamOffset) {
  int64_t count = 1024;
  StringRef rest = spec.drop_front(StringRef("synthetic").size());
  if (rest.consume_front(":") && (rest.getAsInteger(10, count) || count < 1))
    return makeError("bad synthetic data set '" + spec +
                     "': expected synthetic:N");
  const ArgumentInfo &input = inputArgument(signature);
  const ArgumentInfo &label = labelArgument(signature);
  ArrayRef<int64_t> inShape = input.type.getShape().drop_front();
  int64_t inElements = sampleElements(input.type);
  int64_t features = inShape.empty() ? 1 : inShape.back();
  std::vector<float> inputs(count * inElements);
  constexpr uint64_t kSeed = 0x5eed;
  for (size_t i = 0; i < inputs.size(); ++i)
    inputs[i] =
        static_cast<float>(reference::randomNormal(kSeed, 1 + streamOffset, i));
  std::vector<int64_t> sampleShape(inShape.begin(), inShape.end());

  if (!isa<FloatType>(label.type.getElementType())) {
    constexpr int64_t kClasses = 10;
    if (label.type.getRank() != 1)
      return makeError("synthetic class labels need a label argument [N]");
    std::vector<double> teacher(inElements * kClasses);
    for (size_t i = 0; i < teacher.size(); ++i)
      teacher[i] = reference::randomNormal(kSeed, 100, i);
    std::vector<int64_t> labels(count);
    for (int64_t n = 0; n < count; ++n) {
      double best = -INFINITY;
      for (int64_t c = 0; c < kClasses; ++c) {
        double score = 0;
        for (int64_t k = 0; k < inElements; ++k)
          score += inputs[n * inElements + k] * teacher[k * kClasses + c];
        if (score > best) {
          best = score;
          labels[n] = c;
        }
      }
    }
    return Dataset::createClassification("synthetic", sampleShape,
                                         std::move(inputs), std::move(labels),
                                         kClasses);
  }
  ArrayRef<int64_t> outShape = label.type.getShape().drop_front();
  int64_t outputs = outShape.empty() ? 1 : outShape.back();
  if (outShape.drop_back() != inShape.drop_back())
    return makeError("synthetic data needs input and label samples that "
                     "differ only in the last dimension");
  int64_t rows = inElements / features;
  std::vector<float> labels(count * rows * outputs);
  double scale = 1.0 / std::sqrt(static_cast<double>(features));
  std::vector<double> bias(outputs), teacher(features * outputs);
  for (int64_t j = 0; j < outputs; ++j)
    bias[j] = 0.5 * reference::randomNormal(kSeed, 200, j);
  for (size_t i = 0; i < teacher.size(); ++i)
    teacher[i] = scale * reference::randomNormal(kSeed, 300, i);
  for (int64_t r = 0; r < count * rows; ++r)
    for (int64_t j = 0; j < outputs; ++j) {
      double value = bias[j];
      for (int64_t k = 0; k < features; ++k)
        value += inputs[r * features + k] * teacher[k * outputs + j];
      labels[r * outputs + j] = static_cast<float>(value);
    }
  return Dataset::createRegression(
      "synthetic", sampleShape, std::move(inputs),
      std::vector<int64_t>(outShape.begin(), outShape.end()),
      std::move(labels));
}

Expected<Dataset> loadDataset(StringRef spec, Split split,
                              const ModelSignature &signature) {
  if (spec.starts_with("synthetic"))
    return makeSyntheticDataset(spec, signature, split == Split::Test ? 7 : 0);
  auto [first, second] = spec.split(':');
  if (second.empty())
    return loadNamedDataset(spec, split);
  if (first.ends_with(".npy") && second.ends_with(".npy"))
    return loadNpyDataset(first, second, std::nullopt);
  return loadIdxDataset(first, second, std::nullopt);
}

/// Checks that `dataset` can feed the model and reshapes its samples.
Error fitDataset(Dataset &dataset, const ModelSignature &signature) {
  const ArgumentInfo &input = inputArgument(signature);
  const ArgumentInfo &label = labelArgument(signature);
  if (!input.type.getElementType().isF32())
    return makeError("mlopt-run feeds f32 inputs, but the model's input is " +
                     llvm::Twine(llvm::formatv("{0}", input.type).str()));
  if (dataset.sampleNumElements() != sampleElements(input.type))
    return makeError(dataset.name() + ": samples have " +
                     llvm::Twine(dataset.sampleNumElements()) +
                     " elements but the model's input takes " +
                     llvm::Twine(sampleElements(input.type)));
  ArrayRef<int64_t> shape = input.type.getShape().drop_front();
  if (Error error = dataset.reshapeSamples(shape))
    return error;
  Type labelElement = label.type.getElementType();
  if (isa<FloatType>(labelElement)) {
    if (dataset.hasClassLabels() || !labelElement.isF32())
      return makeError(dataset.name() + ": the model takes f32 labels of " +
                       "shape [N, ...]; the data set has class labels");
    if (dataset.labelNumElements() != sampleElements(label.type))
      return makeError(dataset.name() + ": labels have " +
                       llvm::Twine(dataset.labelNumElements()) +
                       " elements per sample but the model takes " +
                       llvm::Twine(sampleElements(label.type)));
    return Error::success();
  }
  if (!dataset.hasClassLabels() || label.type.getRank() != 1)
    return makeError(dataset.name() +
                     ": the model takes class labels [N]; the data set has " +
                     "float labels");
  if (!labelElement.isInteger(64) && !labelElement.isInteger(32))
    return makeError("mlopt-run feeds i64 or i32 class labels");
  if (signature.numClasses) {
    ArrayRef<int64_t> labels = dataset.classLabels();
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0 || labels[i] >= *signature.numClasses)
        return makeError(dataset.name() + ": label " + llvm::Twine(labels[i]) +
                         " of sample " + llvm::Twine(i) + " is outside [0, " +
                         llvm::Twine(*signature.numClasses) +
                         ") (the model's classes)");
  }
  return Error::success();
}

/// The bytes of one batch, kept alive while a step runs.
struct BatchBuffers {
  std::vector<uint8_t> inputs;
  std::vector<uint8_t> labels;
  std::vector<TensorRef> arguments;
};

void fillBatch(const Dataset &dataset, const ModelSignature &signature,
               ArrayRef<int64_t> indices, BatchBuffers &buffers) {
  const ArgumentInfo &input = inputArgument(signature);
  const ArgumentInfo &label = labelArgument(signature);
  std::vector<float> inputValues(input.type.getNumElements());
  dataset.gatherInputs(indices, inputValues);
  buffers.inputs.resize(inputValues.size() * sizeof(float));
  std::memcpy(buffers.inputs.data(), inputValues.data(), buffers.inputs.size());
  if (dataset.hasClassLabels()) {
    std::vector<int64_t> labels(indices.size());
    dataset.gatherClassLabels(indices, labels);
    if (label.type.getElementType().isInteger(64)) {
      buffers.labels.resize(labels.size() * 8);
      std::memcpy(buffers.labels.data(), labels.data(), buffers.labels.size());
    } else {
      std::vector<int32_t> narrow(labels.begin(), labels.end());
      buffers.labels.resize(narrow.size() * 4);
      std::memcpy(buffers.labels.data(), narrow.data(), buffers.labels.size());
    }
  } else {
    std::vector<float> labels(label.type.getNumElements());
    dataset.gatherFloatLabels(indices, labels);
    buffers.labels.resize(labels.size() * sizeof(float));
    std::memcpy(buffers.labels.data(), labels.data(), buffers.labels.size());
  }
  buffers.arguments.clear();
  for (const ArgumentInfo &arg : signature.arguments) {
    TensorRef ref;
    ref.spec.name = arg.isLabel ? "labels" : "inputs";
    ref.spec.dtype = *dtypeOf(arg.type.getElementType());
    ref.spec.shape.assign(arg.type.getShape().begin(),
                          arg.type.getShape().end());
    ref.bytes = arg.isLabel ? buffers.labels : buffers.inputs;
    buffers.arguments.push_back(std::move(ref));
  }
}

/// Mean loss and metrics over full batches of a data set.
struct Evaluation {
  double loss = 0;
  std::vector<double> metrics;
  int64_t samples = 0;
};

Expected<Evaluation> evaluate(Backend &backend, const Dataset &dataset,
                              const ModelSignature &signature) {
  BatchOptions options;
  options.batchSize = signature.batchSize;
  options.dropLast = true;
  Expected<EpochPlan> plan = EpochPlan::create(dataset.size(), options, 0);
  if (!plan)
    return plan.takeError();
  Evaluation result;
  result.metrics.assign(signature.metricNames.size(), 0.0);
  BatchBuffers buffers;
  ProgressBar progress = ProgressBar::forStderr("eval", plan->numBatches());
  for (int64_t b = 0; b < plan->numBatches(); ++b) {
    fillBatch(dataset, signature, plan->batch(b).indices, buffers);
    Expected<std::vector<double>> values = backend.evalStep(buffers.arguments);
    if (!values)
      return values.takeError();
    result.loss += (*values)[0];
    for (size_t m = 0; m < result.metrics.size(); ++m)
      result.metrics[m] += (*values)[m + 1];
    progress.update(b + 1);
  }
  progress.finish();
  int64_t batches = std::max<int64_t>(plan->numBatches(), 1);
  result.loss /= batches;
  for (double &metric : result.metrics)
    metric /= batches;
  result.samples = plan->numBatches() * signature.batchSize;
  return result;
}

void registerEverything(DialectRegistry &registry) {
  static std::once_flag once;
  std::call_once(once, [] {
    ::mlir::registerAllPasses();
    ::mlir::mlopt::registerAllPasses();
  });
  ::mlir::registerAllDialects(registry);
  ::mlir::registerAllExtensions(registry);
  ::mlir::mlopt::registerAllDialects(registry);
}

Error runPipeline(ModuleOp module, StringRef pipeline) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  std::string parseErrors;
  llvm::raw_string_ostream errorStream(parseErrors);
  if (failed(parsePassPipeline(pipeline, pm, errorStream))) {
    // The parser's message is "<buffer>:1:1: error: <what>\n<pipeline>\n^".
    StringRef message = StringRef(parseErrors).split('\n').first;
    size_t at = message.find("error: ");
    if (at != StringRef::npos)
      message = message.drop_front(at + strlen("error: "));
    return makeError("bad pass pipeline '" + pipeline + "': " + message);
  }
  FirstDiagnostic diagnostic(*module.getContext());
  if (failed(pm.run(module)))
    return diagnostic.take("the pass pipeline failed");
  return Error::success();
}

Error saveCheckpoint(Backend &backend, StringRef path, int64_t step) {
  std::vector<std::vector<uint8_t>> storage;
  std::vector<TensorRef> tensors;
  for (const StateInfo &info : backend.manifest()) {
    Expected<std::vector<uint8_t>> bytes = backend.readState(info.spec.name);
    if (!bytes)
      return bytes.takeError();
    storage.push_back(std::move(*bytes));
  }
  for (auto [info, bytes] : llvm::zip(backend.manifest(), storage))
    tensors.push_back({info.spec, bytes});
  CheckpointMetadata metadata{{"format", "pt"},
                              {"mlopt.step", std::to_string(step)}};
  return writeSafetensors(path, tensors, metadata);
}

/// Whether a state tensor belongs to the model rather than to its training
/// (optimizer moments, the step counter).
bool isModelState(const StateInfo &info) {
  return info.kind != "optimizer_state" && info.kind != "step";
}

/// Loads the state tensors; returns the training step the checkpoint was
/// taken at. Resuming training needs every state tensor to match; evaluation
/// (`modelOnly`) needs only the model's, so a checkpoint of any optimizer
/// evaluates.
Expected<int64_t> loadCheckpoint(Backend &backend, StringRef path,
                                 bool modelOnly) {
  Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  if (!file)
    return file.takeError();
  std::vector<const StateInfo *> wanted;
  for (const StateInfo &info : backend.manifest())
    if (!modelOnly || isModelState(info))
      wanted.push_back(&info);
  if (modelOnly) {
    std::vector<std::string> mismatches;
    for (const StateInfo *info : wanted) {
      const SafetensorsEntry *entry = file->lookup(info->spec.name);
      std::string expected =
          formatTensorType(info->spec.dtype, info->spec.shape);
      if (!entry)
        mismatches.push_back("missing tensor '" + info->spec.name + "' (" +
                             expected + ")");
      else if (entry->spec.dtype != info->spec.dtype ||
               entry->spec.shape != info->spec.shape)
        mismatches.push_back(
            "tensor '" + info->spec.name + "' is " +
            formatTensorType(entry->spec.dtype, entry->spec.shape) +
            ", expected " + expected);
    }
    if (!mismatches.empty())
      return makeError(path + ": does not match the model (" +
                       llvm::Twine(mismatches.size()) +
                       " mismatches): " + llvm::join(mismatches, "; "));
  } else {
    std::vector<TensorSpec> expected;
    for (const StateInfo *info : wanted)
      expected.push_back(info->spec);
    if (Error error = file->checkCompatible(expected))
      return std::move(error);
  }
  for (const StateInfo *info : wanted) {
    const SafetensorsEntry *entry = file->lookup(info->spec.name);
    if (Error error = backend.writeState(info->spec.name, file->data(*entry)))
      return std::move(error);
  }
  int64_t step = 0;
  auto it = file->metadata().find("mlopt.step");
  if (it != file->metadata().end() &&
      StringRef(it->second).getAsInteger(10, step))
    return makeError(path + ": bad 'mlopt.step' metadata '" + it->second + "'");
  return step;
}

} // namespace

Error runtime::runTrainer(const TrainerOptions &options,
                          llvm::raw_ostream &out) {
  if (options.backend != "cpu" && options.backend != "reference")
    return makeError("unknown backend '" + options.backend +
                     "' (expected cpu or reference)");
  if (options.epochs < 0 || options.steps < 0 || options.batchSize < 0)
    return makeError("--epochs, --steps and --batch-size must be >= 0");

  std::string trainPipeline;
  if (!options.passes.empty())
    trainPipeline = options.passes + ",";
  trainPipeline += "mlopt-train-pipeline";
  if (!options.optimizerOptions.empty())
    trainPipeline += "{" + options.optimizerOptions + "}";
  bool lowerToCpu = options.backend == "cpu";
  if (options.printPipeline) {
    out << "builtin.module(" << trainPipeline
        << (lowerToCpu ? "," + cpuLoweringPipeline() : std::string()) << ")\n";
    return Error::success();
  }

  DialectRegistry registry;
  registerEverything(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  OwningOpRef<ModuleOp> module;
  {
    FirstDiagnostic diagnostic(context);
    module = parseSourceFile<ModuleOp>(options.modelPath, &context);
    if (!module)
      return diagnostic.take("cannot read model '" + options.modelPath + "'");
  }
  Expected<ModelSignature> signature = readSignature(*module);
  if (!signature)
    return signature.takeError();
  if (options.batchSize != 0 && options.batchSize != signature->batchSize)
    return makeError("--batch-size=" + llvm::Twine(options.batchSize) +
                     " does not match the model, whose batch dimension is " +
                     llvm::Twine(signature->batchSize));

  // Data first: a bad data file should fail before compiling.
  std::optional<Dataset> trainSet, testSet;
  if (!options.train.empty() && !options.evalOnly) {
    Expected<Dataset> dataset =
        loadDataset(options.train, Split::Train, *signature);
    if (!dataset)
      return dataset.takeError();
    if (Error error = fitDataset(*dataset, *signature))
      return error;
    trainSet = std::move(*dataset);
  }
  if (!options.test.empty()) {
    Expected<Dataset> dataset =
        loadDataset(options.test, Split::Test, *signature);
    if (!dataset)
      return dataset.takeError();
    if (Error error = fitDataset(*dataset, *signature))
      return error;
    testSet = std::move(*dataset);
  }

  Timer compileTimer;
  if (Error error = runPipeline(*module, trainPipeline))
    return error;
  Expected<std::unique_ptr<Backend>> backend =
      lowerToCpu ? createCpuBackend(*module) : createReferenceBackend(*module);
  if (!backend)
    return backend.takeError();
  out << "compiled " << options.modelPath << " for the " << options.backend
      << " backend in " << llvm::formatv("{0:f2}", compileTimer.seconds())
      << " s\n";

  // Initialize first, so that state a model-only checkpoint does not hold
  // (optimizer moments) still has its defined initial value.
  if (Error error = (*backend)->initialize(options.seed))
    return error;
  int64_t startStep = 0;
  if (!options.loadPath.empty()) {
    Expected<int64_t> step =
        loadCheckpoint(**backend, options.loadPath, options.evalOnly);
    if (!step)
      return step.takeError();
    startStep = *step;
    out << "loaded " << options.loadPath << " (step " << startStep << ")\n";
  }

  std::optional<MetricsWriter> metrics;
  if (!options.metricsPath.empty()) {
    Expected<MetricsWriter> writer =
        MetricsWriter::open(options.metricsPath, /*append=*/false);
    if (!writer)
      return writer.takeError();
    metrics.emplace(std::move(*writer));
  }

  RunSummary summary;
  int64_t step = startStep;
  int64_t epochsRun = 0;
  std::vector<double> trainLosses;
  std::optional<double> firstStepLoss;
  if (trainSet) {
    BatchOptions batchOptions;
    batchOptions.batchSize = signature->batchSize;
    batchOptions.shuffle = true;
    batchOptions.seed = options.seed;
    batchOptions.dropLast = true;
    Expected<EpochPlan> firstPlan =
        EpochPlan::create(trainSet->size(), batchOptions, 0);
    if (!firstPlan)
      return firstPlan.takeError();
    int64_t perEpoch = firstPlan->numBatches();
    if (perEpoch == 0)
      return makeError(trainSet->name() + ": fewer samples (" +
                       llvm::Twine(trainSet->size()) + ") than one batch");
    BatchBuffers buffers;
    Timer trainTimer;
    for (int64_t epoch = startStep / perEpoch; epoch < options.epochs;
         ++epoch) {
      if (options.steps && step >= options.steps)
        break;
      Expected<EpochPlan> plan =
          EpochPlan::create(trainSet->size(), batchOptions, epoch);
      if (!plan)
        return plan.takeError();
      ProgressBar progress =
          ProgressBar::forStderr("epoch " + std::to_string(epoch + 1) + "/" +
                                     std::to_string(options.epochs),
                                 perEpoch);
      double lossSum = 0;
      int64_t lossCount = 0;
      for (int64_t b = step - epoch * perEpoch; b < perEpoch; ++b) {
        if (options.steps && step >= options.steps)
          break;
        fillBatch(*trainSet, *signature, plan->batch(b).indices, buffers);
        Timer stepTimer;
        Expected<std::vector<double>> values =
            (*backend)->trainStep(buffers.arguments);
        if (!values)
          return values.takeError();
        summary.stepSeconds.push_back(stepTimer.seconds());
        double loss = (*values)[0];
        if (!std::isfinite(loss))
          return makeError("the loss became " +
                           llvm::Twine(std::isnan(loss) ? "NaN" : "infinite") +
                           " at step " + llvm::Twine(step + 1) + " (epoch " +
                           llvm::Twine(epoch + 1) + ", batch " +
                           llvm::Twine(b + 1) + ")");
        if (!firstStepLoss)
          firstStepLoss = loss;
        lossSum += loss;
        ++lossCount;
        ++step;
        summary.samples += signature->batchSize;
        progress.update(b + 1, llvm::formatv("loss {0:f4}", loss).str());
      }
      progress.finish();
      if (lossCount == 0)
        continue;
      ++epochsRun;
      double epochLoss = lossSum / lossCount;
      trainLosses.push_back(epochLoss);
      MetricsRecord record;
      record.add("event", "epoch")
          .add("epoch", epoch + 1)
          .add("steps", step)
          .add("train_loss", epochLoss);
      out << llvm::formatv("epoch {0}: train_loss {1:f4}", epoch + 1,
                           epochLoss);
      if (testSet) {
        Expected<Evaluation> eval = evaluate(**backend, *testSet, *signature);
        if (!eval)
          return eval.takeError();
        record.add("test_loss", eval->loss);
        out << llvm::formatv(", test_loss {0:f4}", eval->loss);
        for (auto [name, value] :
             llvm::zip(signature->metricNames, eval->metrics)) {
          record.add("test_" + name, value);
          out << ", test_" << name << " " << llvm::formatv("{0:f4}", value);
        }
      }
      out << "\n";
      if (metrics)
        if (Error error = metrics->write(record))
          return error;
    }
    summary.trainSeconds = trainTimer.seconds();
  }
  summary.epochs = epochsRun;
  summary.steps = step;
  if (!trainLosses.empty())
    summary.trainLoss = trainLosses.back();

  int64_t testSamples = 0;
  if (testSet) {
    Expected<Evaluation> eval = evaluate(**backend, *testSet, *signature);
    if (!eval)
      return eval.takeError();
    summary.testLoss = eval->loss;
    for (auto [name, value] : llvm::zip(signature->metricNames, eval->metrics))
      if (name == "accuracy")
        summary.testAccuracy = value;
    testSamples = eval->samples;
  }

  if (!options.savePath.empty()) {
    if (Error error = saveCheckpoint(**backend, options.savePath, step))
      return error;
    out << "saved " << options.savePath << "\n";
  }

  std::vector<TensorSpec> specs;
  for (const StateInfo &info : (*backend)->manifest())
    specs.push_back(info.spec);
  summary.stateBytes = bytesPerDType(specs);
  summary.peakRssMb = peakRssMb();
  out << formatSummary(summary);
  if (metrics) {
    MetricsRecord record = summaryRecord(summary);
    record.add("step_ms_median", summary.stepSeconds.empty()
                                     ? 0.0
                                     : median(summary.stepSeconds) * 1000.0);
    record.add("backend", options.backend);
    if (firstStepLoss)
      record.add("first_step_loss", *firstStepLoss);
    if (testSet)
      record.add("test_samples", testSamples);
    if (Error error = metrics->write(record))
      return error;
  }
  return Error::success();
}
