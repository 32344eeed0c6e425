//===- Quantize.cpp - QAT, calibration observers and the int8 model -------===//
//
// mlopt-quantize (issue #12). mode=qat and mode=static add observer state and
// observe (qat: and fake-quantize) the operands that each op's
// QuantizableOpInterface names; mode=convert and mode=dynamic rewrite the
// model into its int8 form (convertToInt8) and say how the new states'
// values follow from the float model's (computeQuantizedStateValue, with
// the scalar rules of Support/QuantMath.h).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/Quantize.h"
#include "EraseDeadOps.h"

#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Dialect/MLOpt/IR/Quantization.h"
#include "mlopt/Support/QuantMath.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTQUANTIZE
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

static RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The integer range of int8 kernels.
static constexpr int64_t kInt8Min = -128, kInt8Max = 127;

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

/// The loss function with a body; emits an error otherwise, or when the
/// module already has `@train_step` (the pass rewrites the model).
static FailureOr<func::FuncOp> findLossFunction(ModuleOp module) {
  func::FuncOp loss;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func->hasAttr(MLOptDialect::kTrainStepAttrName))
      return func.emitError("mlopt-quantize: the module already has @")
             << func.getSymName()
             << "; quantize the model before mlopt-autodiff";
    if (func->hasAttr(MLOptDialect::kLossAttrName))
      loss = func;
  }
  if (!loss || loss.isExternal())
    return module.emitError("mlopt-quantize: no loss function with a body "
                            "(marked '")
           << MLOptDialect::kLossAttrName << "') to quantize";
  return loss;
}

/// The `state_read` that `value` is, through `apply_mask`, `fake_quant` and
/// `cast`.
static StateReadOp findStateRead(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto masked = dyn_cast<ApplyMaskOp>(def))
      value = masked.getInput();
    else if (auto fake = dyn_cast<FakeQuantOp>(def))
      value = fake.getInput();
    else if (auto cast = dyn_cast<CastOp>(def))
      value = cast.getInput();
    else
      return dyn_cast<StateReadOp>(def);
  }
  return {};
}

static SmallVector<QuantizedOperand> getQuantizedOperands(Operation *op) {
  SmallVector<QuantizedOperand> operands;
  cast<QuantizableOpInterface>(op).getQuantizedOperands(operands);
  return operands;
}

/// The ops of `loss` to quantize: those named in `names` (every op with
/// QuantizableOpInterface when empty), in walk order. Emits an error for a
/// name that is no registered op or one without an int8 form.
static FailureOr<SmallVector<Operation *>>
selectOps(ModuleOp module, func::FuncOp loss, ArrayRef<std::string> names) {
  llvm::StringSet<> selected;
  for (const std::string &name : names) {
    std::optional<RegisteredOperationName> info =
        RegisteredOperationName::lookup(name, module.getContext());
    if (!info)
      return module.emitError("mlopt-quantize: unknown op '")
             << name << "' in ops";
    if (!info->hasInterface<QuantizableOpInterface>())
      return module.emitError("mlopt-quantize: '")
             << name << "' has no int8 form";
    selected.insert(name);
  }
  SmallVector<Operation *> ops;
  loss.walk([&](QuantizableOpInterface op) {
    if (selected.empty() || selected.contains(op->getName().getStringRef()))
      ops.push_back(op);
  });
  if (ops.empty())
    return loss.emitError("mlopt-quantize: the loss function has no op with "
                          "an int8 form to quantize");
  return ops;
}

/// The layer names of `ops`: `P` for an op with a quantized operand read from
/// the state `P.weight`, else `<mnemonic>_<n>`; unique.
static SmallVector<std::string> assignLayerNames(ArrayRef<Operation *> ops) {
  SmallVector<std::string> names;
  llvm::StringSet<> used;
  llvm::StringMap<int64_t> counters;
  for (Operation *op : ops) {
    std::string name;
    for (const QuantizedOperand &operand : getQuantizedOperands(op)) {
      StateReadOp read = findStateRead(op->getOperand(operand.index));
      if (read && read.getState().ends_with(".weight")) {
        name = read.getState().drop_back(StringRef(".weight").size()).str();
        break;
      }
    }
    if (name.empty()) {
      StringRef mnemonic = op->getName().stripDialect();
      name = (mnemonic + "_" + Twine(counters[mnemonic]++)).str();
    }
    std::string unique = name;
    for (int64_t n = 1; used.contains(unique); ++n)
      unique = (name + "_" + Twine(n)).str();
    used.insert(unique);
    names.push_back(unique);
  }
  return names;
}

/// The parameters of one quantized operand.
struct OperandPlan {
  QuantizedOperand operand;
  std::optional<int64_t> axis;
  int64_t quantMin, quantMax;
};

/// The f32 range type of an operand of type `type` quantized along `axis`.
static RankedTensorType getRangeType(RankedTensorType type,
                                     std::optional<int64_t> axis) {
  Type f32 = Float32Type::get(type.getContext());
  if (!axis)
    return RankedTensorType::get({}, f32);
  return RankedTensorType::get({type.getDimSize(*axis)}, f32);
}

/// Every quantized operand of `op` must be a floating-point tensor.
static LogicalResult checkFloatOperands(Operation *op) {
  for (const QuantizedOperand &operand : getQuantizedOperands(op)) {
    Type type = op->getOperand(operand.index).getType();
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked || !isa<FloatType>(ranked.getElementType()))
      return op->emitOpError("mlopt-quantize: operand #")
             << operand.index << " ('" << operand.role << "') of type " << type
             << " is not floating-point";
  }
  return success();
}

static LogicalResult checkFree(SymbolTable &symbols, StringRef name) {
  if (Operation *clash = symbols.lookup(name))
    return clash->emitError("mlopt-quantize: symbol @")
           << name << " already exists";
  return success();
}

/// Creates a state before `anchor` (after it when `after`).
static StateOp createState(SymbolTable &symbols, Operation *anchor, bool after,
                           StringRef name, RankedTensorType type,
                           StateKind kind, Attribute init) {
  OpBuilder builder(anchor->getContext());
  if (after)
    builder.setInsertionPointAfter(anchor);
  else
    builder.setInsertionPoint(anchor);
  auto state = StateOp::create(builder, anchor->getLoc(), name, type, kind,
                               /*trainable=*/false,
                               cast<InitializerAttrInterface>(init));
  symbols.insert(state, builder.getInsertionPoint());
  return state;
}

static Operation *lastState(ModuleOp module) {
  Operation *last = nullptr;
  for (StateOp state : module.getOps<StateOp>())
    last = state;
  return last;
}

/// The error of a module with pruning masks, for convert and dynamic.
static LogicalResult checkNoMasks(ModuleOp module, StringRef mode) {
  for (StateOp state : module.getOps<StateOp>()) {
    // (`mlopt.masked_by` names a mask state, which the verifier checks.)
    if (state.getKind() == StateKind::Mask)
      return state.emitError("mlopt-quantize: mode=")
             << mode << " needs a model without pruning masks (@"
             << state.getSymName()
             << "): finalize pruning first (mlopt-prune-finalize, or "
                "mlopt-run --finalize-pruning)";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// State values
//===----------------------------------------------------------------------===//

static SmallVector<float> toFloats(DenseElementsAttr attr) {
  SmallVector<float> values;
  values.reserve(attr.getNumElements());
  for (APFloat value : attr.getValues<APFloat>()) {
    bool losesInfo;
    value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
    values.push_back(value.convertToFloat());
  }
  return values;
}

FailureOr<DenseElementsAttr> mlopt::computeQuantizedStateValue(
    const QuantizedStateValue &value,
    llvm::function_ref<DenseElementsAttr(llvm::StringRef state)> lookup) {
  using Kind = QuantizedStateValue::Kind;
  if (value.quantMin >= value.quantMax)
    return failure();
  if (value.kind == Kind::Int8Weight &&
      (value.quantMin < kInt8Min || value.quantMax > kInt8Max))
    return failure();
  bool observed = !value.observerMin.empty();
  // The float tensor: quantized (Int8Weight) or giving its own range.
  DenseElementsAttr source;
  MLIRContext *context = nullptr;
  int64_t channels = 1, inner = 1;
  if (value.kind == Kind::Int8Weight || !observed) {
    source = lookup(value.source);
    if (!source || !isa<FloatType>(source.getElementType()))
      return failure();
    context = source.getContext();
    auto type = cast<RankedTensorType>(source.getType());
    if (value.axis) {
      if (*value.axis < 0 || *value.axis >= type.getRank())
        return failure();
      channels = type.getDimSize(*value.axis);
      for (int64_t dim = *value.axis + 1; dim < type.getRank(); ++dim)
        inner *= type.getDimSize(dim);
    }
  }
  SmallVector<float> sourceValues;
  if (source)
    sourceValues = toFloats(source);
  auto channelOf = [&](int64_t i) { return (i / inner) % channels; };

  // The ranges, one per channel.
  SmallVector<float> mins, maxs;
  if (observed) {
    DenseElementsAttr min = lookup(value.observerMin);
    DenseElementsAttr max = lookup(value.observerMax);
    if (!min || !max || min.getType() != max.getType() ||
        !min.getElementType().isF32())
      return failure();
    auto rangeType = cast<RankedTensorType>(min.getType());
    if (rangeType.getRank() != (value.axis ? 1 : 0))
      return failure();
    if (source && rangeType.getNumElements() != channels)
      return failure();
    context = min.getContext();
    mins = llvm::to_vector(min.getValues<float>());
    maxs = llvm::to_vector(max.getValues<float>());
  } else {
    mins.assign(channels, quant_math::kUnobservedMin);
    maxs.assign(channels, quant_math::kUnobservedMax);
    for (auto [i, x] : llvm::enumerate(sourceValues)) {
      int64_t channel = channelOf(i);
      mins[channel] = std::fmin(mins[channel], x);
      maxs[channel] = std::fmax(maxs[channel], x);
    }
  }
  SmallVector<quant_math::QuantParams> params;
  for (auto [min, max] : llvm::zip_equal(mins, maxs))
    params.push_back(quant_math::computeQuantParams(
        min, max, value.quantMin, value.quantMax, value.symmetric));

  SmallVector<int64_t> rangeShape;
  if (value.axis)
    rangeShape.push_back(static_cast<int64_t>(params.size()));
  switch (value.kind) {
  case Kind::Scale: {
    SmallVector<float> scales =
        llvm::map_to_vector(params, [](auto p) { return p.scale; });
    auto type = RankedTensorType::get(rangeShape, Float32Type::get(context));
    return DenseElementsAttr::get(type, ArrayRef<float>(scales));
  }
  case Kind::ZeroPoint: {
    SmallVector<int32_t> zeroPoints =
        llvm::map_to_vector(params, [](auto p) { return p.zeroPoint; });
    auto type =
        RankedTensorType::get(rangeShape, IntegerType::get(context, 32));
    return DenseElementsAttr::get(type, ArrayRef<int32_t>(zeroPoints));
  }
  case Kind::Int8Weight: {
    SmallVector<int8_t> quantized;
    quantized.reserve(sourceValues.size());
    for (auto [i, x] : llvm::enumerate(sourceValues)) {
      const quant_math::QuantParams &p = params[channelOf(i)];
      quantized.push_back(static_cast<int8_t>(quant_math::quantize(
          x, p.scale, p.zeroPoint, value.quantMin, value.quantMax)));
    }
    auto type = cast<RankedTensorType>(source.getType())
                    .clone(IntegerType::get(context, 8));
    return DenseElementsAttr::get(type, ArrayRef<int8_t>(quantized));
  }
  }
  return failure();
}

//===----------------------------------------------------------------------===//
// The int8 conversion
//===----------------------------------------------------------------------===//

/// One quantized operand of a layer being converted.
struct ConvertedOperand {
  OperandPlan plan;
  /// convert: the observers (erased before the rewrite).
  StateOp min, max;
  std::string minName, maxName;
};

/// One layer being converted.
struct ConvertedLayer {
  Operation *op;
  std::string name;
  SmallVector<ConvertedOperand> operands;
};

/// The state that `use`'s value is a read of, through casts, when that read
/// feeds nothing else and the state is read nowhere else: it can become an
/// int8 state.
static StateOp findOwnedFloatState(OpOperand &use, ModuleOp module) {
  Value value = use.get();
  if (!value.hasOneUse())
    return {};
  while (auto cast = value.getDefiningOp<CastOp>()) {
    value = cast.getInput();
    if (!value.hasOneUse())
      return {};
  }
  auto read = value.getDefiningOp<StateReadOp>();
  if (!read)
    return {};
  auto state =
      SymbolTable::lookupNearestSymbolFrom<StateOp>(read, read.getStateAttr());
  if (!state || state.getKind() != StateKind::Parameter ||
      !isa<FloatType>(state.getTensorType().getElementType()))
    return {};
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(state.getSymNameAttr(), module);
  if (!uses || !llvm::hasSingleElement(*uses))
    return {};
  return state;
}

/// The bits of `operand` in `options`: weights (symmetric) or activations.
static int64_t getBits(const Int8ConversionOptions &options,
                       const QuantizedOperand &operand) {
  return operand.symmetric ? options.weightBits : options.activationBits;
}

FailureOr<QuantConversion>
mlopt::convertToInt8(ModuleOp module, bool dynamic,
                     const Int8ConversionOptions &options) {
  StringRef mode = dynamic ? "dynamic" : "convert";
  FailureOr<func::FuncOp> maybeLoss = findLossFunction(module);
  if (failed(maybeLoss))
    return failure();
  func::FuncOp loss = *maybeLoss;
  if (failed(checkNoMasks(module, mode)))
    return failure();
  for (int64_t bits : {options.weightBits, options.activationBits})
    if (bits < 2 || bits > 8)
      return module.emitError("mlopt-quantize: ")
             << bits << " bits are not supported: mode=" << mode
             << " stores 2..8 bits in int8";
  SymbolTable symbols(module);
  MLIRContext *context = module.getContext();
  QuantConversion conversion;

  // The values that the float model embeds, for the new states' values.
  llvm::StringMap<DenseElementsAttr> floatValues;
  for (StateOp state : module.getOps<StateOp>())
    if (auto init = dyn_cast<ValueInitAttr>(state.getInitializer()))
      floatValues[state.getSymName()] = init.getValue();

  // The layers.
  SmallVector<ConvertedLayer> layers;
  if (dynamic) {
    Operation *observed = nullptr;
    loss.walk([&](Operation *op) {
      if (!observed &&
          (op->hasAttr(kQuantLayerAttrName) || isa<ObserveOp, FakeQuantOp>(op)))
        observed = op;
    });
    if (observed)
      return observed->emitOpError(
          "mlopt-quantize: mode=dynamic quantizes a float model, this one "
          "has the observers of mode=qat or mode=static (use mode=convert)");
    FailureOr<SmallVector<Operation *>> ops =
        selectOps(module, loss, options.ops);
    if (failed(ops))
      return failure();
    SmallVector<std::string> names = assignLayerNames(*ops);
    for (auto [op, name] : llvm::zip_equal(*ops, names)) {
      if (failed(checkFloatOperands(op)))
        return failure();
      ConvertedLayer layer{op, name, {}};
      for (const QuantizedOperand &operand : getQuantizedOperands(op)) {
        std::optional<int64_t> axis;
        if (options.perChannel)
          axis = operand.channelAxis;
        int64_t bits = getBits(options, operand);
        layer.operands.push_back({{operand, axis, quant_math::signedMin(bits),
                                   quant_math::signedMax(bits)},
                                  {},
                                  {},
                                  "",
                                  ""});
      }
      layers.push_back(std::move(layer));
    }
  } else {
    loss.walk([&](Operation *op) {
      if (auto name = op->getAttrOfType<StringAttr>(kQuantLayerAttrName))
        layers.push_back({op, name.str(), {}});
    });
    if (layers.empty())
      return module.emitError("mlopt-quantize: mode=convert needs a model "
                              "with observers (mlopt-quantize mode=qat or "
                              "mode=static first)");
    for (ConvertedLayer &layer : layers) {
      Operation *op = layer.op;
      if (!isa<QuantizableOpInterface>(op))
        return op->emitOpError("mlopt-quantize: is stamped '")
               << kQuantLayerAttrName << "' but has no int8 form";
      for (const QuantizedOperand &operand : getQuantizedOperands(op)) {
        StateOp states[2];
        for (bool max : {false, true}) {
          std::string name =
              getObserverStateName(layer.name, operand.role, max);
          states[max] = symbols.lookup<StateOp>(name);
          if (!states[max])
            return op->emitOpError("mlopt-quantize: mode=convert needs a "
                                   "model with observers (mlopt-quantize "
                                   "mode=qat or mode=static first): layer '")
                   << layer.name << "' has no @" << name;
        }
        RankedTensorType rangeType = states[0].getTensorType();
        Value value = op->getOperand(operand.index);
        RankedTensorType valueType = tensorTypeOf(value);
        std::optional<int64_t> axis;
        if (rangeType.getRank() == 1 && operand.channelAxis)
          axis = operand.channelAxis;
        if (states[0].getKind() != StateKind::Observer ||
            states[1].getKind() != StateKind::Observer ||
            states[1].getType() != rangeType ||
            rangeType != getRangeType(valueType, axis))
          return states[0].emitOpError("mlopt-quantize: observers @")
                 << states[0].getSymName() << " and @" << states[1].getSymName()
                 << " of layer '" << layer.name
                 << "' must be observer states of type "
                 << getRangeType(valueType, axis) << " for " << valueType;
        // The range QAT trained with, else (mode=static) the options'.
        int64_t bits = getBits(options, operand);
        int64_t qmin = quant_math::signedMin(bits);
        int64_t qmax = quant_math::signedMax(bits);
        if (auto fake = value.getDefiningOp<FakeQuantOp>()) {
          qmin = static_cast<int64_t>(fake.getQuantMin());
          qmax = static_cast<int64_t>(fake.getQuantMax());
          if (qmin < kInt8Min || qmax > kInt8Max)
            return fake.emitOpError("mlopt-quantize: was trained with the "
                                    "integer range [")
                   << qmin << ", " << qmax
                   << "], which int8 does not hold ([-128, 127])";
        }
        layer.operands.push_back({{operand, axis, qmin, qmax},
                                  states[0],
                                  states[1],
                                  states[0].getSymName().str(),
                                  states[1].getSymName().str()});
      }
    }

    // Remove the observers, fake_quant and quantization.step.
    llvm::SetVector<Operation *> removedStates;
    for (ConvertedLayer &layer : layers)
      for (ConvertedOperand &operand : layer.operands) {
        removedStates.insert(operand.min);
        removedStates.insert(operand.max);
      }
    if (auto step = symbols.lookup<StateOp>(kQuantizationStepStateName))
      removedStates.insert(step);
    SmallVector<Operation *> dead;
    for (ConvertedLayer &layer : layers)
      for (ConvertedOperand &operand : layer.operands) {
        OpOperand &use = layer.op->getOpOperand(operand.plan.operand.index);
        if (auto fake = use.get().getDefiningOp<FakeQuantOp>()) {
          use.set(fake.getInput());
          dead.push_back(fake);
        }
      }
    loss.walk([&](StateWriteOp write) {
      if (removedStates.contains(symbols.lookup(write.getState())))
        dead.push_back(write);
    });
    eraseWithDeadProducers(dead);
    for (Operation *state : removedStates) {
      auto name = cast<StateOp>(state).getSymNameAttr();
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(name, module);
      if (uses && !uses->empty())
        return uses->begin()->getUser()->emitOpError("mlopt-quantize: uses @")
               << name.getValue() << ", which mode=convert removes";
    }
    for (Operation *state : removedStates) {
      conversion.removedStates.push_back(
          cast<StateOp>(state).getSymName().str());
      symbols.erase(state);
    }
  }

  // The int8 form of every layer.
  auto i32 = IntegerType::get(context, 32);
  auto i8 = IntegerType::get(context, 8);
  std::map<std::string, QuantizedStateValue> values;
  for (ConvertedLayer &layer : layers) {
    Operation *op = layer.op;
    OpBuilder b(op);
    Location loc = op->getLoc();
    MLOptBuilder mb(b, loc);
    SmallVector<QuantizedValue> quantized;
    for (ConvertedOperand &operand : layer.operands) {
      const OperandPlan &plan = operand.plan;
      StringRef role = plan.operand.role;
      OpOperand &use = op->getOpOperand(plan.operand.index);
      Value value = use.get();
      RankedTensorType valueType = tensorTypeOf(value);
      RankedTensorType rangeType = getRangeType(valueType, plan.axis);
      IntegerAttr axisAttr;
      if (plan.axis)
        axisAttr = b.getI64IntegerAttr(*plan.axis);
      IntegerAttr qmin = b.getI64IntegerAttr(plan.quantMin);
      IntegerAttr qmax = b.getI64IntegerAttr(plan.quantMax);
      StateOp weight = findOwnedFloatState(use, module);

      // Scale and zero point states: convert always, dynamic for weights.
      StateOp scaleState, zeroPointState;
      QuantizedStateValue base;
      base.quantMin = plan.quantMin;
      base.quantMax = plan.quantMax;
      base.symmetric = plan.operand.symmetric;
      base.axis = plan.axis;
      base.observerMin = operand.minName;
      base.observerMax = operand.maxName;
      if (weight)
        base.source = weight.getSymName().str();
      if (!dynamic || weight) {
        std::string scaleName =
            getQuantParamStateName(layer.name, role, /*zeroPoint=*/false);
        std::string zeroPointName =
            getQuantParamStateName(layer.name, role, /*zeroPoint=*/true);
        if (failed(checkFree(symbols, scaleName)) ||
            failed(checkFree(symbols, zeroPointName)))
          return failure();
        // After the weight, or after the last state.
        Operation *anchor = weight ? weight.getOperation() : lastState(module);
        scaleState =
            createState(symbols, anchor, /*after=*/true, scaleName, rangeType,
                        StateKind::Buffer, OnesInitAttr::get(context));
        zeroPointState =
            createState(symbols, scaleState, /*after=*/true, zeroPointName,
                        rangeType.clone(i32), StateKind::Buffer,
                        ZerosInitAttr::get(context));
        QuantizedStateValue scale = base, zeroPoint = base;
        scale.kind = QuantizedStateValue::Kind::Scale;
        scale.state = scaleName;
        zeroPoint.kind = QuantizedStateValue::Kind::ZeroPoint;
        zeroPoint.state = zeroPointName;
        values[scaleName] = scale;
        values[zeroPointName] = zeroPoint;
      }

      QuantizedValue q;
      if (scaleState) {
        q.scale = StateReadOp::create(b, loc, scaleState.getType(),
                                      scaleState.getSymName());
        q.zeroPoint = StateReadOp::create(b, loc, zeroPointState.getType(),
                                          zeroPointState.getSymName());
      }
      if (weight) {
        // The state itself becomes int8.
        auto type = weight.getTensorType().clone(i8);
        weight.setType(type);
        weight.setTrainable(false);
        weight.setInitializerAttr(ZerosInitAttr::get(context));
        QuantizedStateValue int8 = base;
        int8.kind = QuantizedStateValue::Kind::Int8Weight;
        int8.state = weight.getSymName().str();
        values[int8.state] = int8;
        q.value =
            StateReadOp::create(b, loc, type, weight.getSymName()).getResult();
      } else {
        if (dynamic) {
          // This batch's range.
          Value inf = mb.splat(rangeType, quant_math::kUnobservedMin);
          Value negInf = mb.splat(rangeType, quant_math::kUnobservedMax);
          Value update = ConstantOp::create(
              b, loc,
              DenseElementsAttr::get(RankedTensorType::get({}, b.getI1Type()),
                                     true));
          auto observe = ObserveOp::create(b, loc, value, inf, negInf, update,
                                           axisAttr, b.getF64FloatAttr(0.0));
          auto params = QuantParamsOp::create(
              b, loc, observe.getNewMin(), observe.getNewMax(), qmin, qmax,
              plan.operand.symmetric ? b.getUnitAttr() : UnitAttr());
          q.scale = params.getScale();
          q.zeroPoint = params.getZeroPoint();
        }
        q.value = QuantizeOp::create(b, loc, valueType.clone(i8), value,
                                     q.scale, q.zeroPoint, qmin, qmax, axisAttr)
                      .getResult();
      }
      quantized.push_back(q);
    }
    FailureOr<Value> replacement =
        cast<QuantizableOpInterface>(op).buildInt8Form(b, quantized);
    if (failed(replacement))
      return failure();
    op->getResult(0).replaceAllUsesWith(*replacement);
    eraseWithDeadProducers({op});
  }

  // The new values, in declaration order; the ones the model embeds.
  auto lookup = [&](StringRef name) -> DenseElementsAttr {
    return floatValues.lookup(name);
  };
  for (StateOp state : module.getOps<StateOp>()) {
    auto it = values.find(state.getSymName().str());
    if (it == values.end())
      continue;
    FailureOr<DenseElementsAttr> value =
        computeQuantizedStateValue(it->second, lookup);
    if (succeeded(value))
      state.setInitializerAttr(ValueInitAttr::get(context, *value));
    conversion.values.push_back(it->second);
  }
  return conversion;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

/// The validated options of qat and static.
struct Config {
  QuantizeMode mode;
  int64_t weightBits, activationBits;
  bool perChannel;
  double averagingConstant;
  int64_t freezeObserversAfter;
};

struct MLOptQuantizePass : mlopt::impl::MLOptQuantizeBase<MLOptQuantizePass> {
  using Base::Base;
  void runOnOperation() override;

  /// `mode` parsed, or nullopt.
  std::optional<QuantizeMode> parseMode() const;
  /// The options of mode=dynamic.
  Int8ConversionOptions getConversionOptions() const {
    Int8ConversionOptions options;
    options.ops.assign(ops.begin(), ops.end());
    options.perChannel = perChannel;
    options.weightBits = weightBits;
    options.activationBits = activationBits;
    return options;
  }

private:
  FailureOr<Config> buildConfig();
  LogicalResult addObservers(const Config &config);
};

} // namespace

std::optional<QuantizeMode> MLOptQuantizePass::parseMode() const {
  StringRef text = mode.getValue();
  if (text == "qat")
    return QuantizeMode::Qat;
  if (text == "static")
    return QuantizeMode::Static;
  if (text == "dynamic")
    return QuantizeMode::Dynamic;
  if (text == "convert")
    return QuantizeMode::Convert;
  return std::nullopt;
}

static const MLOptQuantizePass *asQuantizePass(const Pass &pass) {
  if (pass.getTypeID() != TypeID::get<MLOptQuantizePass>())
    return nullptr;
  return static_cast<const MLOptQuantizePass *>(&pass);
}

std::optional<QuantizeMode> mlopt::getQuantizeMode(const Pass &pass) {
  if (const MLOptQuantizePass *quantize = asQuantizePass(pass))
    return quantize->parseMode();
  return std::nullopt;
}

std::optional<Int8ConversionOptions>
mlopt::getInt8ConversionOptions(const Pass &pass) {
  const MLOptQuantizePass *quantize = asQuantizePass(pass);
  if (!quantize)
    return std::nullopt;
  return quantize->getConversionOptions();
}

FailureOr<Config> MLOptQuantizePass::buildConfig() {
  ModuleOp module = getOperation();
  auto error = [&]() { return module.emitError("mlopt-quantize: "); };
  Config config;
  std::optional<QuantizeMode> parsed = parseMode();
  if (!parsed) {
    if (mode.empty())
      error() << "needs a mode (qat, static, dynamic or convert)";
    else
      error() << "unknown mode '" << mode
              << "' (expected qat, static, dynamic or convert)";
    return failure();
  }
  config.mode = *parsed;
  for (auto [name, bits] :
       {std::pair<StringRef, int64_t>{"weight-bits", weightBits},
        {"activation-bits", activationBits}}) {
    if (bits < 2 || bits > 8) {
      if (config.mode == QuantizeMode::Qat)
        error() << name << "=" << bits
                << " is not supported: mode=qat fake-quantizes to 2..8 bits";
      else
        error() << name << "=" << bits << " is not supported: mode=" << mode
                << " stores 2..8 bits in int8";
      return failure();
    }
  }
  config.weightBits = weightBits;
  config.activationBits = activationBits;
  config.perChannel = perChannel;
  StringRef kind = observer.getValue();
  if (kind.empty())
    kind = config.mode == QuantizeMode::Qat ? "moving-average" : "minmax";
  if (kind == "minmax") {
    config.averagingConstant = 0.0;
  } else if (kind == "moving-average") {
    if (!(averagingConstant > 0.0 && averagingConstant <= 1.0)) {
      error() << "averaging-constant " << averagingConstant
              << " lies outside (0, 1]";
      return failure();
    }
    config.averagingConstant = averagingConstant;
  } else {
    error() << "unknown observer '" << kind
            << "' (expected minmax or moving-average)";
    return failure();
  }
  if (freezeObserversAfter < -1) {
    error() << "freeze-observers-after must be >= 0 (or -1: never), got "
            << static_cast<int64_t>(freezeObserversAfter);
    return failure();
  }
  config.freezeObserversAfter = freezeObserversAfter;
  if (config.mode == QuantizeMode::Convert && !ops.empty()) {
    error() << "mode=convert converts the layers that mode=qat or "
               "mode=static prepared; it takes no ops";
    return failure();
  }
  return config;
}

LogicalResult MLOptQuantizePass::addObservers(const Config &config) {
  ModuleOp module = getOperation();
  MLIRContext *context = &getContext();
  FailureOr<func::FuncOp> maybeLoss = findLossFunction(module);
  if (failed(maybeLoss))
    return failure();
  func::FuncOp loss = *maybeLoss;
  Operation *stamped = nullptr;
  loss.walk([&](Operation *op) {
    if (!stamped && op->hasAttr(kQuantLayerAttrName))
      stamped = op;
  });
  if (stamped)
    return stamped->emitOpError("mlopt-quantize: is quantized already (")
           << kQuantLayerAttrName << " = "
           << stamped->getAttr(kQuantLayerAttrName) << ")";
  SmallVector<std::string> opNames(ops.begin(), ops.end());
  FailureOr<SmallVector<Operation *>> selected =
      selectOps(module, loss, opNames);
  if (failed(selected))
    return failure();
  SmallVector<std::string> layers = assignLayerNames(*selected);

  // Every check before the module changes.
  SymbolTable symbols(module);
  for (auto [op, layer] : llvm::zip_equal(*selected, layers)) {
    if (failed(checkFloatOperands(op)))
      return failure();
    for (const QuantizedOperand &operand : getQuantizedOperands(op))
      for (bool max : {false, true})
        if (failed(checkFree(symbols,
                             getObserverStateName(layer, operand.role, max))))
          return failure();
  }
  bool freeze = config.freezeObserversAfter >= 0;
  if (freeze && failed(checkFree(symbols, kQuantizationStepStateName)))
    return failure();

  // Whether the observers update in this step.
  OpBuilder builder = OpBuilder::atBlockBegin(&loss.front());
  Location loc = loss.getLoc();
  MLOptBuilder start(builder, loc);
  Value update;
  if (freeze) {
    auto i64Scalar = RankedTensorType::get({}, builder.getI64Type());
    StateOp step = createState(symbols, lastState(module), /*after=*/true,
                               kQuantizationStepStateName, i64Scalar,
                               StateKind::Step, ZerosInitAttr::get(context));
    Value count =
        StateReadOp::create(builder, loc, i64Scalar, step.getSymName());
    Value limit = ConstantOp::create(
        builder, loc,
        DenseElementsAttr::get(i64Scalar,
                               ArrayRef<int64_t>{config.freezeObserversAfter}));
    update = start.compare(ComparePredicate::LT, count, limit);
    StateWriteOp::create(builder, loc, start.increment(count),
                         step.getSymName());
  } else {
    update = ConstantOp::create(
        builder, loc,
        DenseElementsAttr::get(RankedTensorType::get({}, builder.getI1Type()),
                               true));
  }

  for (auto [op, layer] : llvm::zip_equal(*selected, layers)) {
    OpBuilder b(op);
    Location opLoc = op->getLoc();
    for (const QuantizedOperand &operand : getQuantizedOperands(op)) {
      Value value = op->getOperand(operand.index);
      RankedTensorType valueType = tensorTypeOf(value);
      std::optional<int64_t> axis;
      if (config.perChannel)
        axis = operand.channelAxis;
      int64_t bits =
          operand.symmetric ? config.weightBits : config.activationBits;
      IntegerAttr qmin = b.getI64IntegerAttr(quant_math::signedMin(bits));
      IntegerAttr qmax = b.getI64IntegerAttr(quant_math::signedMax(bits));
      IntegerAttr axisAttr;
      if (axis)
        axisAttr = b.getI64IntegerAttr(*axis);
      RankedTensorType rangeType = getRangeType(valueType, axis);
      StateOp states[2];
      for (bool max : {false, true}) {
        float init =
            max ? quant_math::kUnobservedMax : quant_math::kUnobservedMin;
        states[max] = createState(
            symbols, lastState(module), /*after=*/true,
            getObserverStateName(layer, operand.role, max), rangeType,
            StateKind::Observer,
            ValueInitAttr::get(
                context,
                DenseElementsAttr::get(rangeType, b.getF32FloatAttr(init))));
      }
      Value min =
          StateReadOp::create(b, opLoc, rangeType, states[0].getSymName());
      Value max =
          StateReadOp::create(b, opLoc, rangeType, states[1].getSymName());
      auto observe =
          ObserveOp::create(b, opLoc, value, min, max, update, axisAttr,
                            b.getF64FloatAttr(config.averagingConstant));
      StateWriteOp::create(b, opLoc, observe.getNewMin(),
                           states[0].getSymName());
      StateWriteOp::create(b, opLoc, observe.getNewMax(),
                           states[1].getSymName());
      if (config.mode != QuantizeMode::Qat)
        continue;
      auto params = QuantParamsOp::create(
          b, opLoc, observe.getNewMin(), observe.getNewMax(), qmin, qmax,
          operand.symmetric ? b.getUnitAttr() : UnitAttr());
      Value fake =
          FakeQuantOp::create(b, opLoc, value, params.getScale(),
                              params.getZeroPoint(), qmin, qmax, axisAttr);
      op->setOperand(operand.index, fake);
    }
    op->setAttr(kQuantLayerAttrName, StringAttr::get(context, layer));
  }
  return success();
}

void MLOptQuantizePass::runOnOperation() {
  FailureOr<Config> config = buildConfig();
  if (failed(config))
    return signalPassFailure();
  switch (config->mode) {
  case QuantizeMode::Qat:
  case QuantizeMode::Static:
    if (failed(addObservers(*config)))
      return signalPassFailure();
    return;
  case QuantizeMode::Dynamic:
  case QuantizeMode::Convert: {
    if (failed(convertToInt8(getOperation(),
                             config->mode == QuantizeMode::Dynamic,
                             getConversionOptions())))
      return signalPassFailure();
    return;
  }
  }
}
