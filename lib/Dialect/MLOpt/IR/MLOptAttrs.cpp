//===- MLOptAttrs.cpp - state initializers and the state manifest ---------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;

#include "mlopt/Dialect/MLOpt/IR/MLOptEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "mlopt/Dialect/MLOpt/IR/MLOptAttrs.cpp.inc"

void MLOptDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "mlopt/Dialect/MLOpt/IR/MLOptAttrs.cpp.inc"
      >();
}

using EmitErrorFn = llvm::function_ref<InFlightDiagnostic()>;

static LogicalResult requireFloat(StringRef name, RankedTensorType type,
                                  EmitErrorFn emitError) {
  if (isa<FloatType>(type.getElementType()))
    return success();
  return emitError() << "initializer '" << name
                     << "' needs a floating-point element type, got " << type;
}

/// Fan-based initializers need rank >= 2 (PyTorch raises otherwise).
static LogicalResult requireFans(StringRef name, RankedTensorType type,
                                 EmitErrorFn emitError) {
  if (type.getRank() >= 2)
    return success();
  return emitError() << "initializer '" << name
                     << "' computes fans from a tensor of rank >= 2, got "
                     << type;
}

/// Parses a parameterless initializer, rejecting a `<...>` body that the
/// default parser would silently ignore.
static LogicalResult parseNoParameters(AsmParser &parser, StringRef name) {
  SMLoc loc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalLess()))
    return parser.emitError(loc)
           << "initializer '" << name << "' takes no parameters";
  return success();
}

Attribute ZerosInitAttr::parse(AsmParser &parser, Type) {
  if (failed(parseNoParameters(parser, getMnemonic())))
    return {};
  return get(parser.getContext());
}

void ZerosInitAttr::print(AsmPrinter &) const {}

Attribute OnesInitAttr::parse(AsmParser &parser, Type) {
  if (failed(parseNoParameters(parser, getMnemonic())))
    return {};
  return get(parser.getContext());
}

void OnesInitAttr::print(AsmPrinter &) const {}

Attribute FromSeedInitAttr::parse(AsmParser &parser, Type) {
  if (failed(parseNoParameters(parser, getMnemonic())))
    return {};
  return get(parser.getContext());
}

void FromSeedInitAttr::print(AsmPrinter &) const {}

LogicalResult FromSeedInitAttr::verifyForType(RankedTensorType type,
                                              EmitErrorFn emitError) const {
  if (type.getElementType().isSignlessInteger(64))
    return success();
  return emitError() << "initializer 'from_seed' needs an i64 element type, "
                        "got "
                     << type;
}

LogicalResult ZerosInitAttr::verifyForType(RankedTensorType,
                                           EmitErrorFn) const {
  return success();
}

LogicalResult OnesInitAttr::verifyForType(RankedTensorType, EmitErrorFn) const {
  return success();
}

LogicalResult ConstantInitAttr::verifyForType(RankedTensorType type,
                                              EmitErrorFn emitError) const {
  double value = getValue().convertToDouble();
  // State must stay finite: a NaN or infinite start saves as a poisoned
  // checkpoint and trains nothing.
  if (!std::isfinite(value))
    return emitError() << "initializer 'constant' value " << value
                       << " is not finite";
  auto intType = dyn_cast<IntegerType>(type.getElementType());
  if (!intType)
    return success();
  if (value != std::trunc(value))
    return emitError() << "initializer 'constant' value " << value
                       << " is not integral for " << type;
  // Like PyTorch's fill_ on a signed integer (or bool) tensor, reject values
  // that would wrap: iN holds [-2^(N-1), 2^(N-1)), i1 holds {0, 1}.
  unsigned width = intType.getWidth();
  double low = width == 1 ? 0.0 : -std::ldexp(1.0, width - 1);
  double end = width == 1 ? 2.0 : std::ldexp(1.0, width - 1);
  if (value < low || value >= end)
    return emitError() << "initializer 'constant' value " << value
                       << " does not fit in " << type;
  return success();
}

LogicalResult ValueInitAttr::verifyForType(RankedTensorType type,
                                           EmitErrorFn emitError) const {
  if (getValue().getType() != type)
    return emitError() << "initializer 'value' of type " << getValue().getType()
                       << " does not match the state's type " << type;
  // Infinities are values: an observer that has seen nothing holds the
  // range (+inf, -inf) (mlopt-quantize). NaN is not.
  if (auto floats = dyn_cast<DenseFPElementsAttr>(getValue()))
    for (APFloat element : floats.getValues<APFloat>())
      if (element.isNaN())
        return emitError() << "initializer 'value' holds a non-finite element";
  return success();
}

LogicalResult UniformInitAttr::verify(EmitErrorFn emitError, APFloat lowValue,
                                      APFloat highValue) {
  double low = lowValue.convertToDouble();
  double high = highValue.convertToDouble();
  if (!(low < high))
    return emitError() << "uniform initializer needs low < high, got [" << low
                       << ", " << high << ")";
  return success();
}

LogicalResult UniformInitAttr::verifyForType(RankedTensorType type,
                                             EmitErrorFn emitError) const {
  return requireFloat("uniform", type, emitError);
}

LogicalResult NormalInitAttr::verify(EmitErrorFn emitError, APFloat meanValue,
                                     APFloat stdValue) {
  double mean = meanValue.convertToDouble();
  double std = stdValue.convertToDouble();
  if (!(std > 0.0) || !std::isfinite(mean) || !std::isfinite(std))
    return emitError() << "normal initializer needs a finite mean and std > 0, "
                          "got mean "
                       << mean << ", std " << std;
  return success();
}

LogicalResult NormalInitAttr::verifyForType(RankedTensorType type,
                                            EmitErrorFn emitError) const {
  return requireFloat("normal", type, emitError);
}

LogicalResult KaimingUniformInitAttr::verify(EmitErrorFn emitError, APFloat a,
                                             int64_t fanIn) {
  if (!a.isFinite())
    return emitError() << "kaiming_uniform needs a finite 'a'";
  if (fanIn < 0)
    return emitError() << "kaiming_uniform needs fan_in >= 0 (0: computed), "
                          "got "
                       << fanIn;
  return success();
}

LogicalResult
KaimingUniformInitAttr::verifyForType(RankedTensorType type,
                                      EmitErrorFn emitError) const {
  if (failed(requireFloat("kaiming_uniform", type, emitError)))
    return failure();
  if (getFanIn() > 0)
    return success();
  return requireFans("kaiming_uniform", type, emitError);
}

LogicalResult XavierUniformInitAttr::verify(EmitErrorFn emitError,
                                            APFloat gainValue) {
  double gain = gainValue.convertToDouble();
  if (!(gain > 0.0) || !std::isfinite(gain))
    return emitError() << "xavier_uniform needs a finite gain > 0, got "
                       << gain;
  return success();
}

LogicalResult
XavierUniformInitAttr::verifyForType(RankedTensorType type,
                                     EmitErrorFn emitError) const {
  if (failed(requireFloat("xavier_uniform", type, emitError)))
    return failure();
  return requireFans("xavier_uniform", type, emitError);
}

//===----------------------------------------------------------------------===//
// State kinds and the manifest
//===----------------------------------------------------------------------===//

bool mlir::mlopt::isTrainingStateKind(StateKind kind) {
  switch (kind) {
  case StateKind::Parameter:
  case StateKind::Buffer:
  case StateKind::Mask:
  case StateKind::Observer:
  // A distillation teacher's tensors are neither: checkpoints leave them out.
  case StateKind::Teacher:
    return false;
  case StateKind::OptimizerState:
  case StateKind::LossScale:
  case StateKind::Step:
  case StateKind::Rng:
    return true;
  }
  llvm_unreachable("unknown StateKind");
}

/// The element types of state tensors that the runtime holds (checkpoints
/// and data share this list).
static bool isSupportedStateElementType(Type type) {
  return type.isF64() || type.isF32() || type.isF16() || type.isBF16() ||
         type.isInteger(64) || type.isInteger(32) || type.isInteger(8) ||
         type.isInteger(1);
}

LogicalResult StateEntryAttr::verify(EmitErrorFn emitError, StringRef name,
                                     StateKind kind, RankedTensorType type,
                                     bool trainable) {
  if (name.empty())
    return emitError() << "state entry needs a non-empty name";
  if (!type)
    return emitError() << "state entry '" << name << "' needs a tensor type";
  if (!type.hasStaticShape())
    return emitError() << "state entry '" << name
                       << "' needs a static shape, got " << type;
  if (!isSupportedStateElementType(type.getElementType()))
    return emitError() << "state entry '" << name << "' has element type "
                       << type.getElementType()
                       << ", which the runtime does not hold (f64, f32, f16, "
                          "bf16, i64, i32, i8, i1)";
  if (trainable && kind != StateKind::Parameter)
    return emitError() << "state entry '" << name
                       << "': only 'parameter' state can be trainable, got '"
                       << stringifyStateKind(kind) << "'";
  if (trainable && !isa<FloatType>(type.getElementType()))
    return emitError() << "state entry '" << name
                       << "': trainable state needs a floating-point element "
                          "type, got "
                       << type;
  return success();
}

bool StateEntryAttr::isTrainingState() const {
  return isTrainingStateKind(getKind());
}

/// `<"name", kind, tensor<...>[, trainable]>`
Attribute StateEntryAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  std::string name;
  RankedTensorType type;
  if (parser.parseLess() || parser.parseString(&name) || parser.parseComma())
    return {};
  FailureOr<StateKind> kind = FieldParser<StateKind>::parse(parser);
  if (failed(kind) || parser.parseComma() || parser.parseType(type))
    return {};
  bool trainable = false;
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("trainable"))
      return {};
    trainable = true;
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&]() { return parser.emitError(loc); },
                    parser.getContext(), name, *kind, type, trainable);
}

void StateEntryAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printString(getName());
  printer << ", " << stringifyStateKind(getKind()) << ", " << getType();
  if (getTrainable())
    printer << ", trainable";
  printer << ">";
}

LogicalResult ManifestAttr::verify(EmitErrorFn emitError,
                                   ArrayRef<StateEntryAttr> entries) {
  llvm::StringSet<> names;
  for (StateEntryAttr entry : entries) {
    if (!entry)
      return emitError() << "manifest entry is null";
    if (!names.insert(entry.getName()).second)
      return emitError() << "manifest lists state '" << entry.getName()
                         << "' twice";
  }
  return success();
}

StateEntryAttr ManifestAttr::lookup(StringRef name) const {
  for (StateEntryAttr entry : getEntries())
    if (entry.getName() == name)
      return entry;
  return {};
}

/// `<[entry, ...]>`, each entry with or without `#mlopt.state_entry`.
Attribute ManifestAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<StateEntryAttr> entries;
  auto parseEntry = [&]() -> ParseResult {
    StateEntryAttr entry;
    if (parser.parseCustomAttributeWithFallback(entry))
      return failure();
    entries.push_back(entry);
    return success();
  };
  if (parser.parseLess() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square,
                                     parseEntry) ||
      parser.parseGreater())
    return {};
  return getChecked([&]() { return parser.emitError(loc); },
                    parser.getContext(), entries);
}

void ManifestAttr::print(AsmPrinter &printer) const {
  printer << "<[";
  llvm::interleaveComma(getEntries(), printer, [&](StateEntryAttr entry) {
    printer.printStrippedAttrOrType(entry);
  });
  printer << "]>";
}

FailureOr<ManifestAttr> mlir::mlopt::buildStateManifest(ModuleOp module) {
  SmallVector<StateEntryAttr> entries;
  for (StateOp state : module.getOps<StateOp>()) {
    auto entry = StateEntryAttr::getChecked(
        [&]() {
          return state.emitOpError("cannot be listed in the manifest: ");
        },
        module.getContext(), state.getSymName(), state.getKind(),
        state.getTensorType(), state.getTrainable());
    if (!entry)
      return failure();
    entries.push_back(entry);
  }
  auto manifest = ManifestAttr::getChecked([&]() { return module.emitError(); },
                                           module.getContext(), entries);
  if (!manifest)
    return failure();
  return manifest;
}
