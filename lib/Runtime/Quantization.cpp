//===- Quantization.cpp - int8 models from trained sessions ---------------===//

#include "mlopt/Runtime/Quantization.h"
#include "RuntimeError.h"
#include "StateValues.h"

#include "mlopt/Runtime/CheckpointPolicy.h"
#include "mlopt/Runtime/DatasetSpec.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::FirstError;
using mlir::mlopt::runtime::detail::makeError;
using mlir::mlopt::runtime::detail::readStateAttr;
using mlir::mlopt::runtime::detail::toBytes;

//===----------------------------------------------------------------------===//
// Where a pipeline quantizes
//===----------------------------------------------------------------------===//

static StringRef modeName(QuantizeMode mode) {
  switch (mode) {
  case QuantizeMode::Qat:
    return "qat";
  case QuantizeMode::Static:
    return "static";
  case QuantizeMode::Dynamic:
    return "dynamic";
  case QuantizeMode::Convert:
    return "convert";
  }
  return "?";
}

Expected<QuantizationPlan> runtime::planQuantization(StringRef passes) {
  QuantizationPlan plan;
  if (passes.empty())
    return plan;
  OpPassManager pm(ModuleOp::getOperationName());
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  if (failed(parsePassPipeline(passes, pm, errorStream))) {
    // The parser's message is "<buffer>:1:1: error: <what>\n<pipeline>\n^".
    StringRef message = StringRef(errors).split('\n').first;
    size_t at = message.find("error: ");
    if (at != StringRef::npos)
      message = message.drop_front(at + strlen("error: "));
    return makeError("bad pass pipeline '" + passes + "': " + message);
  }
  std::vector<std::string> texts;
  std::optional<QuantizeMode> last;
  size_t index = 0, count = pm.size();
  for (Pass &pass : pm.getPasses()) {
    ++index;
    std::string text;
    llvm::raw_string_ostream os(text);
    pass.printAsTextualPipeline(os);
    std::optional<QuantizeMode> mode = getQuantizeMode(pass);
    if (!mode) {
      texts.push_back(std::move(text));
      continue;
    }
    switch (*mode) {
    case QuantizeMode::Qat:
      plan.qat = true;
      texts.push_back(std::move(text));
      break;
    case QuantizeMode::Static:
      plan.calibrate = true;
      texts.push_back(std::move(text));
      // Calibration then converts with static's bits (a later
      // mode=convert's options take over).
      if (std::optional<Int8ConversionOptions> options =
              getInt8ConversionOptions(pass))
        plan.conversionOptions = std::move(*options);
      break;
    case QuantizeMode::Convert:
    case QuantizeMode::Dynamic:
      if (index != count)
        return makeError(
            "mlopt-quantize{mode=" + modeName(*mode) +
            "} must be the last pass of the model-level pipeline: the int8 "
            "model is made from the trained session at the end of the run");
      if (*mode == QuantizeMode::Convert && !plan.qat && !plan.calibrate)
        return makeError("mlopt-quantize{mode=convert} converts a model with "
                         "observers: put mlopt-quantize{mode=qat} or "
                         "{mode=static} before it");
      if (*mode == QuantizeMode::Dynamic && (plan.qat || plan.calibrate))
        return makeError("mlopt-quantize{mode=dynamic} quantizes a float "
                         "model; it does not follow mode=qat or mode=static "
                         "(use mode=convert)");
      if (std::optional<Int8ConversionOptions> options =
              getInt8ConversionOptions(pass))
        plan.conversionOptions = std::move(*options);
      break;
    }
    last = *mode;
  }
  // Without a final conversion pass the session runs the pipeline as given.
  plan.sessionPasses =
      last == QuantizeMode::Convert || last == QuantizeMode::Dynamic
          ? llvm::join(texts, ",")
          : passes.str();
  if (last == QuantizeMode::Dynamic)
    plan.conversion = QuantizeMode::Dynamic;
  else if (last == QuantizeMode::Convert || plan.calibrate)
    plan.conversion = QuantizeMode::Convert;
  return plan;
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

Error runtime::calibrate(Session &session, const Dataset &dataset,
                         int64_t batches, uint64_t seed) {
  if (!session.hasCalibrate())
    return makeError("calibration needs observers: the model has no "
                     "@calibrate_step (compile it with "
                     "mlopt-quantize{mode=static})");
  int64_t batchSize = session.getSignature().batchSize;
  int64_t available = dataset.size() / batchSize;
  if (batches > available)
    return makeError("--calibrate=" + llvm::Twine(batches) + " needs " +
                     llvm::Twine(batches) + " batches of " +
                     llvm::Twine(batchSize) + " samples, but " +
                     dataset.name() + " holds " + llvm::Twine(dataset.size()) +
                     " samples (" + llvm::Twine(available) + " batches)");
  std::vector<int64_t> order = shuffledOrder(dataset.size(), seed, 0);
  BatchBuffers buffers;
  for (int64_t b = 0; b < batches; ++b) {
    llvm::ArrayRef<int64_t> indices(order.data() + b * batchSize,
                                    static_cast<size_t>(batchSize));
    fillBatch(dataset, session.getSignature(), indices, buffers);
    if (Expected<StepResult> result = session.calibrateStep(buffers.arguments);
        !result)
      return result.takeError();
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

Expected<QuantizedModel> runtime::quantizeModel(
    const Model &model, llvm::ArrayRef<PassBuilder> modelPasses,
    Session &session, bool dynamic, const Int8ConversionOptions &options) {
  MLIRContext &context = *model.getContext();
  QuantizedModel result;
  Expected<OwningOpRef<ModuleOp>> passed =
      detail::runModelPasses(model, modelPasses);
  if (!passed)
    return passed.takeError();
  result.module = std::move(*passed);
  ModuleOp module = *result.module;

  // The float model's states, whose values the session holds.
  llvm::StringMap<RankedTensorType> floatTypes;
  for (StateOp state : module.getOps<StateOp>())
    floatTypes[state.getSymName()] = state.getTensorType();
  {
    FirstError error(context);
    FailureOr<QuantConversion> conversion =
        convertToInt8(module, dynamic, options);
    if (failed(conversion))
      return error.take("the int8 conversion failed");
    result.conversion = std::move(*conversion);
  }

  // The session's values, read once each, as the float model's types.
  llvm::StringMap<DenseElementsAttr> values;
  std::optional<Error> readError;
  auto lookup = [&](StringRef name) -> DenseElementsAttr {
    auto it = values.find(name);
    if (it != values.end())
      return it->second;
    auto type = floatTypes.find(name);
    if (type == floatTypes.end())
      return nullptr;
    Expected<DenseElementsAttr> value =
        readStateAttr(session, name, type->second);
    if (!value) {
      if (!readError)
        readError = value.takeError();
      else
        llvm::consumeError(value.takeError());
      return nullptr;
    }
    values[name] = *value;
    return *value;
  };

  llvm::StringMap<const QuantizedStateValue *> computed;
  for (const QuantizedStateValue &value : result.conversion.values)
    computed[value.state] = &value;
  auto valueOf = [&](StateOp state) -> Expected<DenseElementsAttr> {
    StringRef name = state.getSymName();
    if (const QuantizedStateValue *rule = computed.lookup(name)) {
      FailureOr<DenseElementsAttr> attr =
          computeQuantizedStateValue(*rule, lookup);
      if (readError)
        return std::move(*readError);
      if (failed(attr))
        return makeError("cannot compute the int8 model's '" + name +
                         "' from '" + rule->source + "'" +
                         (rule->observerMin.empty()
                              ? std::string()
                              : " and its observer '" + rule->observerMin +
                                    "', '" + rule->observerMax + "'") +
                         ": a state is missing or of another type");
      return *attr;
    }
    if (!floatTypes.count(name))
      return makeError("the int8 conversion added state '" + name +
                       "' without saying how to compute it");
    DenseElementsAttr value = lookup(name);
    if (readError)
      return std::move(*readError);
    return value;
  };
  Expected<std::vector<TensorData>> tensors =
      detail::collectModelTensors(module, valueOf, "int8");
  if (!tensors)
    return tensors.takeError();
  result.tensors = std::move(*tensors);
  return result;
}

Error runtime::saveQuantizedModel(const QuantizedModel &quantized,
                                  StringRef modelPath,
                                  StringRef checkpointPath) {
  return detail::saveModelAndTensors(quantized.module.get(), quantized.tensors,
                                     modelPath, checkpointPath);
}

Error runtime::loadQuantizedTensors(const QuantizedModel &quantized,
                                    Session &session) {
  return detail::writeTensors(quantized.tensors, session);
}
