//===- StateValues.cpp - state values as attributes -----------------------===//

#include "StateValues.h"
#include "RuntimeError.h"

#include "mlopt/Runtime/Backend.h"
#include "mlopt/Runtime/CheckpointPolicy.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using mlir::mlopt::runtime::detail::FirstError;
using mlir::mlopt::runtime::detail::makeError;

FirstError::FirstError(MLIRContext &context)
    : handler(&context, [this](Diagnostic &diag) {
        if (diag.getSeverity() != DiagnosticSeverity::Error || !message.empty())
          return success();
        llvm::raw_string_ostream os(message);
        if (auto loc = dyn_cast<FileLineColLoc>(diag.getLocation()))
          os << loc.getFilename().getValue() << ":" << loc.getLine() << ":"
             << loc.getColumn() << ": ";
        os << diag.str();
        return success();
      }) {}

llvm::Error FirstError::take(const llvm::Twine &what) {
  return makeError(what + (message.empty() ? "" : ": " + message));
}

llvm::Expected<OwningOpRef<ModuleOp>>
runtime::detail::runModelPasses(const Model &model,
                                llvm::ArrayRef<PassBuilder> modelPasses) {
  OwningOpRef<ModuleOp> module(model.getModule().clone());
  PassManager pm(model.getContext(), ModuleOp::getOperationName());
  for (const PassBuilder &build : modelPasses)
    build(pm);
  FirstError error(*model.getContext());
  if (failed(pm.run(*module)))
    return error.take("the model-level passes failed");
  return module;
}

FailureOr<DenseElementsAttr>
runtime::detail::toAttribute(RankedTensorType type,
                             llvm::ArrayRef<uint8_t> bytes) {
  if (type.getElementType().isInteger(1)) {
    if (static_cast<int64_t>(bytes.size()) != type.getNumElements())
      return failure();
    llvm::SmallVector<bool> values(bytes.begin(), bytes.end());
    return DenseElementsAttr::get(type, ArrayRef<bool>(values));
  }
  ArrayRef<char> raw(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size());
  bool splat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, raw, splat))
    return failure();
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

std::vector<uint8_t> runtime::detail::toBytes(DenseElementsAttr attr) {
  int64_t count = attr.getNumElements();
  if (attr.getElementType().isInteger(1)) {
    std::vector<uint8_t> bytes;
    for (bool value : attr.getValues<bool>())
      bytes.push_back(value);
    return bytes;
  }
  ArrayRef<char> raw = attr.getRawData();
  std::vector<uint8_t> bytes;
  int64_t copies = attr.isSplat() ? count : 1;
  bytes.reserve(raw.size() * copies);
  for (int64_t i = 0; i < copies; ++i)
    bytes.insert(bytes.end(), raw.begin(), raw.end());
  return bytes;
}

llvm::Expected<DenseElementsAttr>
runtime::detail::readStateAttr(Session &session, llvm::StringRef name,
                               RankedTensorType type) {
  llvm::Expected<std::vector<uint8_t>> bytes = session.readState(name);
  if (!bytes)
    return bytes.takeError();
  FailureOr<DenseElementsAttr> attr =
      runtime::detail::toAttribute(type, *bytes);
  if (failed(attr)) {
    std::string typeText;
    llvm::raw_string_ostream os(typeText);
    os << type;
    return makeError("the session's state '" + name +
                     "' does not hold a value of the model's type " + typeText);
  }
  return *attr;
}

llvm::Expected<std::vector<TensorData>> runtime::detail::collectModelTensors(
    ModuleOp module,
    llvm::function_ref<llvm::Expected<DenseElementsAttr>(StateOp state)>
        valueOf,
    llvm::StringRef what) {
  std::vector<TensorData> tensors;
  for (StateOp state : module.getOps<StateOp>()) {
    // A teacher's tensors are the model's embedded initializers, never a
    // checkpoint's (CheckpointPolicy.h).
    if (isTrainingStateKind(state.getKind()) ||
        state.getKind() == StateKind::Teacher)
      continue;
    StringRef name = state.getSymName();
    RankedTensorType type = state.getTensorType();
    std::optional<DType> dtype = dtypeOf(type.getElementType());
    if (!dtype)
      return makeError("state '" + name + "' has no checkpoint dtype");
    llvm::Expected<DenseElementsAttr> value = valueOf(state);
    if (!value)
      return value.takeError();
    if (!*value || value->getType() != type)
      return makeError("the " + what + " value of '" + name +
                       "' does not have the state's type");
    TensorData tensor;
    tensor.spec = {
        name.str(), *dtype,
        std::vector<int64_t>(type.getShape().begin(), type.getShape().end())};
    tensor.bytes = toBytes(*value);
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

llvm::Error runtime::detail::saveModelAndTensors(
    ModuleOp module, llvm::ArrayRef<TensorData> tensors,
    llvm::StringRef modelPath, llvm::StringRef checkpointPath) {
  if (!modelPath.empty())
    if (llvm::Error error =
            llvm::writeToOutput(modelPath, [&](llvm::raw_ostream &os) {
              module.print(os);
              os << "\n";
              return llvm::Error::success();
            }))
      return makeError("cannot write '" + modelPath +
                       "': " + llvm::toString(std::move(error)));
  if (checkpointPath.empty())
    return llvm::Error::success();
  std::vector<TensorRef> views;
  for (const TensorData &tensor : tensors)
    views.push_back({tensor.spec, tensor.bytes});
  return saveModelTensors(views, checkpointPath);
}

llvm::Error runtime::detail::writeTensors(llvm::ArrayRef<TensorData> tensors,
                                          Session &session) {
  for (const TensorData &tensor : tensors)
    if (llvm::Error error = session.writeState(tensor.spec.name, tensor.bytes))
      return error;
  return llvm::Error::success();
}
