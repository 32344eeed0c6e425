//===- Distill.cpp - knowledge distillation from a frozen teacher ---------===//
//
// mlopt-distill (issue #13, Passes.td): the teacher's loss function is
// cloned into its evaluation form (EvalModeOpInterface), the slice computing
// its prediction (LossOpInterface::getPrediction) or its tapped tensor is
// cloned into the student's loss function on the student's inputs, reading
// `teacher` states that hold the checkpoint's values, and the distillation
// loss is built from existing ops (log_softmax, softmax, kl_div, mse_loss,
// linear), so autodiff, the lowering and the reference evaluator treat it
// like any user-written computation.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/Distill.h"
#include "EvalModeForm.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Runtime/Checkpoint.h"
#include "mlopt/Transforms/Passes.h"
#include "mlopt/Transforms/SetBatchSize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTDISTILL
#include "mlopt/Transforms/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

static constexpr StringLiteral kTeacherPrefix = "teacher.";
static constexpr StringLiteral kProjectionStateName =
    "distill.projection.weight";
static constexpr StringLiteral kStudentLossMetric = "student_loss";
static constexpr StringLiteral kDistillLossMetric = "distill_loss";
static constexpr StringLiteral kHintLossMetric = "hint_loss";

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

std::optional<DistillMode> mlir::mlopt::parseDistillMode(StringRef mode) {
  return llvm::StringSwitch<std::optional<DistillMode>>(mode)
      .Case("soft", DistillMode::Soft)
      .Case("regression", DistillMode::Regression)
      .Case("feature", DistillMode::Feature)
      .Default(std::nullopt);
}

std::optional<DistillProjection>
mlir::mlopt::parseDistillProjection(StringRef projection) {
  return llvm::StringSwitch<std::optional<DistillProjection>>(projection)
      .Case("auto", DistillProjection::Auto)
      .Case("always", DistillProjection::Always)
      .Case("never", DistillProjection::Never)
      .Default(std::nullopt);
}

/// `value` as the options spell it ("0.1", "-1").
static std::string formatNumber(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

LogicalResult mlir::mlopt::verifyDistillOptions(const DistillOptions &options,
                                                ModuleOp module) {
  auto error = [&]() { return module.emitError("mlopt-distill: "); };
  if (!(options.temperature > 0.0) || !std::isfinite(options.temperature))
    return error() << "temperature must be > 0, got "
                   << formatNumber(options.temperature);
  if (!(options.alpha >= 0.0 && options.alpha <= 1.0))
    return error() << "alpha must be in [0, 1], got "
                   << formatNumber(options.alpha);
  if (!(options.hintWeight >= 0.0) || !std::isfinite(options.hintWeight))
    return error() << "hint-weight must be >= 0, got "
                   << formatNumber(options.hintWeight);
  if (options.mode == DistillMode::Feature && options.studentTap.empty())
    return error() << "mode=feature needs student-tap=NAME (the student's "
                      "mlopt.tap)";
  return success();
}

//===----------------------------------------------------------------------===//
// Loss functions
//===----------------------------------------------------------------------===//

/// The function marked `mlopt.loss` (the dialect verifies there is at most
/// one), or null.
static func::FuncOp findLossFunction(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kLossAttrName))
      return func;
  return {};
}

/// The `mlopt.input` arguments of `func`, in order.
static SmallVector<BlockArgument> inputArguments(func::FuncOp func) {
  SmallVector<BlockArgument> inputs;
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), MLOptDialect::kInputAttrName))
      inputs.push_back(arg);
  return inputs;
}

static std::string formatTypes(ArrayRef<BlockArgument> values) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "(";
  llvm::interleaveComma(values, os,
                        [&](Value value) { os << value.getType(); });
  os << ")";
  return text;
}

/// The student's batch size when the teacher's inputs differ from the
/// student's in their batch dimension (dimension 0) only.
static std::optional<int64_t> otherBatchOnly(ArrayRef<BlockArgument> student,
                                             ArrayRef<BlockArgument> teacher) {
  if (student.empty() || student.size() != teacher.size())
    return std::nullopt;
  bool differs = false;
  for (auto [s, t] : llvm::zip_equal(student, teacher)) {
    auto a = dyn_cast<RankedTensorType>(s.getType());
    auto b = dyn_cast<RankedTensorType>(t.getType());
    if (!a || !b || a.getRank() == 0 || a.getRank() != b.getRank() ||
        a.getElementType() != b.getElementType() ||
        a.getShape().drop_front() != b.getShape().drop_front())
      return std::nullopt;
    differs |= a.getDimSize(0) != b.getDimSize(0);
  }
  if (!differs)
    return std::nullopt;
  return cast<RankedTensorType>(student.front().getType()).getDimSize(0);
}

/// The model's output of the loss op that computes result #0 of `func`
/// (`LossOpInterface::getPrediction`), or null when that is no loss op.
static Value predictionOf(func::FuncOp func) {
  auto ret = cast<func::ReturnOp>(func.front().getTerminator());
  if (ret.getNumOperands() == 0)
    return {};
  auto loss = ret.getOperand(0).getDefiningOp<LossOpInterface>();
  return loss ? loss.getPrediction() : Value();
}

/// The one `mlopt.tap` named `name` in `func`; an error naming `whose` when
/// there is none or more than one.
static FailureOr<TapOp> findTap(func::FuncOp func, StringRef name,
                                StringRef whose, ModuleOp errorAt) {
  SmallVector<TapOp, 2> taps;
  func.walk([&](TapOp tap) {
    if (tap.getName() == name)
      taps.push_back(tap);
  });
  if (taps.empty())
    return errorAt.emitError("mlopt-distill: ")
           << whose << " loss function has no mlopt.tap named '" << name << "'";
  if (taps.size() > 1)
    return errorAt.emitError("mlopt-distill: ")
           << whose << " loss function has " << taps.size()
           << " mlopt.tap ops named '" << name << "' (tap names are unique)";
  return taps.front();
}

/// Whether the loss function already returns a metric called `name`.
static bool hasMetric(func::FuncOp func, StringRef name) {
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
    if (auto metric = func.getResultAttrOfType<StringAttr>(
            i, MLOptDialect::kMetricAttrName))
      if (metric.getValue() == name)
        return true;
  return false;
}

/// A state kind that a model checkpoint holds (mlopt-run --save): the
/// model's own tensors, not the training state.
static bool isModelTensorKind(StateKind kind) {
  return !isTrainingStateKind(kind) && kind != StateKind::Teacher;
}

//===----------------------------------------------------------------------===//
// The teacher's checkpoint
//===----------------------------------------------------------------------===//

static std::optional<runtime::DType> dtypeOf(Type elementType) {
  std::string name;
  llvm::raw_string_ostream os(name);
  elementType.print(os);
  return runtime::dtypeFromMLIRName(name);
}

/// The bytes of a tensor of `type` (its dtype) as an attribute of `type`.
static DenseElementsAttr toAttr(RankedTensorType type, runtime::DType dtype,
                                ArrayRef<uint8_t> bytes) {
  int64_t count = type.getNumElements();
  Type elementType = type.getElementType();
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    SmallVector<APFloat> values;
    values.reserve(count);
    for (int64_t i = 0; i < count; ++i) {
      // Exact: every float dtype widens to double without rounding.
      APFloat value(runtime::loadElementAsDouble(dtype, bytes.data(), i));
      bool losesInfo = false;
      value.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &losesInfo);
      values.push_back(value);
    }
    return DenseElementsAttr::get(type, values);
  }
  auto intType = cast<IntegerType>(elementType);
  SmallVector<APInt> values;
  values.reserve(count);
  for (int64_t i = 0; i < count; ++i)
    values.push_back(
        APInt(intType.getWidth(),
              static_cast<uint64_t>(
                  runtime::loadElementAsInt64(dtype, bytes.data(), i)),
              /*isSigned=*/!intType.isUnsigned(), /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, values);
}

FailureOr<TeacherTensors>
mlir::mlopt::readTeacherCheckpoint(ModuleOp teacher, StringRef path,
                                   Location errorLoc) {
  auto error = [&]() { return emitError(errorLoc, "mlopt-distill: "); };
  llvm::Expected<runtime::SafetensorsFile> file =
      runtime::SafetensorsFile::open(path);
  if (!file)
    return error() << "cannot read the teacher checkpoint: "
                   << llvm::toString(file.takeError());

  // The teacher's model tensors must be there; the file's other tensors are
  // expected as they are, so that only missing tensors and dtype or shape
  // differences count as mismatches.
  std::vector<runtime::TensorSpec> expected;
  llvm::StringSet<> names;
  for (StateOp state : teacher.getOps<StateOp>()) {
    if (!isModelTensorKind(state.getKind()) ||
        isa<ValueInitAttr>(state.getInitializer()))
      continue;
    RankedTensorType type = state.getTensorType();
    std::optional<runtime::DType> dtype = dtypeOf(type.getElementType());
    if (!dtype)
      return error() << "the teacher's state @" << state.getSymName()
                     << " has the type " << type
                     << ", which checkpoints cannot hold";
    runtime::TensorSpec spec;
    spec.name = state.getSymName().str();
    spec.dtype = *dtype;
    spec.shape.assign(type.getShape().begin(), type.getShape().end());
    expected.push_back(std::move(spec));
    names.insert(state.getSymName());
  }
  for (const runtime::SafetensorsEntry &entry : file->tensors())
    if (!names.contains(entry.spec.name))
      expected.push_back(entry.spec);
  if (llvm::Error mismatch = file->checkCompatible(expected))
    return error() << "the teacher checkpoint "
                   << llvm::toString(std::move(mismatch));

  TeacherTensors tensors;
  for (StateOp state : teacher.getOps<StateOp>()) {
    const runtime::SafetensorsEntry *entry = file->lookup(state.getSymName());
    if (!entry)
      continue;
    RankedTensorType type = state.getTensorType();
    std::optional<runtime::DType> dtype = dtypeOf(type.getElementType());
    // A state of another kind (the rng of a training checkpoint) whose type
    // differs is left to distillModel, which reports it if it is read.
    if (!dtype || entry->spec.dtype != *dtype ||
        ArrayRef<int64_t>(entry->spec.shape) != type.getShape())
      continue;
    tensors[state.getSymName()] = toAttr(type, *dtype, file->data(*entry));
  }
  return tensors;
}

//===----------------------------------------------------------------------===//
// distillModel
//===----------------------------------------------------------------------===//

namespace {

/// The teacher's loss function cloned into the teacher's module and turned
/// into its evaluation form; erased again on destruction, so the teacher
/// module ends unchanged.
class EvalFormClone {
public:
  explicit EvalFormClone(func::FuncOp loss) {
    OpBuilder builder(loss);
    builder.setInsertionPointAfter(loss);
    clone = cast<func::FuncOp>(builder.clone(*loss));
    // Not a second loss function of the module.
    clone->removeAttr(MLOptDialect::kLossAttrName);
    clone.setSymName("__mlopt_distill_teacher_eval");
  }
  ~EvalFormClone() { clone.erase(); }
  EvalFormClone(const EvalFormClone &) = delete;
  EvalFormClone &operator=(const EvalFormClone &) = delete;

  /// Every op with EvalModeOpInterface in its evaluation form (dropout the
  /// identity, mode_select its evaluation value).
  LogicalResult convert() {
    return convertToEvalMode(clone, [](Operation *) { return false; });
  }

  func::FuncOp get() const { return clone; }

private:
  func::FuncOp clone;
};

} // namespace

/// The ops of `func`'s body that `roots` depend on, in block order.
/// Fails (leaving `argument` set) when they use an argument of `func` that
/// `isAllowed` rejects.
static FailureOr<SmallVector<Operation *>>
backwardSlice(func::FuncOp func, ArrayRef<Value> roots,
              function_ref<bool(BlockArgument)> isAllowed,
              BlockArgument &argument) {
  llvm::SmallPtrSet<Operation *, 32> inSlice;
  SmallVector<Value> worklist(roots.begin(), roots.end());
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner()->getParentOp() == func && !isAllowed(arg)) {
        argument = arg;
        return failure();
      }
      continue;
    }
    Operation *op = value.getDefiningOp();
    if (!inSlice.insert(op).second)
      continue;
    // The operands of the op and those of the ops nested in it that are
    // defined above it.
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (!op->isAncestor(operand.getParentRegion()->getParentOp()))
          worklist.push_back(operand);
    });
  }
  SmallVector<Operation *> ordered;
  for (Operation &op : func.front())
    if (inSlice.contains(&op))
      ordered.push_back(&op);
  return ordered;
}

LogicalResult mlir::mlopt::distillModel(ModuleOp student, ModuleOp teacher,
                                        const TeacherTensors &tensors,
                                        const DistillOptions &options) {
  MLIRContext *context = student.getContext();
  auto error = [&]() { return student.emitError("mlopt-distill: "); };
  if (failed(verifyDistillOptions(options, student)))
    return failure();
  bool feature = options.mode == DistillMode::Feature;

  // The student.
  func::FuncOp loss = findLossFunction(student);
  if (!loss || loss.isExternal())
    return error() << "no loss function with a body (marked '"
                   << MLOptDialect::kLossAttrName << "') to distill into";
  for (auto func : student.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kTrainStepAttrName))
      return error() << "the module already has @" << func.getSymName()
                     << " (mlopt-distill runs on the model, before "
                        "mlopt-autodiff)";
  for (StateOp state : student.getOps<StateOp>())
    if (state.getKind() == StateKind::Teacher)
      return error() << "the module already has a teacher (@"
                     << state.getSymName() << "): it is distilled once";
  if (!loss.getBody().hasOneBlock() || loss.getNumResults() == 0)
    return loss.emitError("mlopt-distill: the loss function must have one "
                          "block and return the loss first");
  auto ret = cast<func::ReturnOp>(loss.front().getTerminator());
  Value studentLoss = ret.getOperand(0);
  auto lossType = dyn_cast<RankedTensorType>(studentLoss.getType());
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return loss.emitError("mlopt-distill: the loss function's result #0 is ")
           << studentLoss.getType() << ", not a 0-d floating-point loss";

  // The teacher.
  func::FuncOp teacherLoss = findLossFunction(teacher);
  if (!teacherLoss || teacherLoss.isExternal())
    return error() << "the teacher has no loss function with a body (marked '"
                   << MLOptDialect::kLossAttrName << "')";
  if (!teacherLoss.getBody().hasOneBlock() || teacherLoss.getNumResults() == 0)
    return error() << "the teacher's loss function must have one block and "
                      "return its loss first";
  SmallVector<BlockArgument> studentInputs = inputArguments(loss);
  SmallVector<BlockArgument> teacherInputs = inputArguments(teacherLoss);
  // A teacher at another batch size (mlopt-set-batch-size ran on the
  // student) is brought to the student's, on a copy.
  OwningOpRef<ModuleOp> rebatched;
  if (std::optional<int64_t> batch =
          otherBatchOnly(studentInputs, teacherInputs)) {
    rebatched = teacher.clone();
    if (failed(setBatchSize(*rebatched, *batch)))
      return error() << "cannot bring the teacher to the student's batch "
                     << *batch;
    teacher = *rebatched;
    teacherLoss = findLossFunction(teacher);
    teacherInputs = inputArguments(teacherLoss);
  }
  if (studentInputs.size() != teacherInputs.size() ||
      !llvm::all_of(
          llvm::zip_equal(studentInputs, teacherInputs), [](auto pair) {
            return std::get<0>(pair).getType() == std::get<1>(pair).getType();
          }))
    return error() << "the teacher's inputs " << formatTypes(teacherInputs)
                   << " differ from the student's "
                   << formatTypes(studentInputs)
                   << " (the teacher runs on the student's batch)";

  EvalFormClone evalForm(teacherLoss);
  if (failed(evalForm.convert()))
    return failure();
  func::FuncOp teacherEval = evalForm.get();

  // What the distillation loss compares: s and t, or the taps a and b.
  Value studentValue, teacherValue;
  if (feature) {
    StringRef teacherTapName =
        options.teacherTap.empty() ? options.studentTap : options.teacherTap;
    FailureOr<TapOp> studentTap =
        findTap(loss, options.studentTap, "the student's", student);
    if (failed(studentTap))
      return failure();
    FailureOr<TapOp> teacherTap =
        findTap(teacherEval, teacherTapName, "the teacher's", student);
    if (failed(teacherTap))
      return failure();
    studentValue = studentTap->getResult();
    teacherValue = teacherTap->getResult();
    auto a = cast<RankedTensorType>(studentValue.getType());
    auto b = cast<RankedTensorType>(teacherValue.getType());
    if (!isa<FloatType>(a.getElementType()) ||
        a.getElementType() != b.getElementType() || a.getRank() == 0 ||
        a.getRank() != b.getRank() ||
        a.getShape().drop_back() != b.getShape().drop_back())
      return error() << "the student's tap '" << options.studentTap << "' ("
                     << a << ") and the teacher's tap '" << teacherTapName
                     << "' (" << b
                     << ") must be floating-point tensors of one element type "
                        "whose shapes differ at most in the last dimension";
    if (options.projection == DistillProjection::Never &&
        a.getShape().back() != b.getShape().back())
      return error() << "the taps' widths differ (student "
                     << a.getShape().back() << ", teacher "
                     << b.getShape().back()
                     << ") and projection=never adds no projection";
  } else {
    studentValue = predictionOf(loss);
    if (!studentValue)
      return loss.emitError("mlopt-distill: the loss function's result #0 is "
                            "not computed by a loss op (LossOpInterface) "
                            "whose prediction the teacher's is compared with");
    teacherValue = predictionOf(teacherEval);
    if (!teacherValue)
      return error() << "the teacher's loss (result #0 of its loss function) "
                        "is not computed by a loss op (LossOpInterface) with "
                        "a prediction";
    if (studentValue.getType() != teacherValue.getType())
      return error() << "the teacher's output " << teacherValue.getType()
                     << " differs from the student's "
                     << studentValue.getType();
    auto type = cast<RankedTensorType>(studentValue.getType());
    if (options.mode == DistillMode::Soft && type.getRank() == 0)
      return error() << "mode=soft needs logits with a class dimension, got "
                     << type;
  }

  // The teacher's slice, on the teacher's inputs.
  llvm::SmallDenseMap<BlockArgument, Value> inputOf;
  for (auto [t, s] :
       llvm::zip_equal(inputArguments(teacherEval), studentInputs))
    inputOf[t] = s;
  BlockArgument badArgument;
  FailureOr<SmallVector<Operation *>> slice = backwardSlice(
      teacherEval, {teacherValue},
      [&](BlockArgument arg) { return inputOf.contains(arg); }, badArgument);
  if (failed(slice))
    return error() << "the teacher's "
                   << (feature ? "tapped tensor" : "prediction")
                   << " depends on its argument #" << badArgument.getArgNumber()
                   << ", which is not an mlopt.input";

  // The teacher states it reads, with their values.
  SymbolTable teacherSymbols(teacher);
  SymbolTable studentSymbols(student);
  llvm::SetVector<StateOp> teacherStates;
  for (Operation *op : *slice)
    if (auto read = dyn_cast<StateReadOp>(op))
      if (auto state = teacherSymbols.lookup<StateOp>(read.getState()))
        teacherStates.insert(state);
  SmallVector<std::string> problems;
  llvm::DenseMap<Operation *, DenseElementsAttr> valueOf;
  for (StateOp state : teacherStates) {
    RankedTensorType type = state.getTensorType();
    auto found = tensors.find(state.getSymName());
    DenseElementsAttr value;
    if (found != tensors.end())
      value = found->second;
    else if (auto embedded = dyn_cast<ValueInitAttr>(state.getInitializer()))
      value = embedded.getValue();
    std::string text;
    llvm::raw_string_ostream os(text);
    if (!value)
      os << "no value for @" << state.getSymName() << " (" << type << ")";
    else if (value.getType() != type)
      os << "the value of @" << state.getSymName() << " is " << value.getType()
         << ", expected " << type;
    if (!text.empty()) {
      problems.push_back(text);
      continue;
    }
    valueOf[state] = value;
  }
  if (!problems.empty())
    return error() << "the teacher's tensors do not match its states ("
                   << problems.size() << " mismatch"
                   << (problems.size() == 1 ? "" : "es")
                   << "): " << llvm::join(problems, "; ");
  for (StateOp state : teacherStates) {
    std::string name = (kTeacherPrefix + state.getSymName()).str();
    if (studentSymbols.lookup(name))
      return error() << "symbol @" << name
                     << " (the teacher's state) already exists";
  }
  StringRef metricName = feature ? kHintLossMetric : kDistillLossMetric;
  for (StringRef name : {StringRef(kStudentLossMetric), metricName})
    if (hasMetric(loss, name))
      return loss.emitError("mlopt-distill: the loss function already has a "
                            "metric named '")
             << name << "'";
  auto studentType = cast<RankedTensorType>(studentValue.getType());
  auto teacherType = cast<RankedTensorType>(teacherValue.getType());
  bool project =
      feature &&
      (options.projection == DistillProjection::Always ||
       (options.projection == DistillProjection::Auto &&
        studentType.getShape().back() != teacherType.getShape().back()));
  if (project && studentSymbols.lookup(kProjectionStateName))
    return error() << "symbol @" << kProjectionStateName << " already exists";

  // The rewrite. The new states after the student's last state.
  OpBuilder stateBuilder(context);
  Operation *lastState = nullptr;
  for (StateOp state : student.getOps<StateOp>())
    lastState = state;
  if (lastState)
    stateBuilder.setInsertionPointAfter(lastState);
  else
    stateBuilder.setInsertionPointToStart(student.getBody());
  llvm::DenseMap<StringAttr, StringAttr> renamed;
  for (StateOp state : teacherStates) {
    auto name = StringAttr::get(context, kTeacherPrefix + state.getSymName());
    auto copy =
        StateOp::create(stateBuilder, state.getLoc(), name.getValue(),
                        state.getType(), StateKind::Teacher,
                        /*trainable=*/false,
                        ValueInitAttr::get(context, valueOf.lookup(state)));
    studentSymbols.insert(copy, stateBuilder.getInsertionPoint());
    stateBuilder.setInsertionPointAfter(copy);
    renamed[state.getSymNameAttr()] = name;
  }
  StateOp projection;
  if (project) {
    int64_t studentWidth = studentType.getShape().back();
    int64_t teacherWidth = teacherType.getShape().back();
    auto weightType = RankedTensorType::get({teacherWidth, studentWidth},
                                            studentType.getElementType());
    // nn.Linear's initialization: kaiming_uniform with a = sqrt(5).
    projection = StateOp::create(
        stateBuilder, student.getLoc(), kProjectionStateName, weightType,
        StateKind::Parameter, /*trainable=*/true,
        KaimingUniformInitAttr::get(context, APFloat(std::sqrt(5.0)), 0));
    studentSymbols.insert(projection, stateBuilder.getInsertionPoint());
  }

  // The teacher's slice before the student's return, on the student's
  // inputs, reading the teacher states.
  OpBuilder builder(ret);
  IRMapping mapping;
  for (auto [t, s] : inputOf)
    mapping.map(t, s);
  for (Operation *op : *slice) {
    // The teacher's taps name its tensors in its own model only: the
    // student's tap names stay unique.
    if (auto tap = dyn_cast<TapOp>(op)) {
      mapping.map(tap.getResult(), mapping.lookupOrDefault(tap.getInput()));
      continue;
    }
    Operation *copy = builder.clone(*op, mapping);
    if (auto read = dyn_cast<StateReadOp>(copy))
      if (StringAttr name = renamed.lookup(read.getStateAttr().getAttr()))
        read.setStateAttr(FlatSymbolRefAttr::get(name));
  }
  Value t = mapping.lookupOrDefault(teacherValue);

  // The loss.
  Location loc = loss.getLoc();
  MLOptBuilder b(builder, loc);
  Value s = studentValue;
  Value distill, total;
  auto weighted = [&](Value term, double weight) -> Value {
    return weight == 1.0 ? term : b.scale(term, weight);
  };
  auto lossTerm = [&](Value term) {
    return b.cast(term, lossType.getElementType());
  };
  if (options.mode == DistillMode::Soft) {
    double T = options.temperature;
    auto dim = builder.getI64IntegerAttr(studentType.getRank() - 1);
    Value temperature = b.constantLike(s, T);
    Value logP = LogSoftmaxOp::create(builder, loc, b.div(s, temperature), dim);
    Value q = SoftmaxOp::create(builder, loc, b.div(t, temperature), dim);
    distill = lossTerm(
        KLDivOp::create(builder, loc, logP, q, KLDivReduction::BatchMean));
    double alpha = options.alpha;
    if (alpha == 0.0)
      total = studentLoss;
    else if (alpha == 1.0)
      total = b.scale(distill, T * T);
    else {
      Value soft = b.scale(distill, alpha * T * T);
      total = b.add(soft, b.scale(studentLoss, 1.0 - alpha));
    }
  } else if (options.mode == DistillMode::Regression) {
    distill = lossTerm(MseLossOp::create(builder, loc, s, t));
    double alpha = options.alpha;
    if (alpha == 0.0)
      total = studentLoss;
    else if (alpha == 1.0)
      total = distill;
    else {
      Value regression = b.scale(distill, alpha);
      total = b.add(regression, b.scale(studentLoss, 1.0 - alpha));
    }
  } else {
    Value a = s;
    if (projection) {
      Value weight = StateReadOp::create(builder, loc, projection.getType(),
                                         projection.getSymName());
      a = LinearOp::create(builder, loc, a, weight, /*bias=*/Value());
    }
    distill = lossTerm(MseLossOp::create(builder, loc, a, t));
    total = options.hintWeight == 0.0
                ? studentLoss
                : b.add(studentLoss, weighted(distill, options.hintWeight));
  }
  Value selected =
      ModeSelectOp::create(builder, loc, total, studentLoss).getResult();

  // The results: the loss, the student's metrics, then the two terms.
  auto trainOnly = [&](StringRef metric) {
    NamedAttrList attrs;
    attrs.append(MLOptDialect::kMetricAttrName,
                 StringAttr::get(context, metric));
    attrs.append(MLOptDialect::kTrainOnlyAttrName, UnitAttr::get(context));
    return attrs.getDictionary(context);
  };
  unsigned first = loss.getNumResults();
  if (failed(loss.insertResult(first, studentLoss.getType(),
                               trainOnly(kStudentLossMetric))) ||
      failed(loss.insertResult(first + 1, distill.getType(),
                               trainOnly(metricName))))
    return loss.emitError("mlopt-distill: cannot add the loss terms' results");
  SmallVector<Value> operands(ret.getOperands());
  operands[0] = selected;
  operands.push_back(studentLoss);
  operands.push_back(distill);
  ret->setOperands(operands);
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct MLOptDistillPass : mlopt::impl::MLOptDistillBase<MLOptDistillPass> {
  using Base::Base;
  void runOnOperation() override;

private:
  FailureOr<DistillOptions> buildOptions();
  OwningOpRef<ModuleOp> parseTeacher();
};
} // namespace

FailureOr<DistillOptions> MLOptDistillPass::buildOptions() {
  ModuleOp module = getOperation();
  auto error = [&]() { return module.emitError("mlopt-distill: "); };
  DistillOptions options;
  std::optional<DistillMode> parsedMode = parseDistillMode(mode);
  if (!parsedMode) {
    error() << "unknown mode '" << mode
            << "' (expected soft, regression or feature)";
    return failure();
  }
  options.mode = *parsedMode;
  std::optional<DistillProjection> parsedProjection =
      parseDistillProjection(projection);
  if (!parsedProjection) {
    error() << "unknown projection '" << projection
            << "' (expected auto, always or never)";
    return failure();
  }
  options.projection = *parsedProjection;
  options.alpha = alpha;
  options.temperature = temperature;
  options.studentTap = studentTap;
  options.teacherTap = teacherTap;
  options.hintWeight = hintWeight;
  if (failed(verifyDistillOptions(options, module)))
    return failure();
  if (teacher.empty()) {
    error() << "needs teacher=FILE.mlir (the teacher model)";
    return failure();
  }
  if (teacherCheckpoint.empty()) {
    error() << "needs teacher-checkpoint=FILE.safetensors (the teacher's "
               "tensors)";
    return failure();
  }
  return options;
}

/// The teacher model, parsed into the student's context; null after an
/// error at the module (the parser's first message, which is located in the
/// teacher's file, is quoted).
OwningOpRef<ModuleOp> MLOptDistillPass::parseTeacher() {
  ModuleOp module = getOperation();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(teacher, /*IsText=*/true);
  if (!buffer) {
    module.emitError("mlopt-distill: cannot read the teacher '")
        << teacher << "': " << buffer.getError().message();
    return {};
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  std::string firstError;
  OwningOpRef<ModuleOp> parsed;
  {
    ScopedDiagnosticHandler handler(&getContext(), [&](Diagnostic &diag) {
      if (!firstError.empty() ||
          diag.getSeverity() != DiagnosticSeverity::Error)
        return success();
      llvm::raw_string_ostream os(firstError);
      if (auto file = dyn_cast<FileLineColLoc>(diag.getLocation()))
        os << file.getFilename().getValue() << ":" << file.getLine() << ":"
           << file.getColumn() << ": ";
      os << diag.str();
      return success();
    });
    parsed = parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&getContext()));
  }
  if (!parsed) {
    module.emitError("mlopt-distill: cannot parse the teacher '")
        << teacher << "': " << firstError;
    return {};
  }
  return parsed;
}

void MLOptDistillPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<DistillOptions> options = buildOptions();
  if (failed(options))
    return signalPassFailure();
  OwningOpRef<ModuleOp> teacherModule = parseTeacher();
  if (!teacherModule)
    return signalPassFailure();
  FailureOr<TeacherTensors> tensors =
      readTeacherCheckpoint(*teacherModule, teacherCheckpoint, module.getLoc());
  if (failed(tensors))
    return signalPassFailure();
  if (failed(distillModel(module, *teacherModule, *tensors, *options)))
    return signalPassFailure();
}
