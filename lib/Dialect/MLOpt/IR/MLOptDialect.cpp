//===- MLOptDialect.cpp - mlopt dialect and its attribute verifiers -------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlopt/Conversion/BufferPlan.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace mlir::mlopt;

#include "mlopt/Dialect/MLOpt/IR/MLOptDialect.cpp.inc"

void MLOptDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "mlopt/Dialect/MLOpt/IR/MLOptOps.cpp.inc"
      >();
  registerAttributes();
}

Operation *MLOptDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

static bool isScalarFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 0 &&
         isa<FloatType>(tensor.getElementType());
}

/// Checks the function marked `mlopt.loss`: its first result is the loss, a
/// 0-d float tensor; every argument is a batch input or a label; it is the
/// only loss function of its module.
static LogicalResult verifyLossFunction(FunctionOpInterface func) {
  ArrayRef<Type> results = func.getResultTypes();
  if (results.empty() || !isScalarFloatTensor(results.front()))
    return func.emitOpError("marked '")
           << MLOptDialect::kLossAttrName
           << "' must return the loss as a 0-d float tensor first result";
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    bool isInput = func.getArgAttr(i, MLOptDialect::kInputAttrName) != nullptr;
    bool isLabel = func.getArgAttr(i, MLOptDialect::kLabelAttrName) != nullptr;
    if (isInput == isLabel)
      return func.emitOpError("argument #")
             << i << " of the loss function must be marked either '"
             << MLOptDialect::kInputAttrName << "' or '"
             << MLOptDialect::kLabelAttrName << "'";
  }
  if (auto module = func->getParentOfType<ModuleOp>()) {
    for (Operation &other : module.getBody()->getOperations()) {
      if (&other == func.getOperation())
        break;
      if (other.hasAttr(MLOptDialect::kLossAttrName))
        return func.emitOpError("is a second loss function; the first is '")
               << SymbolTable::getSymbolName(&other).getValue() << "'";
    }
  }
  return success();
}

/// Whether `op` is a function of the training IR whose arguments and results
/// carry the loss function's attributes: the loss itself, @train_step,
/// @eval_step and @predict_step.
static bool isModelEntryFunction(Operation *op) {
  return isa<FunctionOpInterface>(op) &&
         (op->hasAttr(MLOptDialect::kLossAttrName) ||
          op->hasAttr(MLOptDialect::kTrainStepAttrName) ||
          op->hasAttr(MLOptDialect::kEvalStepAttrName) ||
          op->hasAttr(MLOptDialect::kPredictStepAttrName));
}

/// Checks that `manifest` lists exactly the `mlopt.state` symbols of
/// `module`, in declaration order, with their kinds, types and `trainable`
/// flags. A module without states (externalized) is not checked. Runs before
/// the states' own verifiers, so malformed states are skipped here.
static LogicalResult verifyManifestAgainstStates(ModuleOp module,
                                                 ManifestAttr manifest) {
  SmallVector<StateOp> states;
  for (StateOp state : module.getOps<StateOp>()) {
    if (!state.getSymNameAttr() || !state.getKindAttr() ||
        !state.getTypeAttr() ||
        !isa<RankedTensorType>(state.getTypeAttr().getValue()))
      return success();
    states.push_back(state);
  }
  if (states.empty())
    return success();
  llvm::StringMap<unsigned> stateIndex, entryIndex;
  for (auto [i, state] : llvm::enumerate(states))
    stateIndex[state.getSymName()] = i;
  for (auto [i, entry] : llvm::enumerate(manifest.getEntries())) {
    entryIndex[entry.getName()] = i;
    if (!stateIndex.contains(entry.getName()))
      return module.emitError("'")
             << MLOptDialect::kManifestAttrName << "' lists state '"
             << entry.getName() << "', which the module does not declare";
  }
  for (auto [i, state] : llvm::enumerate(states)) {
    auto it = entryIndex.find(state.getSymName());
    if (it == entryIndex.end())
      return state.emitOpError("is missing from the module's '")
             << MLOptDialect::kManifestAttrName << "'";
    StateEntryAttr entry = manifest.getEntries()[it->second];
    if (entry.getKind() != state.getKind())
      return state.emitOpError("has kind '")
             << stringifyStateKind(state.getKind()) << "' but its '"
             << MLOptDialect::kManifestAttrName << "' entry says '"
             << stringifyStateKind(entry.getKind()) << "'";
    if (entry.getType() != state.getType())
      return state.emitOpError("has type ")
             << state.getType() << " but its '"
             << MLOptDialect::kManifestAttrName << "' entry says "
             << entry.getType();
    if (entry.getTrainable() != state.getTrainable())
      return state.emitOpError(state.getTrainable() ? "is" : "is not")
             << " trainable but its '" << MLOptDialect::kManifestAttrName
             << "' entry says the opposite";
    if (it->second != i)
      return state.emitOpError("is state #")
             << i << " but entry #" << it->second << " of '"
             << MLOptDialect::kManifestAttrName
             << "', which lists states in declaration order";
  }
  return success();
}

/// `mlopt.masked_by = @mask` on a state: `@mask` is a `mask` state of the
/// same type.
static LogicalResult verifyMaskedBy(Operation *op, Attribute value) {
  auto state = dyn_cast<StateOp>(op);
  if (!state)
    return op->emitError("'") << MLOptDialect::kMaskedByAttrName
                              << "' only applies to mlopt.state";
  auto ref = dyn_cast<FlatSymbolRefAttr>(value);
  if (!ref)
    return op->emitError("'")
           << MLOptDialect::kMaskedByAttrName
           << "' must be a flat symbol reference, got " << value;
  auto mask = SymbolTable::lookupNearestSymbolFrom<StateOp>(op, ref);
  if (!mask)
    return op->emitError("'") << MLOptDialect::kMaskedByAttrName
                              << "' names unknown state " << ref;
  if (mask.getKind() != StateKind::Mask)
    return op->emitError("'")
           << MLOptDialect::kMaskedByAttrName << "' names state " << ref
           << " of kind '" << stringifyStateKind(mask.getKind())
           << "', expected 'mask'";
  if (mask.getType() != state.getType())
    return op->emitError("mask ")
           << ref << " of type " << mask.getType()
           << " does not match the state's type " << state.getType();
  return success();
}

LogicalResult MLOptDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  // Entry-point markers of the training IR (docs/TrainingIR.md).
  if (name == kTrainStepAttrName || name == kEvalStepAttrName ||
      name == kPredictStepAttrName || name == kInitAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError("'") << name << "' must be a unit attribute";
    if (!isa<FunctionOpInterface>(op))
      return op->emitError("'") << name << "' only applies to functions";
    return success();
  }
  if (name == kManifestAttrName) {
    auto module = dyn_cast<ModuleOp>(op);
    if (!module)
      return op->emitError("'") << name << "' only applies to modules";
    auto manifest = dyn_cast<ManifestAttr>(attr.getValue());
    if (!manifest)
      return op->emitError("'")
             << name << "' must be a #mlopt.manifest attribute, got "
             << attr.getValue();
    return verifyManifestAgainstStates(module, manifest);
  }
  if (name == kMaskedByAttrName)
    return verifyMaskedBy(op, attr.getValue());
  if (name == kLossCotangentAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError("'") << name << "' must be a unit attribute";
    if (!isa<ConstantOp>(op))
      return op->emitError("'") << name << "' only applies to mlopt.constant";
    return success();
  }
  if (name == kCheckedGradsAttrName) {
    auto names = dyn_cast<ArrayAttr>(attr.getValue());
    if (!names || !llvm::all_of(names, llvm::IsaPred<FlatSymbolRefAttr>))
      return op->emitError("'")
             << name << "' must be an array of state names (@name)";
    if (!op->hasAttr(kTrainStepAttrName))
      return op->emitError("'") << name << "' needs a function marked '"
                                << kTrainStepAttrName << "'";
    return success();
  }
  if (name == kDataParallelRanksAttrName) {
    auto ranks = dyn_cast<IntegerAttr>(attr.getValue());
    if (!ranks || ranks.getInt() < 1)
      return op->emitError("'") << name << "' must be an integer >= 1";
    if (!op->hasAttr(kTrainStepAttrName))
      return op->emitError("'") << name << "' needs a function marked '"
                                << kTrainStepAttrName << "'";
    return success();
  }
  // Byte counts of a function's planned buffers (mlopt-allocs-to-globals).
  if (name == kBufferBytesAttrName || name == kTemporaryBytesAttrName) {
    auto bytes = dyn_cast<IntegerAttr>(attr.getValue());
    if (!bytes || bytes.getValue().isNegative())
      return op->emitError("'") << name << "' must be an integer >= 0";
    if (!isa<FunctionOpInterface>(op))
      return op->emitError("'") << name << "' only applies to functions";
    return success();
  }
  // A rank's chunk of a tensor shaped like another state (ZeRO-1).
  if (name == kShardOfAttrName || name == kShardRanksAttrName) {
    auto state = dyn_cast<StateOp>(op);
    if (!state)
      return op->emitError("'") << name << "' only applies to mlopt.state";
    if (name == kShardRanksAttrName) {
      auto ranks = dyn_cast<IntegerAttr>(attr.getValue());
      if (!ranks || ranks.getInt() < 1)
        return op->emitError("'") << name << "' must be an integer >= 1";
      if (!op->hasAttr(kShardOfAttrName))
        return op->emitError("'")
               << name << "' needs '" << kShardOfAttrName << "'";
      return success();
    }
    auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue());
    if (!ref)
      return op->emitError("'") << name << "' must name a state (@name)";
    auto ranks = op->getAttrOfType<IntegerAttr>(kShardRanksAttrName);
    if (!ranks)
      return op->emitError("'")
             << name << "' needs '" << kShardRanksAttrName << "'";
    auto module = op->getParentOfType<ModuleOp>();
    auto full = module ? SymbolTable::lookupSymbolIn(module, ref.getAttr())
                       : nullptr;
    auto fullState = dyn_cast_or_null<StateOp>(full);
    if (!fullState)
      return op->emitError("'")
             << name << "' names " << ref << ", which is not a state";
    RankedTensorType fullType = fullState.getTensorType();
    int64_t chunk = llvm::divideCeil(fullType.getNumElements(),
                                     std::max<int64_t>(ranks.getInt(), 1));
    auto expected = RankedTensorType::get({chunk}, fullType.getElementType());
    if (state.getTensorType() != expected)
      return op->emitError("a shard of ")
             << ref << " (" << fullType << ") over " << ranks.getInt()
             << " ranks has type " << expected << ", not "
             << state.getTensorType();
    return success();
  }
  // On an op with an int8 form: its layer name, the prefix of its
  // quantization states (mlopt-quantize, mlopt/Transforms/Quantize.h).
  if (name == "mlopt.quant_layer") {
    auto layer = dyn_cast<StringAttr>(attr.getValue());
    if (!layer || layer.getValue().empty())
      return op->emitError("'") << name << "' must be a non-empty string";
    if (!isa<QuantizableOpInterface>(op))
      return op->emitError("'") << name << "' needs an op with an int8 form";
    return success();
  }
  if (attr.getName() != kLossAttrName)
    return op->emitError("unknown mlopt attribute '")
           << attr.getName().getValue() << "' on an operation";
  if (!isa<UnitAttr>(attr.getValue()))
    return op->emitError("'") << kLossAttrName << "' must be a unit attribute";
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func)
    return op->emitError("'") << kLossAttrName << "' only applies to functions";
  return verifyLossFunction(func);
}

LogicalResult MLOptDialect::verifyRegionArgAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned argIndex,
                                                     NamedAttribute attr) {
  if (attr.getName() != kInputAttrName && attr.getName() != kLabelAttrName)
    return op->emitError("unknown mlopt argument attribute '")
           << attr.getName().getValue() << "'";
  if (!isa<UnitAttr>(attr.getValue()))
    return op->emitError("'")
           << attr.getName().getValue() << "' must be a unit attribute";
  if (!isModelEntryFunction(op))
    return op->emitError("'")
           << attr.getName().getValue() << "' on argument #" << argIndex
           << " needs a function marked '" << kLossAttrName << "'";
  // The runtime feeds batches: a statically shaped tensor whose dimension 0
  // is the batch.
  Type type = cast<FunctionOpInterface>(op).getArgumentTypes()[argIndex];
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || tensor.getRank() < 1)
    return op->emitError("argument #")
           << argIndex << " marked '" << attr.getName().getValue()
           << "' must be a statically shaped tensor with a leading batch "
              "dimension, got "
           << type;
  // A zero-sized dimension leaves nothing to train on and divides by zero in
  // every mean.
  if (llvm::is_contained(tensor.getShape(), 0))
    return op->emitError("argument #")
           << argIndex << " marked '" << attr.getName().getValue()
           << "' has a zero-sized dimension: " << type;
  return success();
}

LogicalResult MLOptDialect::verifyRegionResultAttribute(Operation *op,
                                                        unsigned regionIndex,
                                                        unsigned resultIndex,
                                                        NamedAttribute attr) {
  if (attr.getName() == kGradOfAttrName) {
    if (!isa<FlatSymbolRefAttr>(attr.getValue()))
      return op->emitError("'")
             << kGradOfAttrName << "' must name a state (@name)";
    if (!op->hasAttr(kTrainStepAttrName))
      return op->emitError("'")
             << kGradOfAttrName << "' needs a function marked '"
             << kTrainStepAttrName << "'";
    return success();
  }
  if (attr.getName() == kGradShardAttrName) {
    auto ranks = dyn_cast<IntegerAttr>(attr.getValue());
    if (!ranks || ranks.getInt() < 1)
      return op->emitError("'")
             << kGradShardAttrName << "' must be an integer >= 1";
    auto func = dyn_cast<FunctionOpInterface>(op);
    if (!func || !op->hasAttr(kTrainStepAttrName) ||
        !func.getResultAttr(resultIndex, kGradOfAttrName))
      return op->emitError("'") << kGradShardAttrName
                                << "' must mark a gradient result ('"
                                << kGradOfAttrName << "') of a function "
                                << "marked '" << kTrainStepAttrName << "'";
    return success();
  }
  if (attr.getName() == kGradsFiniteAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError("'")
             << kGradsFiniteAttrName << "' must be a unit attribute";
    if (!op->hasAttr(kTrainStepAttrName))
      return op->emitError("'")
             << kGradsFiniteAttrName << "' needs a function marked '"
             << kTrainStepAttrName << "'";
    auto type = dyn_cast<RankedTensorType>(
        cast<FunctionOpInterface>(op).getResultTypes()[resultIndex]);
    if (!type || type.getRank() != 0 || !type.getElementType().isInteger(1))
      return op->emitError("'")
             << kGradsFiniteAttrName << "' must mark a tensor<i1> result";
    return success();
  }
  // Left out of @eval_step and @calibrate_step (mlopt-entry-points); the
  // loss, result #0, is never a metric, so evaluation always reports it.
  if (attr.getName() == kTrainOnlyAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError("'")
             << kTrainOnlyAttrName << "' must be a unit attribute";
    auto func = dyn_cast<FunctionOpInterface>(op);
    if (!func ||
        (!op->hasAttr(kLossAttrName) && !op->hasAttr(kTrainStepAttrName)))
      return op->emitError("'")
             << kTrainOnlyAttrName << "' needs a function marked '"
             << kLossAttrName << "' or '" << kTrainStepAttrName << "'";
    if (!func.getResultAttr(resultIndex, kMetricAttrName))
      return op->emitError("'") << kTrainOnlyAttrName << "' on result #"
                                << resultIndex << " must mark a metric result";
    return success();
  }
  if (attr.getName() != kMetricAttrName)
    return op->emitError("unknown mlopt result attribute '")
           << attr.getName().getValue() << "'";
  auto name = dyn_cast<StringAttr>(attr.getValue());
  if (!name || name.getValue().empty())
    return op->emitError("'")
           << kMetricAttrName
           << "' must be a non-empty string naming the metric";
  auto func = dyn_cast<FunctionOpInterface>(op);
  if (!func || !isModelEntryFunction(op))
    return op->emitError("'")
           << kMetricAttrName << "' needs a function marked '" << kLossAttrName
           << "'";
  if (resultIndex == 0)
    return op->emitError("result #0 is the loss and cannot be a metric");
  // Metrics are reported by name next to the loss: names must not collide.
  if (name.getValue() == "loss")
    return op->emitError("metric name 'loss' is taken by the loss (result #0)");
  for (unsigned other = 1; other < resultIndex; ++other)
    if (auto previous =
            func.getResultAttrOfType<StringAttr>(other, kMetricAttrName);
        previous && previous == name)
      return op->emitError("results #")
             << other << " and #" << resultIndex << " are both metric '"
             << name.getValue() << "'";
  if (!isScalarFloatTensor(func.getResultTypes()[resultIndex]))
    return op->emitError("metric '")
           << name.getValue() << "' must be a 0-d float tensor";
  return success();
}
