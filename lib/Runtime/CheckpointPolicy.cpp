//===- CheckpointPolicy.cpp - what a checkpoint holds and restores --------===//

#include "mlopt/Runtime/CheckpointPolicy.h"
#include "RuntimeError.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::makeError;

bool runtime::isTrainingState(const StateInfo &info) {
  return isTrainingStateKind(info.kind);
}

/// The states the function `name` of `module` reads.
static llvm::StringSet<> getStatesReadBy(ModuleOp module, StringRef name) {
  llvm::StringSet<> names;
  if (auto func = module.lookupSymbol<func::FuncOp>(name))
    func.walk([&](StateReadOp read) { names.insert(read.getState()); });
  return names;
}

Expected<CheckpointLoad>
runtime::loadCheckpoint(Session &session, StringRef path, CheckpointUse use) {
  Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  if (!file)
    return file.takeError();
  llvm::StringSet<> evalReads;
  if (use == CheckpointUse::Evaluate)
    evalReads = getStatesReadBy(session.getTrainingModule(), "eval_step");

  std::vector<std::string> mismatches;
  std::vector<const StateInfo *> toLoad;
  CheckpointLoad result;
  bool allTrainingState = true;
  llvm::StringSet<> known;
  for (const StateInfo &info : session.getStates()) {
    known.insert(info.spec.name);
    bool required = use == CheckpointUse::Evaluate
                        ? evalReads.contains(info.spec.name)
                        : !isTrainingState(info);
    const SafetensorsEntry *entry = file->lookup(info.spec.name);
    std::string expected = formatTensorType(info.spec.dtype, info.spec.shape);
    if (!entry) {
      if (required)
        mismatches.push_back("missing tensor '" + info.spec.name + "' (" +
                             expected + ")");
      else if (use == CheckpointUse::Train)
        result.initialized.push_back(info.spec.name);
      if (isTrainingState(info))
        allTrainingState = false;
      continue;
    }
    if (entry->spec.dtype != info.spec.dtype ||
        entry->spec.shape != info.spec.shape) {
      mismatches.push_back(
          "tensor '" + info.spec.name + "' is " +
          formatTensorType(entry->spec.dtype, entry->spec.shape) +
          ", expected " + expected);
      continue;
    }
    toLoad.push_back(&info);
  }
  if (use == CheckpointUse::Train)
    for (const SafetensorsEntry &entry : file->tensors())
      if (!known.contains(entry.spec.name))
        mismatches.push_back(
            "unexpected tensor '" + entry.spec.name + "' (" +
            formatTensorType(entry.spec.dtype, entry.spec.shape) + ")");
  if (!mismatches.empty())
    return makeError(
        path + ": does not match the model (" + llvm::Twine(mismatches.size()) +
        (mismatches.size() == 1 ? " mismatch): " : " mismatches): ") +
        llvm::join(mismatches, "; "));

  for (const StateInfo *info : toLoad) {
    const SafetensorsEntry *entry = file->lookup(info->spec.name);
    if (Error error = session.writeState(info->spec.name, file->data(*entry)))
      return std::move(error);
  }
  result.restoredTrainingState = allTrainingState;
  auto it = file->metadata().find("mlopt.step");
  int64_t step = 0;
  if (it != file->metadata().end() &&
      (StringRef(it->second).getAsInteger(10, step) || step < 0))
    return makeError(path + ": bad 'mlopt.step' metadata '" + it->second + "'");
  // Fresh training state (optimizer moments, step counter) starts at step 0,
  // whatever step the model's tensors were saved at.
  result.step = allTrainingState ? step : 0;
  return result;
}

Error runtime::saveCheckpoint(Session &session, StringRef path, int64_t step) {
  std::vector<std::vector<uint8_t>> storage;
  for (const StateInfo &info : session.getStates()) {
    Expected<std::vector<uint8_t>> bytes = session.readState(info.spec.name);
    if (!bytes)
      return bytes.takeError();
    storage.push_back(std::move(*bytes));
  }
  std::vector<TensorRef> tensors;
  for (auto [info, bytes] : llvm::zip(session.getStates(), storage))
    tensors.push_back({info.spec, bytes});
  CheckpointMetadata metadata{{"format", "pt"},
                              {"mlopt.step", std::to_string(step)}};
  return writeSafetensors(path, tensors, metadata);
}
