//===- Report.cpp - the compile-time step report --------------------------===//

#include "mlopt/Runtime/Report.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Runtime/Metrics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cstdlib>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;

static constexpr llvm::StringLiteral kAutodiffPass = "mlopt-autodiff";
static constexpr llvm::StringLiteral kOptimizerPass = "mlopt-optimizer";

//===----------------------------------------------------------------------===//
// FLOP counts
//===----------------------------------------------------------------------===//

std::vector<std::pair<std::string, int64_t>> FlopCount::sortedByOp() const {
  std::vector<std::pair<std::string, int64_t>> sorted;
  for (const auto &entry : flopsByOp)
    if (entry.getValue() != 0)
      sorted.emplace_back(entry.getKey().str(), entry.getValue());
  llvm::sort(sorted, [](const auto &a, const auto &b) {
    if (a.second != b.second)
      return a.second > b.second;
    return a.first < b.first;
  });
  return sorted;
}

FlopCount &FlopCount::operator+=(const FlopCount &other) {
  flops += other.flops;
  numOps += other.numOps;
  for (const auto &entry : other.flopsByOp)
    flopsByOp[entry.getKey()] += entry.getValue();
  return *this;
}

FlopCount &FlopCount::operator-=(const FlopCount &other) {
  flops -= other.flops;
  numOps -= other.numOps;
  for (const auto &entry : other.flopsByOp)
    flopsByOp[entry.getKey()] -= entry.getValue();
  return *this;
}

FlopCount mlir::mlopt::runtime::countFlops(Operation *root) {
  FlopCount count;
  root->walk([&](CostOpInterface op) {
    int64_t flops = op.getFlops();
    count.flops += flops;
    ++count.numOps;
    count.flopsByOp[op->getName().getStringRef()] += flops;
  });
  return count;
}

std::string mlir::mlopt::runtime::formatFlops(int64_t flops) {
  static constexpr std::pair<double, const char *> kUnits[] = {
      {1e12, "TFLOP"}, {1e9, "GFLOP"}, {1e6, "MFLOP"}, {1e3, "kFLOP"}};
  double magnitude = std::abs(double(flops));
  for (auto [scale, unit] : kUnits)
    if (magnitude >= scale)
      return llvm::formatv("{0:F2} {1}", double(flops) / scale, unit).str();
  return std::to_string(flops) + " FLOP";
}

//===----------------------------------------------------------------------===//
// Module facts
//===----------------------------------------------------------------------===//

/// The unique function carrying the unit attribute `name`, or null.
static func::FuncOp findMarkedFunction(ModuleOp module, StringRef name) {
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(name))
      return func;
  return {};
}

static uint64_t tensorBytes(RankedTensorType type) {
  if (!type.hasStaticShape())
    return 0;
  uint64_t bits = type.getElementTypeBitWidth();
  return uint64_t(type.getNumElements()) * ((bits + 7) / 8);
}

static std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// "file:line:col" of the first file location inside `loc`, or its printed
/// form when it has none.
static std::string locationString(Location loc) {
  std::string text;
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner)) {
      text = llvm::formatv("{0}:{1}:{2}", file.getFilename().getValue(),
                           file.getLine(), file.getColumn())
                 .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (text.empty()) {
    llvm::raw_string_ostream os(text);
    os << loc;
  }
  return text;
}

static void addBytes(std::vector<std::pair<std::string, uint64_t>> &totals,
                     StringRef key, uint64_t bytes) {
  for (auto &[name, total] : totals) {
    if (name == key) {
      total += bytes;
      return;
    }
  }
  totals.emplace_back(key.str(), bytes);
}

bool mlir::mlopt::runtime::isCollectiveCall(Operation *op) {
  // local_shard only asks the communicator for this rank's number.
  return usesCommunicator(op) && !isa<LocalShardOp>(op);
}

void mlir::mlopt::runtime::addModuleFacts(StepReport &report,
                                          ModuleOp trainingModule,
                                          size_t numTemporaries) {
  report.stateBytesByDType.clear();
  report.stateBytesByKind.clear();
  report.trainableElements = 0;
  for (StateOp state : trainingModule.getOps<StateOp>()) {
    RankedTensorType type = state.getTensorType();
    uint64_t bytes = tensorBytes(type);
    addBytes(report.stateBytesByDType, typeString(type.getElementType()),
             bytes);
    addBytes(report.stateBytesByKind, stringifyStateKind(state.getKind()),
             bytes);
    if (state.getTrainable())
      report.trainableElements += type.getNumElements();
  }

  report.largestTemporaries.clear();
  report.temporaryBytes = 0;
  report.communicatedBytes = 0;
  report.collectiveCalls = 0;
  report.dataParallelRanks = 0;
  func::FuncOp trainStep =
      findMarkedFunction(trainingModule, MLOptDialect::kTrainStepAttrName);
  if (!trainStep)
    return;
  if (auto ranks = trainStep->getAttrOfType<IntegerAttr>(
          MLOptDialect::kDataParallelRanksAttrName))
    report.dataParallelRanks = ranks.getInt();
  trainStep.walk([&](Operation *op) {
    if (!isCollectiveCall(op))
      return;
    ++report.collectiveCalls;
    report.communicatedBytes += getCommunicatedBytes(op);
  });
  std::vector<StepReport::Temporary> temporaries;
  trainStep.walk([&](Operation *op) {
    // A state_read result is the state buffer itself, counted above.
    if (isa<StateReadOp>(op))
      return;
    for (Value result : op->getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type)
        continue;
      uint64_t bytes = tensorBytes(type);
      report.temporaryBytes += bytes;
      temporaries.push_back({op->getName().getStringRef().str(),
                             locationString(op->getLoc()), typeString(type),
                             bytes});
    }
  });
  std::stable_sort(
      temporaries.begin(), temporaries.end(),
      [](const StepReport::Temporary &a, const StepReport::Temporary &b) {
        return a.bytes > b.bytes;
      });
  if (temporaries.size() > numTemporaries)
    temporaries.resize(numTemporaries);
  report.largestTemporaries = std::move(temporaries);
}

//===----------------------------------------------------------------------===//
// The report
//===----------------------------------------------------------------------===//

StepReport::Section &
StepReport::Section::add(StringRef key, StringRef text,
                         std::optional<llvm::json::Value> value) {
  lines.push_back({key.str(), text.str(), std::move(value)});
  return *this;
}

StepReport::Section &StepReport::addSection(StringRef title) {
  sections.push_back({title.str(), {}});
  return sections.back();
}

const StepReport::Section *StepReport::findSection(StringRef title) const {
  for (const Section &section : sections)
    if (section.title == title)
      return &section;
  return nullptr;
}

int64_t StepReport::stepFlops() const {
  int64_t flops = forward.flops + backward.flops + optimizer.flops;
  for (const PassDelta &delta : otherPasses)
    flops += delta.flops;
  return flops;
}

uint64_t StepReport::stateBytes() const {
  uint64_t total = 0;
  for (const auto &entry : stateBytesByDType)
    total += entry.second;
  return total;
}

uint64_t StepReport::stateBytesOfKind(StringRef kind) const {
  for (const auto &[name, bytes] : stateBytesByKind)
    if (name == kind)
      return bytes;
  return 0;
}

static std::string
formatByteList(llvm::ArrayRef<std::pair<std::string, uint64_t>> totals) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(totals, os, [&](const auto &entry) {
    os << entry.first << " " << formatBytes(entry.second);
  });
  return text;
}

void StepReport::print(llvm::raw_ostream &os) const {
  auto row = [&](StringRef name) -> llvm::raw_ostream & {
    return os << "  " << llvm::left_justify(name, 14) << " ";
  };
  auto phase = [&](StringRef name, const Phase &phase) {
    if (!phase.measured)
      return;
    row(name) << formatFlops(phase.flops) << "\n";
    for (const auto &[op, flops] : phase.sortedByOp())
      os << "    " << llvm::left_justify(op, 22) << " " << formatFlops(flops)
         << "\n";
  };

  os << "step report (compiler count, one @train_step)\n";
  phase("forward", forward);
  phase("backward", backward);
  phase("optimizer", optimizer);
  for (const PassDelta &delta : otherPasses)
    row(delta.pass) << (delta.flops > 0 ? "+" : "") << formatFlops(delta.flops)
                    << "\n";
  row("step") << formatFlops(stepFlops()) << "\n";
  if (!stateBytesByDType.empty()) {
    row("state") << formatByteList(stateBytesByDType) << "; total "
                 << formatBytes(stateBytes()) << "\n";
    row("state by kind") << formatByteList(stateBytesByKind) << "\n";
    row("parameters") << trainableElements << " trainable elements\n";
  }
  if (collectiveCalls > 0) {
    row("communication") << formatBytes(communicatedBytes) << " per step in "
                         << collectiveCalls
                         << (collectiveCalls == 1 ? " collective"
                                                  : " collectives");
    if (dataParallelRanks > 0)
      os << " over " << dataParallelRanks
         << (dataParallelRanks == 1 ? " rank" : " ranks");
    os << " (payload per rank)\n";
  }
  if (!largestTemporaries.empty()) {
    row("temporaries") << formatBytes(temporaryBytes)
                       << " in all without reuse; largest:\n";
    for (const Temporary &temporary : largestTemporaries)
      os << "    " << llvm::left_justify(formatBytes(temporary.bytes), 10)
         << " " << temporary.type << " " << temporary.op << " at "
         << temporary.location << "\n";
  }
  if (stepBuffers)
    row("step buffers") << formatBytes(stepBuffers->planned) << " (temporaries "
                        << formatBytes(stepBuffers->temporaries)
                        << ", shared by liveness)\n";
  for (const Section &section : sections) {
    os << "  " << section.title << "\n";
    for (const Section::Line &line : section.lines)
      os << "    " << llvm::left_justify(line.key, 20) << " " << line.text
         << "\n";
  }
}

std::string StepReport::str() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os);
  return text;
}

static llvm::json::Object
byteObject(llvm::ArrayRef<std::pair<std::string, uint64_t>> totals) {
  llvm::json::Object object;
  for (const auto &[key, bytes] : totals)
    object[key] = bytes;
  return object;
}

llvm::json::Value StepReport::toJSON() const {
  llvm::json::Object flops;
  auto phase = [&](StringRef name, const Phase &phase) {
    if (!phase.measured)
      return;
    llvm::json::Object byOp;
    for (const auto &[op, count] : phase.sortedByOp())
      byOp[op] = count;
    flops[name] =
        llvm::json::Object{{"total", phase.flops}, {"by_op", std::move(byOp)}};
  };
  phase("forward", forward);
  phase("backward", backward);
  phase("optimizer", optimizer);
  llvm::json::Array passes;
  for (const PassDelta &delta : otherPasses)
    passes.push_back(
        llvm::json::Object{{"pass", delta.pass}, {"flops", delta.flops}});
  flops["other_passes"] = std::move(passes);
  flops["step"] = stepFlops();

  llvm::json::Array largest;
  for (const Temporary &temporary : largestTemporaries)
    largest.push_back(llvm::json::Object{{"op", temporary.op},
                                         {"location", temporary.location},
                                         {"type", temporary.type},
                                         {"bytes", temporary.bytes}});

  llvm::json::Array sectionArray;
  for (const Section &section : sections) {
    llvm::json::Object lines;
    for (const Section::Line &line : section.lines)
      lines[line.key] = line.value ? *line.value : llvm::json::Value(line.text);
    sectionArray.push_back(llvm::json::Object{{"title", section.title},
                                              {"lines", std::move(lines)}});
  }

  llvm::json::Object object{
      {"flops", std::move(flops)},
      {"state_bytes",
       llvm::json::Object{{"by_dtype", byteObject(stateBytesByDType)},
                          {"by_kind", byteObject(stateBytesByKind)},
                          {"total", stateBytes()}}},
      {"trainable_elements", trainableElements},
      {"temporaries", llvm::json::Object{{"total_bytes", temporaryBytes},
                                         {"largest", std::move(largest)}}},
      {"sections", std::move(sectionArray)},
  };
  if (stepBuffers)
    object["step_buffers"] =
        llvm::json::Object{{"bytes", stepBuffers->planned},
                           {"temporary_bytes", stepBuffers->temporaries}};
  if (collectiveCalls > 0) {
    llvm::json::Object communication{{"bytes_per_step", communicatedBytes},
                                     {"collective_calls", collectiveCalls}};
    if (dataParallelRanks > 0)
      communication["ranks"] = dataParallelRanks;
    object["communication"] = std::move(communication);
  }
  return object;
}

//===----------------------------------------------------------------------===//
// The instrumentation
//===----------------------------------------------------------------------===//

/// The count of the function marked `mlopt.train_step`, if there is one.
static std::optional<FlopCount> countTrainStep(ModuleOp module) {
  func::FuncOp trainStep =
      findMarkedFunction(module, MLOptDialect::kTrainStepAttrName);
  if (!trainStep)
    return std::nullopt;
  return countFlops(trainStep);
}

void StepReportInstrumentation::attach(PassManager &pm, StepReport &report,
                                       size_t numTemporaries) {
  pm.addInstrumentation(
      std::make_unique<StepReportInstrumentation>(report, numTemporaries));
}

void StepReportInstrumentation::runBeforePass(Pass *pass, Operation *op) {
  // Nested passes (on functions, possibly on other threads) are seen through
  // the module-level adaptor that runs them.
  auto module = dyn_cast<ModuleOp>(op);
  if (!module || stopped)
    return;
  if (pass->getArgument() == kAutodiffPass) {
    if (func::FuncOp loss =
            findMarkedFunction(module, MLOptDialect::kLossAttrName)) {
      static_cast<FlopCount &>(report.forward) = countFlops(loss);
      report.forward.measured = true;
    }
  }
  before[pass] = countTrainStep(module);
}

void StepReportInstrumentation::runAfterPassFailed(Pass *pass, Operation *) {
  before.erase(pass);
}

void StepReportInstrumentation::runAfterPass(Pass *pass, Operation *op) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    return;
  auto it = before.find(pass);
  if (it == before.end())
    return;
  std::optional<FlopCount> prior = std::move(it->second);
  before.erase(it);
  if (stopped)
    return;

  std::optional<FlopCount> after = countTrainStep(module);
  if (prior && prior->numOps > 0 && (!after || after->numOps == 0)) {
    // The step left the mlopt dialect: the report describes the module
    // before this pass.
    stopped = true;
    return;
  }
  if (!after)
    return;

  FlopCount delta = *after;
  if (prior)
    delta -= *prior;
  StringRef name = pass->getArgument();
  if (name.empty())
    name = pass->getName();
  if (name == kAutodiffPass) {
    delta -= report.forward;
    static_cast<FlopCount &>(report.backward) = std::move(delta);
    report.backward.measured = true;
  } else if (name == kOptimizerPass) {
    static_cast<FlopCount &>(report.optimizer) = std::move(delta);
    report.optimizer.measured = true;
  } else if (delta.flops != 0) {
    auto existing = llvm::find_if(report.otherPasses, [&](const auto &entry) {
      return entry.pass == name;
    });
    if (existing != report.otherPasses.end())
      existing->flops += delta.flops;
    else
      report.otherPasses.push_back({name.str(), delta.flops});
  }
  addModuleFacts(report, module, numTemporaries);
}
