//===- ReferenceBackend.cpp - runs training with the reference evaluator -===//

#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/Backend.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/APFloat.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;

Backend::~Backend() = default;

Expected<TensorData> Backend::predictStep(llvm::ArrayRef<TensorRef>) {
  return llvm::createStringError("this backend does not run @predict_step");
}

Expected<std::vector<double>>
Backend::calibrateStep(llvm::ArrayRef<TensorRef>) {
  return llvm::createStringError("this backend does not run @calibrate_step");
}

std::optional<DType> runtime::dtypeOf(Type elementType) {
  // The dtype table spells element types as the IR prints them.
  std::string spelling;
  llvm::raw_string_ostream os(spelling);
  elementType.print(os);
  return dtypeFromMLIRName(spelling);
}

Expected<std::vector<StateInfo>> runtime::readManifest(ModuleOp module) {
  // The dialect verifies the manifest (unique names, static shapes, element
  // types the runtime holds) and, while states remain, checks it against them.
  auto manifest =
      module->getAttrOfType<ManifestAttr>(MLOptDialect::kManifestAttrName);
  if (!manifest)
    return llvm::createStringError(
        "the module has no 'mlopt.manifest' (run mlopt-entry-points)");
  std::vector<StateInfo> infos;
  for (StateEntryAttr entry : manifest) {
    StateInfo info;
    info.spec.name = entry.getName().str();
    info.kind = entry.getKind();
    info.trainable = entry.getTrainable();
    info.spec.shape.assign(entry.getShape().begin(), entry.getShape().end());
    std::optional<DType> dtype = dtypeOf(entry.getElementType());
    if (!dtype)
      return llvm::createStringError("state '" + info.spec.name +
                                     "' has an unsupported element type");
    info.spec.dtype = *dtype;
    // The dialect verifies a shard's type against the full state's.
    if (auto state = module.lookupSymbol<StateOp>(entry.getName()))
      if (auto of = state->getAttrOfType<FlatSymbolRefAttr>(
              MLOptDialect::kShardOfAttrName)) {
        auto ranks = state->getAttrOfType<IntegerAttr>(
            MLOptDialect::kShardRanksAttrName);
        auto full = module.lookupSymbol<StateOp>(of.getAttr());
        if (!ranks || !full)
          return llvm::createStringError("state '" + info.spec.name +
                                         "' has a bad shard description");
        ArrayRef<int64_t> fullShape = full.getTensorType().getShape();
        info.shard = ShardInfo{of.getValue().str(),
                               ranks.getInt(),
                               {fullShape.begin(), fullShape.end()}};
      }
    infos.push_back(std::move(info));
  }
  return infos;
}

TensorSpec StateInfo::fullSpec() const {
  if (!shard)
    return spec;
  return {spec.name, spec.dtype, shard->fullShape};
}

namespace {

Expected<reference::Tensor> tensorFromBytes(RankedTensorType type,
                                            llvm::ArrayRef<uint8_t> bytes,
                                            StringRef what) {
  std::optional<DType> dtype = dtypeOf(type.getElementType());
  if (!dtype)
    return llvm::createStringError(what.str() + ": unsupported element type");
  int64_t count = type.getNumElements();
  if (static_cast<int64_t>(bytes.size()) != count * dtypeSize(*dtype))
    return llvm::createStringError(
        what.str() + ": expected " + std::to_string(count * dtypeSize(*dtype)) +
        " bytes, got " + std::to_string(bytes.size()));
  if (isFloat(*dtype)) {
    std::vector<double> values(count);
    for (int64_t i = 0; i < count; ++i)
      values[i] = loadElementAsDouble(*dtype, bytes.data(), i);
    return reference::Tensor::fromDoubles(type, values);
  }
  std::vector<int64_t> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = loadElementAsInt64(*dtype, bytes.data(), i);
  return reference::Tensor::fromInts(type, values);
}

std::vector<uint8_t> tensorToBytes(const reference::Tensor &tensor,
                                   DType dtype) {
  int64_t count = tensor.getNumElements();
  std::vector<uint8_t> bytes(count * dtypeSize(dtype));
  for (int64_t i = 0; i < count; ++i) {
    if (isFloat(dtype))
      storeElement(dtype, bytes.data(), i, tensor.getDoubles()[i]);
    else
      storeElementInt64(dtype, bytes.data(), i, tensor.getInts()[i]);
  }
  return bytes;
}

class ReferenceBackend final : public Backend {
public:
  ReferenceBackend(OwningOpRef<ModuleOp> module,
                   std::vector<StateInfo> manifest)
      : module(std::move(module)), evaluator(*this->module),
        stateInfos(std::move(manifest)),
        predictFunc(this->module->lookupSymbol<func::FuncOp>("predict_step")),
        calibrateFunc(
            this->module->lookupSymbol<func::FuncOp>("calibrate_step")) {}

  llvm::ArrayRef<StateInfo> manifest() const override { return stateInfos; }

  Error initialize(uint64_t seed) override {
    auto seedType = RankedTensorType::get({}, IntegerType::get(context(), 64));
    reference::Tensor seedTensor =
        reference::Tensor::fromInts(seedType, {static_cast<int64_t>(seed)});
    return call("init", {seedTensor}).takeError();
  }

  Expected<std::vector<double>>
  trainStep(llvm::ArrayRef<TensorRef> arguments) override {
    return runStep("train_step", arguments);
  }

  Expected<std::vector<double>>
  evalStep(llvm::ArrayRef<TensorRef> arguments) override {
    return runStep("eval_step", arguments);
  }

  bool hasCalibrateStep() const override { return calibrateFunc != nullptr; }

  Expected<std::vector<double>>
  calibrateStep(llvm::ArrayRef<TensorRef> arguments) override {
    return runStep("calibrate_step", arguments);
  }

  bool hasPredictStep() const override { return predictFunc != nullptr; }

  Expected<TensorData> predictStep(llvm::ArrayRef<TensorRef> inputs) override {
    Expected<SmallVector<reference::Tensor>> results =
        runFunction("predict_step", inputs);
    if (!results)
      return results.takeError();
    auto type =
        predictFunc.getNumResults() == 1
            ? dyn_cast<RankedTensorType>(predictFunc.getResultTypes()[0])
            : RankedTensorType();
    std::optional<DType> dtype =
        type ? dtypeOf(type.getElementType()) : std::nullopt;
    if (results->size() != 1 || !dtype)
      return llvm::createStringError(
          "@predict_step must return one tensor of a supported dtype");
    // One plain copy: GCC 12 cannot see that the optional is engaged here
    // and warns (-Wmaybe-uninitialized) on each dereference.
    DType elementType = dtype.value_or(DType::F32);
    TensorData prediction;
    prediction.spec.name = "prediction";
    prediction.spec.dtype = elementType;
    prediction.spec.shape.assign(type.getShape().begin(),
                                 type.getShape().end());
    prediction.bytes = tensorToBytes(results->front(), elementType);
    return prediction;
  }

  Expected<std::vector<uint8_t>> readState(StringRef name) override {
    const StateInfo *info = lookup(name);
    auto it = state.find(name.str());
    if (!info || it == state.end())
      return llvm::createStringError("no state tensor '" + name.str() + "'");
    return tensorToBytes(it->second, info->spec.dtype);
  }

  Error writeState(StringRef name, llvm::ArrayRef<uint8_t> bytes) override {
    auto stateOp = module->lookupSymbol<StateOp>(name);
    if (!stateOp)
      return llvm::createStringError("no state tensor '" + name.str() + "'");
    Expected<reference::Tensor> tensor =
        tensorFromBytes(stateOp.getTensorType(), bytes, name);
    if (!tensor)
      return tensor.takeError();
    state[name.str()] = std::move(*tensor);
    return Error::success();
  }

private:
  MLIRContext *context() { return module->getContext(); }

  const StateInfo *lookup(StringRef name) const {
    for (const StateInfo &info : stateInfos)
      if (info.spec.name == name)
        return &info;
    return nullptr;
  }

  /// Calls `name`, turning the evaluator's diagnostics into the error.
  Expected<SmallVector<reference::Tensor>>
  call(StringRef name, ArrayRef<reference::Tensor> arguments) {
    std::string message;
    ScopedDiagnosticHandler handler(context(), [&](Diagnostic &diag) {
      if (message.empty())
        message = diag.str();
      return success();
    });
    FailureOr<SmallVector<reference::Tensor>> results =
        evaluator.call(name, arguments, state);
    if (failed(results))
      return llvm::createStringError(
          "@" + name.str() + ": " +
          (message.empty() ? std::string("evaluation failed") : message));
    return std::move(*results);
  }

  Expected<std::vector<double>> runStep(StringRef name,
                                        llvm::ArrayRef<TensorRef> arguments) {
    Expected<SmallVector<reference::Tensor>> results =
        runFunction(name, arguments);
    if (!results)
      return results.takeError();
    std::vector<double> scalars;
    for (const reference::Tensor &result : *results)
      scalars.push_back(result.getAsDouble(0));
    return scalars;
  }

  /// Calls the function `name` on the caller's tensors, checked against its
  /// argument types.
  Expected<SmallVector<reference::Tensor>>
  runFunction(StringRef name, llvm::ArrayRef<TensorRef> arguments) {
    auto func = module->lookupSymbol<func::FuncOp>(name);
    if (!func)
      return llvm::createStringError("the module has no @" + name.str());
    if (func.getNumArguments() != arguments.size())
      return llvm::createStringError("@" + name.str() + " takes " +
                                     std::to_string(func.getNumArguments()) +
                                     " arguments, got " +
                                     std::to_string(arguments.size()));
    SmallVector<reference::Tensor> values;
    for (auto [type, argument] :
         llvm::zip(func.getArgumentTypes(), arguments)) {
      Expected<reference::Tensor> value = tensorFromBytes(
          cast<RankedTensorType>(type), argument.bytes, argument.spec.name);
      if (!value)
        return value.takeError();
      values.push_back(std::move(*value));
    }
    return call(name, values);
  }

  OwningOpRef<ModuleOp> module;
  reference::Evaluator evaluator;
  std::vector<StateInfo> stateInfos;
  func::FuncOp predictFunc;
  func::FuncOp calibrateFunc;
  reference::StateMap state;
};

} // namespace

Expected<std::unique_ptr<Backend>>
runtime::createReferenceBackend(ModuleOp module) {
  Expected<std::vector<StateInfo>> manifest = readManifest(module);
  if (!manifest)
    return manifest.takeError();
  OwningOpRef<ModuleOp> clone(module.clone());
  return std::make_unique<ReferenceBackend>(std::move(clone),
                                            std::move(*manifest));
}
