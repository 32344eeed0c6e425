//===- LossScaling.cpp - the runtime side of mlopt-loss-scaling -----------===//

#include "mlopt/Runtime/LossScaling.h"
#include "RuntimeError.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Transforms/LossScaling.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::makeError;

bool runtime::hasLossScaling(const Session &session) {
  return llvm::any_of(session.getStates(), [](const StateInfo &info) {
    return info.spec.name == kLossScaleStateName;
  });
}

/// The first element of state `name` as a double.
static Expected<double> readScalar(Session &session, StringRef name) {
  auto info = llvm::find_if(session.getStates(), [&](const StateInfo &info) {
    return info.spec.name == name;
  });
  if (info == session.getStates().end())
    return makeError("the model has no state '" + name + "'");
  Expected<std::vector<uint8_t>> bytes = session.readState(name);
  if (!bytes)
    return bytes.takeError();
  if (static_cast<int64_t>(bytes->size()) < dtypeSize(info->spec.dtype))
    return makeError("state '" + name + "' is empty");
  return loadElementAsDouble(info->spec.dtype, bytes->data(), 0);
}

Expected<std::optional<LossScalingStatus>>
runtime::readLossScaling(Session &session) {
  if (!hasLossScaling(session))
    return std::optional<LossScalingStatus>();
  Expected<double> scale = readScalar(session, kLossScaleStateName);
  if (!scale)
    return scale.takeError();
  Expected<double> skipped = readScalar(session, kSkippedStepsStateName);
  if (!skipped)
    return skipped.takeError();
  LossScalingStatus status;
  status.scale = *scale;
  status.skippedSteps = static_cast<int64_t>(*skipped);
  return std::optional<LossScalingStatus>(status);
}

std::vector<std::string> runtime::getCheckedGradients(const Session &session) {
  std::vector<std::string> names;
  for (auto func : session.getTrainingModule().getOps<func::FuncOp>()) {
    auto checked =
        func->getAttrOfType<ArrayAttr>(MLOptDialect::kCheckedGradsAttrName);
    if (!checked)
      continue;
    for (Attribute name : checked)
      if (auto ref = dyn_cast<FlatSymbolRefAttr>(name))
        names.push_back(ref.getValue().str());
    break;
  }
  return names;
}

/// The value of metric `name` in `result`, if it has one.
static std::optional<double> findMetric(const StepResult &result,
                                        StringRef name) {
  for (const auto &[metric, value] : result.metrics)
    if (metric == name)
      return value;
  return std::nullopt;
}

Error runtime::checkLossScaleFloor(const Session &session,
                                   const StepResult &result, int64_t step) {
  std::optional<double> atFloor = findMetric(result, kScaleAtFloorMetricName);
  if (!atFloor || *atFloor == 0)
    return Error::success();
  std::optional<double> scale = findMetric(result, kLossScaleMetricName);
  std::optional<double> index = findMetric(result, kNonFiniteGradMetricName);
  std::vector<std::string> names = getCheckedGradients(session);
  std::string gradient = "a gradient";
  if (index && *index >= 0 && *index < static_cast<double>(names.size()))
    gradient = "the gradient of '" + names[static_cast<size_t>(*index)] + "'";
  std::string message;
  llvm::raw_string_ostream os(message);
  os << "step " << step << ": " << gradient
     << " is not finite even at the loss scale's floor ("
     << llvm::format("%g", scale.value_or(NAN))
     << "): the step was skipped and the scale cannot back off further";
  return makeError(message);
}
