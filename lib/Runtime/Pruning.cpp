//===- Pruning.cpp - sparsity and finalization of pruned models -----------===//

#include "mlopt/Runtime/Pruning.h"
#include "RuntimeError.h"
#include "StateValues.h"

#include "mlopt/Runtime/CheckpointPolicy.h"
#include "mlopt/Transforms/Pruning.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::FirstError;
using mlir::mlopt::runtime::detail::makeError;
using mlir::mlopt::runtime::detail::readStateAttr;
using mlir::mlopt::runtime::detail::toAttribute;
using mlir::mlopt::runtime::detail::toBytes;

//===----------------------------------------------------------------------===//
// Sparsity
//===----------------------------------------------------------------------===//

double TensorSparsity::fraction() const {
  return elements > 0 ? double(zeros) / double(elements) : 0;
}

double SparsityReport::overall() const {
  int64_t zeros = 0, elements = 0;
  for (const TensorSparsity &tensor : tensors) {
    zeros += tensor.zeros;
    elements += tensor.elements;
  }
  return elements > 0 ? double(zeros) / double(elements) : 0;
}

std::vector<std::pair<std::string, double>> SparsityReport::fractions() const {
  std::vector<std::pair<std::string, double>> result;
  for (const TensorSparsity &tensor : tensors)
    result.emplace_back(tensor.name, tensor.fraction());
  return result;
}

std::vector<std::string>
runtime::getPrunedTensors(llvm::ArrayRef<StateInfo> states) {
  llvm::StringSet<> names;
  for (const StateInfo &info : states)
    names.insert(info.spec.name);
  std::vector<std::string> pruned;
  for (const StateInfo &info : states) {
    StringRef name = info.spec.name;
    if (info.kind == StateKind::Mask && name.consume_back(kMaskStateSuffix) &&
        names.contains(name))
      pruned.push_back(name.str());
  }
  return pruned;
}

int64_t runtime::countZeros(DType dtype, llvm::ArrayRef<uint8_t> bytes) {
  int64_t count = static_cast<int64_t>(bytes.size()) / dtypeSize(dtype);
  int64_t zeros = 0;
  bool floating = isFloat(dtype);
  for (int64_t i = 0; i < count; ++i)
    zeros += floating ? loadElementAsDouble(dtype, bytes.data(), i) == 0
                      : loadElementAsInt64(dtype, bytes.data(), i) == 0;
  return zeros;
}

Expected<SparsityReport> runtime::measureSparsity(Session &session) {
  llvm::StringMap<const StateInfo *> byName;
  for (const StateInfo &info : session.getStates())
    byName[info.spec.name] = &info;
  SparsityReport report;
  for (const std::string &name : getPrunedTensors(session.getStates())) {
    Expected<std::vector<uint8_t>> bytes = session.readState(name);
    if (!bytes)
      return bytes.takeError();
    DType dtype = byName.lookup(name)->spec.dtype;
    TensorSparsity tensor;
    tensor.name = name;
    tensor.zeros = countZeros(dtype, *bytes);
    tensor.elements = static_cast<int64_t>(bytes->size()) / dtypeSize(dtype);
    report.tensors.push_back(std::move(tensor));
  }
  return report;
}

//===----------------------------------------------------------------------===//
// Finalization
//===----------------------------------------------------------------------===//

Expected<FinalizedModel>
runtime::finalizePrunedModel(const Model &model,
                             llvm::ArrayRef<PassBuilder> modelPasses,
                             Session &session) {
  MLIRContext &context = *model.getContext();
  FinalizedModel result;
  Expected<OwningOpRef<ModuleOp>> passed =
      detail::runModelPasses(model, modelPasses);
  if (!passed)
    return passed.takeError();
  result.module = std::move(*passed);
  ModuleOp module = *result.module;

  // The states' types before finalization changes them.
  llvm::StringMap<RankedTensorType> originalTypes;
  for (StateOp state : module.getOps<StateOp>())
    originalTypes[state.getSymName()] = state.getTensorType();
  if (llvm::none_of(module.getOps<StateOp>(), [](StateOp state) {
        return state.getKind() == StateKind::Mask;
      }))
    return makeError("the model has no pruning masks (state of kind mask) "
                     "after its model-level passes: give the passes that "
                     "pruned it (mlopt-prune)");

  // The masks' values, read before the module changes: finalizePruning
  // asks for them, and applyStateChange folds them into the weights.
  llvm::StringMap<DenseElementsAttr> masks;
  for (StateOp state : module.getOps<StateOp>()) {
    if (state.getKind() != StateKind::Mask)
      continue;
    Expected<DenseElementsAttr> value =
        readStateAttr(session, state.getSymName(), state.getTensorType());
    if (!value)
      return value.takeError();
    masks[state.getSymName()] = *value;
  }
  {
    FirstError error(context);
    FailureOr<PruneFinalization> finalization =
        finalizePruning(module, [&](StateOp mask) {
          return FailureOr<DenseElementsAttr>(masks.lookup(mask.getSymName()));
        });
    if (failed(finalization))
      return error.take("finalizing pruning failed");
    result.finalization = std::move(*finalization);
  }

  llvm::StringMap<const StateChange *> changes;
  for (const StateChange &change : result.finalization.changes)
    changes[change.state] = &change;
  auto valueOf = [&](StateOp state) -> Expected<DenseElementsAttr> {
    StringRef name = state.getSymName();
    auto original = originalTypes.find(name);
    if (original == originalTypes.end())
      return makeError("finalization added state '" + name + "'");
    Expected<DenseElementsAttr> value =
        readStateAttr(session, name, original->second);
    if (!value)
      return value.takeError();
    const StateChange *change = changes.lookup(name);
    if (!change)
      return value;
    DenseElementsAttr mask;
    if (!change->foldMask.empty()) {
      auto it = masks.find(change->foldMask);
      if (it == masks.end())
        return makeError("finalization folds mask '" + change->foldMask +
                         "' into '" + name + "' but did not read it");
      mask = it->second;
    }
    FailureOr<DenseElementsAttr> changed =
        applyStateChange(*change, *value, mask);
    if (failed(changed))
      return makeError("cannot apply the finalization of '" + name +
                       "' to its value");
    return *changed;
  };
  Expected<std::vector<TensorData>> tensors =
      detail::collectModelTensors(module, valueOf, "finalized");
  if (!tensors)
    return tensors.takeError();
  result.tensors = std::move(*tensors);
  return result;
}

Error runtime::saveFinalizedModel(const FinalizedModel &finalized,
                                  StringRef modelPath,
                                  StringRef checkpointPath) {
  return detail::saveModelAndTensors(finalized.module.get(), finalized.tensors,
                                     modelPath, checkpointPath);
}

Error runtime::loadFinalizedTensors(const FinalizedModel &finalized,
                                    Session &session) {
  return detail::writeTensors(finalized.tensors, session);
}
