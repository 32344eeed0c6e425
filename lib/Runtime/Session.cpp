//===- Session.cpp - the mlopt C++ embedding API --------------------------===//

#include "mlopt/Runtime/Session.h"
#include "RuntimeError.h"

#include "mlopt/InitAll.h"
#include "mlopt/Runtime/Data.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::makeError;

namespace {
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
} // namespace

//===----------------------------------------------------------------------===//
// ModelSignature
//===----------------------------------------------------------------------===//

const ArgumentInfo *ModelSignature::getInput() const {
  const ArgumentInfo *found = nullptr;
  for (const ArgumentInfo &argument : arguments)
    if (!argument.isLabel) {
      if (found)
        return nullptr;
      found = &argument;
    }
  return found;
}

const ArgumentInfo *ModelSignature::getLabel() const {
  const ArgumentInfo *found = nullptr;
  for (const ArgumentInfo &argument : arguments)
    if (argument.isLabel) {
      if (found)
        return nullptr;
      found = &argument;
    }
  return found;
}

Expected<ModelSignature> runtime::readModelSignature(ModuleOp module) {
  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kLossAttrName))
      loss = func;
  if (!loss)
    return makeError("the model has no function marked 'mlopt.loss'");
  ModelSignature signature;
  for (BlockArgument argument : loss.getArguments()) {
    unsigned i = argument.getArgNumber();
    // The dialect's verifier guarantees ranked, static tensors with a batch
    // dimension; check anyway, since a module may come unverified.
    auto type = dyn_cast<RankedTensorType>(argument.getType());
    if (!type || !type.hasStaticShape() || type.getRank() == 0)
      return makeError("argument #" + llvm::Twine(i) +
                       " of the loss function is not a static tensor with a "
                       "batch dimension");
    ArgumentInfo info;
    info.isLabel = loss.getArgAttr(i, MLOptDialect::kLabelAttrName) != nullptr;
    info.name = info.isLabel ? "labels" : "inputs";
    info.type = type;
    signature.arguments.push_back(info);
  }
  if (signature.arguments.empty())
    return makeError("the loss function takes no arguments");
  signature.batchSize = signature.arguments.front().type.getDimSize(0);
  for (const ArgumentInfo &arg : signature.arguments)
    if (arg.type.getDimSize(0) != signature.batchSize)
      return makeError("the loss function's arguments disagree on the batch "
                       "size (dimension 0)");
  for (BlockArgument argument : loss.getArguments())
    if (loss.getArgAttr(argument.getArgNumber(), MLOptDialect::kLabelAttrName))
      signature.numClasses = getIndexBound(argument);
  for (unsigned i = 1; i < loss.getNumResults(); ++i) {
    auto name =
        loss.getResultAttrOfType<StringAttr>(i, MLOptDialect::kMetricAttrName);
    signature.metricNames.push_back(name ? name.str()
                                         : "result" + std::to_string(i));
  }
  return signature;
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

void runtime::registerSessionDialects(DialectRegistry &registry) {
  ::mlir::registerAllDialects(registry);
  ::mlir::registerAllExtensions(registry);
  ::mlir::mlopt::registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

static std::unique_ptr<MLIRContext> createSessionContext() {
  DialectRegistry registry;
  registerSessionDialects(registry);
  auto context = std::make_unique<MLIRContext>(registry);
  context->loadAllAvailableDialects();
  return context;
}

Model::~Model() {
  // The module lives in the context: destroy it first.
  module = nullptr;
}

Expected<std::unique_ptr<Model>>
Model::adopt(std::unique_ptr<MLIRContext> context, OwningOpRef<ModuleOp> module,
             std::string name) {
  std::unique_ptr<Model> model(new Model());
  model->ownedContext = std::move(context);
  model->module = std::move(module);
  model->name = std::move(name);
  Expected<ModelSignature> signature = readModelSignature(*model->module);
  if (!signature)
    return signature.takeError();
  model->signature = std::move(*signature);
  return std::move(model);
}

Expected<std::unique_ptr<Model>> Model::load(llvm::StringRef path) {
  // Only regular files: /dev/zero would be read until memory runs out.
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return makeError("cannot read model '" + path + "': " + ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return makeError("cannot read model '" + path + "': not a regular file");
  std::unique_ptr<MLIRContext> context = createSessionContext();
  OwningOpRef<ModuleOp> module;
  {
    FirstDiagnostic diagnostic(*context);
    module = parseSourceFile<ModuleOp>(path, context.get());
    if (!module)
      return diagnostic.take("cannot read model '" + path + "'");
  }
  return adopt(std::move(context), std::move(module), path.str());
}

Expected<std::unique_ptr<Model>> Model::parse(llvm::StringRef source,
                                              llvm::StringRef name) {
  std::unique_ptr<MLIRContext> context = createSessionContext();
  OwningOpRef<ModuleOp> module;
  {
    FirstDiagnostic diagnostic(*context);
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(source, name), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, context.get());
    if (!module)
      return diagnostic.take("cannot parse model '" + name + "'");
  }
  return adopt(std::move(context), std::move(module), name.str());
}

Expected<std::unique_ptr<Model>> Model::fromModule(ModuleOp module) {
  MLIRContext *context = module.getContext();
  DialectRegistry registry;
  registerSessionDialects(registry);
  context->appendDialectRegistry(registry);
  {
    FirstDiagnostic diagnostic(*context);
    if (failed(verify(module)))
      return diagnostic.take("the model does not verify");
  }
  return adopt(nullptr, OwningOpRef<ModuleOp>(module.clone()), "<module>");
}

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

/// Builds the training pipeline and the backend's lowering into `pm`.
static Error buildSessionPipeline(OpPassManager &pm,
                                  const SessionOptions &options,
                                  bool withLowering) {
  Expected<const BackendInfo &> backend = lookupBackend(options.backend);
  if (!backend)
    return backend.takeError();
  TrainingPipelineOptions pipeline = options.pipeline;
  pipeline.lowering = nullptr;
  buildTrainingPipeline(pm, pipeline);
  if (withLowering && backend->buildLowering)
    return backend->buildLowering(pm, options.backendOptions);
  return Error::success();
}

Expected<std::string> runtime::printPipeline(const SessionOptions &options) {
  OpPassManager pm(ModuleOp::getOperationName());
  if (Error error = buildSessionPipeline(pm, options, /*withLowering=*/true))
    return std::move(error);
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  return text;
}

TensorRef runtime::viewTensor(llvm::StringRef name, DType dtype,
                              llvm::ArrayRef<int64_t> shape, const void *data) {
  TensorRef ref;
  ref.spec.name = name.str();
  ref.spec.dtype = dtype;
  ref.spec.shape.assign(shape.begin(), shape.end());
  int64_t bytes = ref.spec.numBytes().value_or(0);
  ref.bytes = llvm::ArrayRef<uint8_t>(static_cast<const uint8_t *>(data),
                                      static_cast<size_t>(bytes));
  return ref;
}

Session::~Session() {
  // The backend refers to the training module.
  backend.reset();
}

/// The names of the results after the loss of the entry point marked
/// `marker`, from its `mlopt.metric` attributes ("result<i>" where none);
/// `fallback` when the module has no such entry point.
static std::vector<std::string>
readMetricNames(ModuleOp module, llvm::StringRef marker,
                llvm::ArrayRef<std::string> fallback) {
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(marker))
      continue;
    std::vector<std::string> names;
    for (unsigned i = 1; i < func.getNumResults(); ++i) {
      auto name = func.getResultAttrOfType<StringAttr>(
          i, MLOptDialect::kMetricAttrName);
      names.push_back(name ? name.str() : "result" + std::to_string(i));
    }
    return names;
  }
  return fallback;
}

/// Checks that a @train_step made for a data-parallel group
/// (`mlopt.data_parallel_ranks`) runs in a world of that size.
static Error checkDataParallelRanks(ModuleOp module,
                                    Communicator *communicator) {
  int64_t world = communicator ? communicator->size() : 1;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(MLOptDialect::kTrainStepAttrName))
      continue;
    auto ranks = func->getAttrOfType<IntegerAttr>(
        MLOptDialect::kDataParallelRanksAttrName);
    if (ranks && ranks.getInt() != world)
      return makeError("the training step is compiled for " +
                       llvm::Twine(ranks.getInt()) +
                       " data-parallel ranks (mlopt.data_parallel_ranks), but "
                       "the run's world has " +
                       llvm::Twine(world) + (world == 1 ? " rank" : " ranks"));
  }
  return Error::success();
}

Expected<std::unique_ptr<Session>>
Session::compile(const Model &model, const SessionOptions &options) {
  Expected<const BackendInfo &> backendInfo = lookupBackend(options.backend);
  if (!backendInfo)
    return backendInfo.takeError();
  {
    // Reject bad backend options before running the pipeline.
    OpPassManager probe(ModuleOp::getOperationName());
    if (backendInfo->buildLowering)
      if (Error error =
              backendInfo->buildLowering(probe, options.backendOptions))
        return std::move(error);
  }

  std::unique_ptr<Session> session(new Session());
  session->model = &model;
  session->options = options;
  MLIRContext *context = model.getContext();
  session->trainingModule = OwningOpRef<ModuleOp>(model.getModule().clone());
  PassManager pm(context, ModuleOp::getOperationName());
  if (Error error = buildSessionPipeline(pm, options, /*withLowering=*/false))
    return std::move(error);
  StepReportInstrumentation::attach(pm, session->report);
  {
    FirstDiagnostic diagnostic(*context);
    if (failed(pm.run(*session->trainingModule)))
      return diagnostic.take("the training pipeline failed");
  }
  Expected<ModelSignature> signature =
      readModelSignature(*session->trainingModule);
  if (!signature)
    return signature.takeError();
  session->signature = std::move(*signature);
  session->trainMetricNames = readMetricNames(*session->trainingModule,
                                              MLOptDialect::kTrainStepAttrName,
                                              session->signature.metricNames);
  session->evalMetricNames =
      readMetricNames(*session->trainingModule, MLOptDialect::kEvalStepAttrName,
                      session->signature.metricNames);
  if (Error error = checkDataParallelRanks(*session->trainingModule,
                                           options.communicator))
    return std::move(error);

  // The backend allocates every state buffer and the step's temporaries:
  // refuse a model that cannot fit before anything is allocated. (Each
  // tensor's size fits in 64 bits: the verifier's BoundedTensorTypes.)
  uint64_t stepBytes = llvm::SaturatingAdd(session->report.stateBytes(),
                                           session->report.temporaryBytes);
  if (Error error = checkAllocation(
          stepBytes, "the training step (state and temporaries)"))
    return std::move(error);

  FirstDiagnostic diagnostic(*context);
  Expected<std::unique_ptr<Backend>> backend =
      backendInfo->create(*session->trainingModule, options.backendOptions);
  if (!backend)
    return backend.takeError();
  session->backend = std::move(*backend);
  for (auto func : session->trainingModule->getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kTrainStepAttrName))
      session->report.stepBuffers =
          session->backend->getBufferBytes(func.getSymName());
  return std::move(session);
}

llvm::ArrayRef<StateInfo> Session::getStates() const {
  return backend->manifest();
}

bool Session::isLoadedFromCache() const { return backend->isLoadedFromCache(); }

template <typename T>
Expected<T> Session::withCommunicator(llvm::function_ref<Expected<T>()> call) {
  Communicator *communicator = options.communicator;
  Communicator *previous = getActiveCommunicator();
  setActiveCommunicator(communicator);
  Expected<T> result = call();
  setActiveCommunicator(previous);
  if (communicator && communicator->hasPendingError()) {
    // The collective's failure comes first: what the step returned after
    // it (later collectives were no-ops) is meaningless.
    if (!result)
      llvm::consumeError(result.takeError());
    return communicator->takeError();
  }
  return result;
}

Error Session::init(uint64_t seed) {
  return withCommunicator<bool>([&]() -> Expected<bool> {
           if (Error error = backend->initialize(seed))
             return std::move(error);
           return true;
         })
      .takeError();
}

Expected<StepResult>
Session::toStepResult(Expected<std::vector<double>> values,
                      llvm::ArrayRef<std::string> metricNames) const {
  if (!values)
    return values.takeError();
  if (values->size() != metricNames.size() + 1)
    return makeError("the step returned " + llvm::Twine(values->size()) +
                     " values, expected the loss and " +
                     llvm::Twine(metricNames.size()) + " metrics");
  StepResult result;
  result.loss = (*values)[0];
  for (auto [name, value] : llvm::zip(metricNames, llvm::drop_begin(*values)))
    result.metrics.emplace_back(name, value);
  return result;
}

Error Session::checkArguments(llvm::ArrayRef<TensorRef> arguments) const {
  std::vector<const ArgumentInfo *> expected;
  for (const ArgumentInfo &argument : signature.arguments)
    expected.push_back(&argument);
  return checkArguments(arguments, expected, "step");
}

Error Session::checkArguments(llvm::ArrayRef<TensorRef> arguments,
                              llvm::ArrayRef<const ArgumentInfo *> infos,
                              llvm::StringRef what) const {
  if (arguments.size() != infos.size())
    return makeError("the " + what + " takes " + llvm::Twine(infos.size()) +
                     " arguments, got " + llvm::Twine(arguments.size()));
  for (auto [i, argument, info] : llvm::enumerate(arguments, infos)) {
    const ArgumentInfo &expected = *info;
    std::optional<DType> dtype = dtypeOf(expected.type.getElementType());
    std::optional<int64_t> bytes = argument.spec.numBytes();
    if (dtype && argument.spec.dtype == *dtype &&
        ArrayRef<int64_t>(argument.spec.shape) == expected.type.getShape() &&
        bytes && static_cast<uint64_t>(*bytes) == argument.bytes.size())
      continue;
    return makeError(
        "argument #" + llvm::Twine(i) + " '" + argument.spec.name + "' is " +
        formatTensorType(argument.spec.dtype, argument.spec.shape) + " (" +
        llvm::Twine(argument.bytes.size()) + " bytes), but the model's " +
        expected.name + " argument is " +
        (dtype ? formatTensorType(*dtype, expected.type.getShape())
               : std::string("of an unsupported type")));
  }
  return Error::success();
}

Expected<StepResult> Session::trainStep(llvm::ArrayRef<TensorRef> arguments) {
  if (Error error = checkArguments(arguments))
    return std::move(error);
  return toStepResult(withCommunicator<std::vector<double>>(
                          [&] { return backend->trainStep(arguments); }),
                      trainMetricNames);
}

Expected<StepResult> Session::evalStep(llvm::ArrayRef<TensorRef> arguments) {
  if (Error error = checkArguments(arguments))
    return std::move(error);
  return toStepResult(withCommunicator<std::vector<double>>(
                          [&] { return backend->evalStep(arguments); }),
                      evalMetricNames);
}

bool Session::hasCalibrate() const { return backend->hasCalibrateStep(); }

Expected<StepResult>
Session::calibrateStep(llvm::ArrayRef<TensorRef> arguments) {
  if (!hasCalibrate())
    return makeError("the model has no @calibrate_step: it has no observer "
                     "state (mlopt-quantize{mode=static} or {mode=qat} adds "
                     "it)");
  if (Error error = checkArguments(arguments))
    return std::move(error);
  return toStepResult(withCommunicator<std::vector<double>>(
                          [&] { return backend->calibrateStep(arguments); }),
                      evalMetricNames);
}

bool Session::hasPredict() const { return backend->hasPredictStep(); }

Expected<TensorData> Session::predict(llvm::ArrayRef<TensorRef> inputs) {
  if (!hasPredict())
    return makeError("the model has no @predict_step: its loss is not the "
                     "result of a loss op such as mlopt.cross_entropy");
  std::vector<const ArgumentInfo *> expected;
  for (const ArgumentInfo &argument : signature.arguments)
    if (!argument.isLabel)
      expected.push_back(&argument);
  if (Error error = checkArguments(inputs, expected, "prediction"))
    return std::move(error);
  return withCommunicator<TensorData>(
      [&] { return backend->predictStep(inputs); });
}

Expected<std::vector<uint8_t>> Session::readState(llvm::StringRef name) {
  return backend->readState(name);
}

Error Session::writeState(llvm::StringRef name, llvm::ArrayRef<uint8_t> bytes) {
  return backend->writeState(name, bytes);
}

Expected<std::unique_ptr<Session>>
Session::compileForBatchSize(int64_t batchSize) const {
  SessionOptions resized = options;
  resized.pipeline.batchSize = batchSize;
  return compile(*model, resized);
}

Error Session::copyStateTo(Session &other, llvm::ArrayRef<std::string> names) {
  for (const std::string &name : names) {
    Expected<std::vector<uint8_t>> bytes = readState(name);
    if (!bytes)
      return bytes.takeError();
    if (Error error = other.writeState(name, *bytes))
      return error;
  }
  return Error::success();
}

std::vector<std::string> Session::getStatesReadBy(llvm::StringRef name) const {
  llvm::StringSet<> read;
  if (auto func = getTrainingModule().lookupSymbol<func::FuncOp>(name))
    func.walk([&](StateReadOp op) { read.insert(op.getState()); });
  std::vector<std::string> names;
  for (const StateInfo &info : getStates())
    if (read.contains(info.spec.name))
      names.push_back(info.spec.name);
  return names;
}
