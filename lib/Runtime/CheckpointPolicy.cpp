//===- CheckpointPolicy.cpp - what a checkpoint holds and restores --------===//

#include "mlopt/Runtime/CheckpointPolicy.h"
#include "RuntimeError.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Transforms/LossScaling.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::makeError;

bool runtime::isTrainingState(const StateInfo &info) {
  return isTrainingStateKind(info.kind);
}

/// "NaN at element 3" for the first non-finite element of a float tensor;
/// std::nullopt when every element is finite (or the dtype is not a float).
static std::optional<std::string> describeNonFinite(DType dtype,
                                                    ArrayRef<uint8_t> bytes) {
  if (!isFloat(dtype))
    return std::nullopt;
  int64_t count = static_cast<int64_t>(bytes.size()) / dtypeSize(dtype);
  for (int64_t i = 0; i < count; ++i) {
    double value = loadElementAsDouble(dtype, bytes.data(), i);
    if (!std::isfinite(value))
      return (std::isnan(value) ? "NaN"
              : value > 0       ? "+inf"
                                : "-inf") +
             std::string(" at element ") + std::to_string(i);
  }
  return std::nullopt;
}

/// The value of a 0-d (or 1-element) step counter tensor.
static int64_t readCounter(DType dtype, ArrayRef<uint8_t> bytes) {
  return isFloat(dtype)
             ? static_cast<int64_t>(loadElementAsDouble(dtype, bytes.data(), 0))
             : loadElementAsInt64(dtype, bytes.data(), 0);
}

/// Checks that the chunks of `info`, a shard, are one per rank of the run.
static Error checkShardRanks(const StateInfo &info, int64_t worldSize) {
  if (info.shard->ranks == worldSize)
    return Error::success();
  return makeError("state '" + info.spec.name + "' is compiled as one of " +
                   llvm::Twine(info.shard->ranks) + " chunks of '" +
                   info.shard->of + "', but the run has " +
                   llvm::Twine(worldSize) +
                   (worldSize == 1 ? " rank" : " ranks"));
}

Expected<std::vector<uint8_t>>
runtime::readFullState(Session &session, const StateInfo &info,
                       Communicator *communicator) {
  Expected<std::vector<uint8_t>> bytes = session.readState(info.spec.name);
  if (!bytes || !info.shard)
    return bytes;
  int64_t worldSize = communicator ? communicator->size() : 1;
  if (Error error = checkShardRanks(info, worldSize))
    return std::move(error);
  int64_t elementBytes = dtypeSize(info.spec.dtype);
  int64_t chunk = static_cast<int64_t>(bytes->size()) / elementBytes;
  std::vector<uint8_t> gathered;
  if (worldSize == 1) {
    gathered = std::move(*bytes);
  } else {
    gathered.resize(bytes->size() * worldSize);
    if (Error error = communicator->allGather(bytes->data(), gathered.data(),
                                              chunk, info.spec.dtype))
      return std::move(error);
  }
  std::optional<int64_t> numElements = info.fullSpec().numElements();
  return assembleShards(gathered, elementBytes, numElements.value_or(0));
}

Error runtime::writeFullState(Session &session, const StateInfo &info,
                              ArrayRef<uint8_t> full,
                              Communicator *communicator) {
  if (!info.shard)
    return session.writeState(info.spec.name, full);
  int64_t worldSize = communicator ? communicator->size() : 1;
  if (Error error = checkShardRanks(info, worldSize))
    return error;
  Expected<std::vector<uint8_t>> chunk =
      extractShard(full, dtypeSize(info.spec.dtype), worldSize,
                   communicator ? communicator->rank() : 0);
  if (!chunk)
    return chunk.takeError();
  return session.writeState(info.spec.name, *chunk);
}

bool runtime::isTeacherState(const StateInfo &info) {
  return info.kind == StateKind::Teacher;
}

bool runtime::isDerivedState(const StateInfo &info) {
  return info.kind == StateKind::Mask || info.kind == StateKind::Observer;
}

Expected<CheckpointLoad> runtime::loadCheckpoint(Session &session,
                                                 StringRef path,
                                                 CheckpointUse use,
                                                 Communicator *communicator) {
  // A checkpoint of another world size loads, but code compiled for another
  // number of ranks cannot take its chunk.
  int64_t worldSize = communicator ? communicator->size() : 1;
  for (const StateInfo &info : session.getStates())
    if (info.shard)
      if (Error error = checkShardRanks(info, worldSize))
        return std::move(error);
  Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  if (!file)
    return file.takeError();
  llvm::StringSet<> evalReads;
  for (const std::string &name : session.getStatesReadBy("eval_step"))
    evalReads.insert(name);

  // Derived state the file lacks (the masks of a model pruned since the
  // save) starts a new phase of training: the model's tensors only.
  bool forTraining =
      use == CheckpointUse::Train || use == CheckpointUse::Weights;
  bool newDerivedState =
      forTraining &&
      llvm::any_of(session.getStates(), [&](const StateInfo &info) {
        return isDerivedState(info) && !file->lookup(info.spec.name);
      });
  bool weightsOnly = use == CheckpointUse::Weights ||
                     use == CheckpointUse::ModelTensors || newDerivedState;
  bool acceptsUnknown =
      use == CheckpointUse::Evaluate || use == CheckpointUse::ModelTensors;

  std::vector<std::string> mismatches;
  std::vector<const StateInfo *> toLoad;
  CheckpointLoad result;
  bool allTrainingState = true;
  llvm::StringSet<> known;
  for (const StateInfo &info : session.getStates()) {
    known.insert(info.spec.name);
    // The teacher's tensors are the model's embedded values (@init wrote
    // them): a tensor of that name in the file is ignored, not an error.
    if (isTeacherState(info))
      continue;
    bool training = isTrainingState(info);
    // Fine-tuning ignores whatever training state the file holds.
    bool wanted = !weightsOnly || !training;
    bool required = use == CheckpointUse::Evaluate
                        ? evalReads.contains(info.spec.name)
                        : !training && (!forTraining || !isDerivedState(info));
    const SafetensorsEntry *entry =
        wanted ? file->lookup(info.spec.name) : nullptr;
    // The file holds a shard's full tensor.
    TensorSpec full = info.fullSpec();
    std::string expected = formatTensorType(full.dtype, full.shape);
    if (!entry) {
      if (required) {
        mismatches.push_back("missing tensor '" + info.spec.name + "' (" +
                             expected + ")");
      } else if (forTraining) {
        result.initialized.push_back(info.spec.name);
        if (isDerivedState(info))
          result.derived.push_back(info.spec.name);
      }
      if (training)
        allTrainingState = false;
      continue;
    }
    if (entry->spec.dtype != full.dtype || entry->spec.shape != full.shape) {
      mismatches.push_back(
          "tensor '" + info.spec.name + "' is " +
          formatTensorType(entry->spec.dtype, entry->spec.shape) +
          ", expected " + expected);
      continue;
    }
    toLoad.push_back(&info);
  }
  // Training refuses tensors the model does not have (a typo, another
  // model); evaluation and finalization accept any optimizer's checkpoint,
  // but list them next to what is missing, since a renamed tensor shows up
  // as both.
  if (!acceptsUnknown || !mismatches.empty())
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

  auto it = file->metadata().find("mlopt.step");
  int64_t step = 0;
  if (it != file->metadata().end() &&
      (StringRef(it->second).getAsInteger(10, step) || step < 0))
    return makeError(path + ": bad 'mlopt.step' metadata '" + it->second + "'");
  // Steps that mlopt-loss-scaling skipped left the step counters as they
  // were: those lag the run's step by the skipped steps the file records.
  int64_t skipped = 0;
  if (const SafetensorsEntry *entry = file->lookup(kSkippedStepsStateName);
      entry && !file->data(*entry).empty())
    skipped = readCounter(entry->spec.dtype, file->data(*entry));
  if (it != file->metadata().end() && (skipped < 0 || skipped > step))
    return makeError(path + ": tensor '" + kSkippedStepsStateName + "' holds " +
                     llvm::Twine(skipped) + " skipped steps, outside [0, " +
                     llvm::Twine(step) + "] ('mlopt.step')");
  // Cross-check what the file says of itself before anything is loaded.
  for (const StateInfo *info : toLoad) {
    ArrayRef<uint8_t> bytes = file->data(*file->lookup(info->spec.name));
    if (std::optional<std::string> bad =
            describeNonFinite(info->spec.dtype, bytes))
      return makeError(path + ": tensor '" + info->spec.name + "' holds " +
                       *bad);
    if (info->kind == StateKind::Step && it != file->metadata().end() &&
        !bytes.empty() &&
        readCounter(info->spec.dtype, bytes) != step - skipped)
      return makeError(path + ": 'mlopt.step' metadata says step " +
                       llvm::Twine(step) +
                       (skipped ? " with " + llvm::Twine(skipped) + " skipped"
                                : llvm::Twine()) +
                       " but tensor '" + info->spec.name + "' holds " +
                       llvm::Twine(readCounter(info->spec.dtype, bytes)));
  }
  for (const StateInfo *info : toLoad) {
    const SafetensorsEntry *entry = file->lookup(info->spec.name);
    if (Error error =
            writeFullState(session, *info, file->data(*entry), communicator))
      return std::move(error);
  }
  result.restoredTrainingState = allTrainingState;
  if (use == CheckpointUse::Weights)
    result.fresh = FreshTrainingState::WeightsOnly;
  else if (newDerivedState)
    result.fresh = FreshTrainingState::NewDerivedState;
  else if (use == CheckpointUse::Train && !allTrainingState)
    result.fresh = FreshTrainingState::NotInFile;
  // Fresh training state (optimizer moments, step counter) starts at step 0,
  // whatever step the model's tensors were saved at.
  result.step =
      allTrainingState && result.fresh == FreshTrainingState::None ? step : 0;
  return result;
}

Error runtime::saveModelTensors(ArrayRef<TensorRef> tensors, StringRef path) {
  for (const TensorRef &tensor : tensors)
    if (std::optional<std::string> bad =
            describeNonFinite(tensor.spec.dtype, tensor.bytes))
      return makeError("not saving " + path + ": tensor '" + tensor.spec.name +
                       "' holds " + *bad);
  return writeSafetensors(path, tensors, {{"format", "pt"}});
}

Error runtime::saveCheckpoint(Session &session, StringRef path, int64_t step,
                              Communicator *communicator) {
  std::vector<const StateInfo *> saved;
  for (const StateInfo &info : session.getStates())
    if (!isTeacherState(info))
      saved.push_back(&info);
  // Every rank takes part in gathering the shards, in declaration order;
  // only then does rank 0 check and write what it gathered.
  std::vector<std::vector<uint8_t>> storage;
  for (const StateInfo *info : saved) {
    Expected<std::vector<uint8_t>> bytes =
        readFullState(session, *info, communicator);
    if (!bytes)
      return bytes.takeError();
    storage.push_back(std::move(*bytes));
  }
  if (communicator && communicator->rank() != 0)
    return Error::success();
  std::vector<TensorRef> tensors;
  for (auto [info, bytes] : llvm::zip(saved, storage)) {
    // A diverged run must not leave weights that poison the next one.
    if (std::optional<std::string> bad =
            describeNonFinite(info->spec.dtype, bytes))
      return makeError("not saving " + path + ": state '" + info->spec.name +
                       "' holds " + *bad + " after step " + llvm::Twine(step));
    tensors.push_back({info->fullSpec(), bytes});
  }
  CheckpointMetadata metadata{{"format", "pt"},
                              {"mlopt.step", std::to_string(step)}};
  return writeSafetensors(path, tensors, metadata);
}
