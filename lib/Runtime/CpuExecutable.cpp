//===- CpuExecutable.cpp - JIT-compiled mlopt modules on the CPU ----------===//
//
// A cache miss lowers the module, compiles it with mlir::ExecutionEngine for
// the host CPU and dumps the object code into the cache. A cache hit loads
// that object into an ORC LLJIT directly: ExecutionEngine in MLIR 22 takes
// no external llvm::ObjectCache, and the object already holds the packed
// `_mlir_` wrappers ExecutionEngine generated, so both paths call the same
// functions.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/CpuExecutable.h"

#include "mlopt/Conversion/Passes.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Runtime/CommKernels.h"
#include "mlopt/Runtime/CompileCache.h"
#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Runtime/ThreadPool.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Analysis/CFG.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/IPO/AlwaysInliner.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;

static std::atomic<unsigned> numCompilations{0};

//===----------------------------------------------------------------------===//
// HostBuffer
//===----------------------------------------------------------------------===//

int64_t runtime::getElementByteSize(Type type) {
  // i1 is stored as one byte by the LLVM lowering of memrefs.
  return std::max<int64_t>(1, (type.getIntOrFloatBitWidth() + 7) / 8);
}

void HostBuffer::Free::operator()(void *p) const { std::free(p); }

HostBuffer::HostBuffer(RankedTensorType type) : type(type) {
  numBytes = type.getNumElements() * getElementByteSize(type.getElementType());
  // aligned_alloc needs a multiple of the alignment (and a nonzero size).
  size_t size = std::max<int64_t>(64, (numBytes + 63) / 64 * 64);
  void *memory = std::aligned_alloc(64, size);
  if (!memory)
    llvm::report_fatal_error("out of memory allocating a tensor buffer");
  std::memset(memory, 0, size);
  storage.reset(memory);
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

struct CpuExecutable::Impl {
  /// Exactly one of them runs the code.
  std::unique_ptr<ExecutionEngine> engine;
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

CpuExecutable::~CpuExecutable() = default;

unsigned CpuExecutable::getNumCompilations() { return numCompilations; }

static void initializeOnce() {
  static std::once_flag flag;
  std::call_once(flag, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// The symbols the compiled code calls that live in this library.
static llvm::orc::SymbolMap
getRuntimeSymbols(llvm::orc::MangleAndInterner interner) {
  llvm::orc::SymbolMap symbols;
  auto add = [&](llvm::StringRef name, auto *function) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                               llvm::JITSymbolFlags::Exported};
  };
  add("mlopt_parallel_for", &mlopt_parallel_for);
  add("mlopt_sgemm", &mlopt_sgemm);
  add("mlopt_gemm_bf16", &mlopt_gemm_bf16);
  add("mlopt_gemm_f16", &mlopt_gemm_f16);
  add("mlopt_qgemm_s8", &mlopt_qgemm_s8);
  add("mlopt_prune_mask_f32", &mlopt_prune_mask_f32);
  add("mlopt_prune_mask_f64", &mlopt_prune_mask_f64);
  add("mlopt_comm_bucket_add", &mlopt_comm_bucket_add);
  add("mlopt_comm_all_reduce", &mlopt_comm_all_reduce);
  add("mlopt_comm_all_gather", &mlopt_comm_all_gather);
  add("mlopt_comm_reduce_scatter", &mlopt_comm_reduce_scatter);
  add("mlopt_comm_broadcast", &mlopt_comm_broadcast);
  add("mlopt_comm_reduce", &mlopt_comm_reduce);
  add("mlopt_comm_send", &mlopt_comm_send);
  add("mlopt_comm_recv", &mlopt_comm_recv);
  add("mlopt_comm_rank", &mlopt_comm_rank);
  return symbols;
}

/// SHA-256 of everything that determines the object code.
static std::string computeCacheKey(ModuleOp module,
                                   const CpuCompileOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "mlopt-cpu-executable 1 " << MLOPT_VERSION << "\n"
     << "matmul=" << options.matmul << " opt=" << options.optLevel << "\n"
     << "approximate-math=" << options.approximateMath << "\n"
     << "parallel-loops=" << options.parallelLoops << "\n"
     << "cpu=" << llvm::sys::getHostCPUName() << "\n";
  // The compiler itself: a rebuilt binary (new lowering patterns) must not
  // reuse objects of the old one. The running executable's path, size and
  // modification time change with every relink.
  std::string self = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&computeCacheKey));
  llvm::sys::fs::file_status status;
  if (!self.empty() && !llvm::sys::fs::status(self, status))
    os << "compiler=" << self << " " << status.getSize() << " "
       << status.getLastModificationTime().time_since_epoch().count() << "\n";
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> enabled;
  for (const auto &feature : features)
    if (feature.getValue())
      enabled.push_back(feature.getKey().str());
  llvm::sort(enabled);
  for (const std::string &feature : enabled)
    os << "+" << feature;
  os << "\n";
  module->print(os, OpPrintingFlags().enableDebugInfo(false));
  llvm::SHA256 hash;
  hash.update(text);
  std::array<uint8_t, 32> digest = hash.final();
  return llvm::toHex(digest, /*LowerCase=*/true);
}

Error runtime::buildCpuLowering(OpPassManager &pm,
                                const CpuCompileOptions &options) {
  LowerToCPUOptions pipelineOptions;
  if (options.matmul == "blas")
    pipelineOptions.matmul = MatmulMode::Blas;
  else if (options.matmul == "vector")
    pipelineOptions.matmul = MatmulMode::Vector;
  else if (options.matmul == "loops")
    pipelineOptions.matmul = MatmulMode::Loops;
  else
    return llvm::createStringError("unknown matmul mode '" + options.matmul +
                                   "' (expected blas, vector or loops)");
  pipelineOptions.approximateMath = options.approximateMath;
  pipelineOptions.parallelLoops = options.parallelLoops;
  buildLowerToCPUPipeline(pm, pipelineOptions);
  return Error::success();
}

/// Lowers a clone of `module` to the LLVM dialect.
static Expected<OwningOpRef<ModuleOp>>
lowerToLLVM(ModuleOp module, const CpuCompileOptions &options) {
  OwningOpRef<ModuleOp> clone(module.clone());
  MLIRContext *ctx = module.getContext();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
    os << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  PassManager pm(ctx, ModuleOp::getOperationName());
  if (Error error = buildCpuLowering(pm, options))
    return std::move(error);
  if (failed(pm.run(*clone)))
    return llvm::createStringError("lowering to the CPU failed:\n" +
                                   diagnostics);
  return std::move(clone);
}

/// The planned buffers of each function of a lowered module
/// (mlopt-allocs-to-globals' attributes, which func-to-llvm keeps).
static llvm::StringMap<BufferBytes> readBufferBytes(ModuleOp lowered) {
  llvm::StringMap<BufferBytes> plan;
  lowered.walk([&](FunctionOpInterface func) {
    auto planned = func->getAttrOfType<IntegerAttr>(kBufferBytesAttrName);
    auto temporaries =
        func->getAttrOfType<IntegerAttr>(kTemporaryBytesAttrName);
    if (planned && temporaries)
      plan[func.getName()] = {planned.getValue().getZExtValue(),
                              temporaries.getValue().getZExtValue()};
  });
  return plan;
}

/// The cache entry beside an object that holds its buffer plan: one line
/// "<function> <planned> <temporaries>" per function.
static std::string bufferBytesKey(llvm::StringRef cacheKey) {
  return (cacheKey + "-buffers").str();
}

static std::string formatBufferBytes(const llvm::StringMap<BufferBytes> &plan) {
  std::vector<std::string> lines;
  for (const auto &entry : plan)
    lines.push_back((entry.getKey() + " " +
                     llvm::Twine(entry.getValue().planned) + " " +
                     llvm::Twine(entry.getValue().temporaries) + "\n")
                        .str());
  llvm::sort(lines);
  std::string text;
  for (const std::string &line : lines)
    text += line;
  return text;
}

/// The plan formatBufferBytes wrote; malformed lines are skipped (the
/// figures are a report, not something the code depends on).
static llvm::StringMap<BufferBytes> parseBufferBytes(llvm::StringRef text) {
  llvm::StringMap<BufferBytes> plan;
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef> fields;
    line.split(fields, ' ');
    BufferBytes bytes;
    if (fields.size() == 3 && !fields[1].getAsInteger(10, bytes.planned) &&
        !fields[2].getAsInteger(10, bytes.temporaries))
      plan[fields[0]] = bytes;
  }
  return plan;
}

static Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(unsigned optLevel) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive
                              : optLevel == 0 ? llvm::CodeGenOptLevel::None
                                              : llvm::CodeGenOptLevel::Default);
  return builder->createTargetMachine();
}

/// The most instructions of a loop-free packed wrapper that LLVM
/// optimizes; see makeTransformer.
constexpr unsigned kMaxOptimizedPlumbingInstructions = 1000;

/// The instructions per basic block of an unoptimized packed wrapper.
constexpr unsigned kPlumbingBlockSize = 256;

/// Splits the blocks of `function` into blocks of at most `size`
/// instructions (joined by branches): instruction selection and scheduling
/// work on one block at a time and are quadratic in its size, even without
/// optimization.
static void splitIntoBlocks(llvm::Function &function, unsigned size) {
  SmallVector<llvm::Instruction *> cuts;
  for (llvm::BasicBlock &block : function) {
    unsigned count = 0;
    for (llvm::Instruction &instruction : block)
      if (++count > size && !instruction.isTerminator() &&
          !isa<llvm::PHINode>(instruction)) {
        cuts.push_back(&instruction);
        count = 1;
      }
  }
  for (llvm::Instruction *cut : cuts)
    cut->getParent()->splitBasicBlock(cut);
}

/// The LLVM pipeline. First the always-inline entry points go into their C
/// wrappers and those into the ExecutionEngine's packed wrappers
/// (`_mlir__mlir_ciface_f(void **)`, the only symbol the runtime calls):
/// each wrapper's call of the next passes every state's descriptor, and
/// O3's interprocedural passes (CalledValuePropagation) and code
/// generation are quadratic in the arguments of a call (1,000 states: 6 of
/// 7 s of O3). Then the optimization pipeline of `optLevel`, except for a
/// packed wrapper that is only plumbing: a body without loops of thousands
/// of instructions, which is what an entry point of thousands of states
/// whose work mlopt-outline-chunks moved into chunk functions becomes. Its
/// loads of the descriptors all precede the first call, one basic block
/// that the schedulers (and the post-RA one of AMD CPUs in particular) are
/// quadratic in; compiled without optimization, cut into blocks of a
/// bounded size, it costs linear time, and the chunks it calls are
/// optimized as usual.
static std::function<Error(llvm::Module *)>
makeTransformer(unsigned optLevel, llvm::TargetMachine *tm) {
  std::function<Error(llvm::Module *)> optimize =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, tm);
  return [optimize](llvm::Module *module) -> Error {
    SmallVector<llvm::Function *> packedWrappers;
    for (llvm::Function &function : *module) {
      llvm::StringRef name = function.getName();
      if (!name.consume_front("_mlir__mlir_ciface_") ||
          function.isDeclaration())
        continue;
      packedWrappers.push_back(&function);
      // mlopt-externalize-state makes the entry point internal and
      // always-inline, and func-to-llvm gives its C wrapper the attribute
      // too; internal as well, the C wrapper is not compiled a second time
      // once it is inlined into the packed wrapper.
      llvm::Function *wrapper =
          module->getFunction(("_mlir_ciface_" + name).str());
      if (wrapper && !wrapper->isDeclaration())
        wrapper->setLinkage(llvm::GlobalValue::InternalLinkage);
    }
    llvm::LoopAnalysisManager loops;
    llvm::FunctionAnalysisManager functions;
    llvm::CGSCCAnalysisManager sccs;
    llvm::ModuleAnalysisManager modules;
    llvm::PassBuilder builder;
    builder.registerModuleAnalyses(modules);
    builder.registerCGSCCAnalyses(sccs);
    builder.registerFunctionAnalyses(functions);
    builder.registerLoopAnalyses(loops);
    builder.crossRegisterProxies(loops, functions, sccs, modules);
    llvm::ModulePassManager inliner;
    inliner.addPass(llvm::AlwaysInlinerPass());
    inliner.addPass(llvm::GlobalDCEPass());
    inliner.run(*module, modules);
    SmallVector<llvm::Function *> plumbing;
    for (llvm::Function *wrapper : packedWrappers) {
      SmallVector<std::pair<const llvm::BasicBlock *, const llvm::BasicBlock *>>
          backEdges;
      llvm::FindFunctionBackedges(*wrapper, backEdges);
      if (backEdges.empty() &&
          wrapper->getInstructionCount() > kMaxOptimizedPlumbingInstructions) {
        wrapper->addFnAttr(llvm::Attribute::NoInline);
        wrapper->addFnAttr(llvm::Attribute::OptimizeNone);
        plumbing.push_back(wrapper);
      }
    }
    if (Error error = optimize(module))
      return error;
    // After the IR pipeline, which does not skip optnone functions (it runs
    // without the instrumentation that would) and merges the blocks again;
    // code generation does honour optnone.
    for (llvm::Function *wrapper : plumbing)
      splitIntoBlocks(*wrapper, kPlumbingBlockSize);
    return Error::success();
  };
}

/// Loads a cached object into a fresh LLJIT.
static Expected<std::unique_ptr<llvm::orc::LLJIT>>
loadObject(std::unique_ptr<llvm::MemoryBuffer> object) {
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  auto jit =
      llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*builder).create();
  if (!jit)
    return jit.takeError();
  llvm::orc::JITDylib &dylib = (*jit)->getMainJITDylib();
  char prefix = (*jit)->getDataLayout().getGlobalPrefix();
  auto process =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!process)
    return process.takeError();
  dylib.addGenerator(std::move(*process));
  auto utils = llvm::orc::DynamicLibrarySearchGenerator::Load(
      MLOPT_C_RUNNER_UTILS, prefix);
  if (!utils)
    return utils.takeError();
  dylib.addGenerator(std::move(*utils));
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  if (Error err =
          dylib.define(llvm::orc::absoluteSymbols(getRuntimeSymbols(interner))))
    return std::move(err);
  if (Error err = (*jit)->addObjectFile(std::move(object)))
    return std::move(err);
  if (Error err = (*jit)->initialize(dylib))
    return std::move(err);
  return std::move(*jit);
}

Expected<std::unique_ptr<CpuExecutable>>
CpuExecutable::compile(ModuleOp module, const CpuCompileOptions &options) {
  initializeOnce();
  {
    // Reject bad options before any work.
    OpPassManager probe(ModuleOp::getOperationName());
    if (Error error = buildCpuLowering(probe, options))
      return std::move(error);
  }
  std::unique_ptr<CpuExecutable> exec(new CpuExecutable());
  exec->impl = std::make_unique<Impl>();
  {
    // Bufferization and LLVM translation need the interface models of every
    // dialect the pipeline produces.
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    module.getContext()->appendDialectRegistry(registry);
  }

  // The calling convention of mlopt-externalize-state: state in declaration
  // order, the function's arguments, then its results.
  for (StateOp state : module.getOps<StateOp>()) {
    exec->stateNames.push_back(state.getSymName().str());
    exec->states.emplace_back(state.getTensorType());
  }
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    EntryPoint entry;
    entry.name = func.getSymName().str();
    for (Type type : func.getArgumentTypes()) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || !tensor.hasStaticShape())
        return llvm::createStringError("function '" + entry.name +
                                       "' has a non-static-tensor argument");
      entry.argumentTypes.push_back(tensor);
    }
    for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || !tensor.hasStaticShape())
        return llvm::createStringError("function '" + entry.name +
                                       "' has a non-static-tensor result");
      entry.resultTypes.push_back(tensor);
      auto metric = func.getResultAttrOfType<StringAttr>(
          i, MLOptDialect::kMetricAttrName);
      entry.resultNames.push_back(metric ? metric.str() : std::string());
    }
    exec->entryPoints[entry.name] = std::move(entry);
  }

  exec->cacheKey = computeCacheKey(module, options);
  std::optional<CompileCache> cache;
  if (options.useCache)
    cache = CompileCache::open(options.cacheDir, &exec->cacheProblem);
  if (cache) {
    if (auto object = cache->load(exec->cacheKey, &exec->cacheProblem)) {
      auto jit = loadObject(std::move(object));
      if (jit) {
        exec->impl->jit = std::move(*jit);
        exec->loadedFromCache = true;
        if (auto plan = cache->load(bufferBytesKey(exec->cacheKey)))
          exec->bufferBytes = parseBufferBytes(plan->getBuffer());
      } else {
        // An object this JIT cannot load: recompile and replace it.
        exec->cacheProblem = llvm::toString(jit.takeError());
      }
    }
  }

  if (!exec->loadedFromCache) {
    auto lowered = lowerToLLVM(module, options);
    if (!lowered)
      return lowered.takeError();
    exec->bufferBytes = readBufferBytes(**lowered);
    auto tm = createHostTargetMachine(options.optLevel);
    if (!tm)
      return tm.takeError();
    auto transformer = makeTransformer(options.optLevel, tm->get());
    ExecutionEngineOptions engineOptions;
    engineOptions.transformer = transformer;
    engineOptions.jitCodeGenOptLevel = (*tm)->getOptLevel();
    llvm::StringRef libraries[] = {MLOPT_C_RUNNER_UTILS};
    engineOptions.sharedLibPaths = libraries;
    engineOptions.enableObjectDump = cache.has_value();
    auto engine =
        ExecutionEngine::create(lowered->get(), engineOptions, std::move(*tm));
    if (!engine)
      return engine.takeError();
    (*engine)->registerSymbols(getRuntimeSymbols);
    (*engine)->initialize();
    exec->impl->engine = std::move(*engine);
    ++numCompilations;
  }

  // Resolving the entry points also forces the JIT to compile the module.
  for (auto &[name, entry] : exec->entryPoints) {
    std::string packedName = "_mlir__mlir_ciface_" + entry.name;
    if (exec->impl->engine) {
      auto fn = exec->impl->engine->lookupPacked("_mlir_ciface_" + entry.name);
      if (!fn)
        return fn.takeError();
      entry.packed = *fn;
    } else {
      auto symbol = exec->impl->jit->lookup(packedName);
      if (!symbol)
        return symbol.takeError();
      entry.packed = symbol->toPtr<void (*)(void **)>();
    }
  }

  if (cache && exec->impl->engine) {
    // The engine writes its object to a file: a private temporary in the
    // cache, read back and stored as an entry with its hash.
    llvm::SmallString<256> temporary;
    int fd;
    if (!llvm::sys::fs::createUniqueFile(
            cache->getEntryPath(exec->cacheKey) + ".obj%%%%%%%%", fd, temporary,
            llvm::sys::fs::OF_None, 0600)) {
      llvm::sys::Process::SafelyCloseFileDescriptor(fd);
      exec->impl->engine->dumpToObjectFile(temporary);
      if (auto object = llvm::MemoryBuffer::getFile(temporary)) {
        if (Error error = cache->store(exec->cacheKey, (*object)->getBuffer()))
          exec->cacheProblem = llvm::toString(std::move(error));
        else if (Error error =
                     cache->store(bufferBytesKey(exec->cacheKey),
                                  formatBufferBytes(exec->bufferBytes)))
          exec->cacheProblem = llvm::toString(std::move(error));
      }
      llvm::sys::fs::remove(temporary);
    }
  }
  return std::move(exec);
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

HostBuffer *CpuExecutable::getState(llvm::StringRef name) {
  for (auto [i, stateName] : llvm::enumerate(stateNames))
    if (stateName == name)
      return &states[i];
  return nullptr;
}

const EntryPoint *CpuExecutable::getEntryPoint(llvm::StringRef name) const {
  auto it = entryPoints.find(name);
  return it == entryPoints.end() ? nullptr : &it->second;
}

std::optional<BufferBytes>
CpuExecutable::getBufferBytes(llvm::StringRef name) const {
  auto it = bufferBytes.find(name);
  if (it == bufferBytes.end())
    return std::nullopt;
  return it->second;
}

/// The memref descriptor of a dense row-major tensor of `type` at `data`.
static std::vector<int64_t> makeDescriptor(RankedTensorType type,
                                           const void *data) {
  auto pointer = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
  std::vector<int64_t> descriptor = {pointer, pointer, 0};
  ArrayRef<int64_t> shape = type.getShape();
  descriptor.insert(descriptor.end(), shape.begin(), shape.end());
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  descriptor.insert(descriptor.end(), strides.begin(), strides.end());
  return descriptor;
}

Expected<const EntryPoint *>
CpuExecutable::lookupEntryPoint(llvm::StringRef name,
                                size_t numArguments) const {
  const EntryPoint *entry = getEntryPoint(name);
  if (!entry)
    return llvm::createStringError("the module has no public function '" +
                                   name + "'");
  if (numArguments != entry->argumentTypes.size())
    return llvm::createStringError(
        "'" + name + "' takes " + llvm::Twine(entry->argumentTypes.size()) +
        " arguments, got " + llvm::Twine(numArguments));
  return entry;
}

Expected<std::vector<HostBuffer>>
CpuExecutable::callWithData(llvm::StringRef name,
                            llvm::ArrayRef<const void *> arguments) {
  Expected<const EntryPoint *> found = lookupEntryPoint(name, arguments.size());
  if (!found)
    return found.takeError();
  const EntryPoint *entry = *found;
  std::vector<HostBuffer> results;
  for (RankedTensorType type : entry->resultTypes)
    results.emplace_back(type);

  std::vector<std::vector<int64_t>> descriptors;
  for (const HostBuffer &state : states)
    descriptors.push_back(makeDescriptor(state.getType(), state.data()));
  // The arguments are read-only in the compiled code
  // (bufferization.writable = false), so the caller's memory is used as is.
  for (auto [type, data] : llvm::zip(entry->argumentTypes, arguments))
    descriptors.push_back(makeDescriptor(type, data));
  for (const HostBuffer &result : results)
    descriptors.push_back(makeDescriptor(result.getType(), result.data()));
  // The C interface takes a pointer to each descriptor; the packed wrapper
  // takes a pointer to each of those arguments.
  std::vector<void *> pointers, packed;
  for (std::vector<int64_t> &descriptor : descriptors)
    pointers.push_back(descriptor.data());
  for (void *&pointer : pointers)
    packed.push_back(&pointer);
  entry->packed(packed.data());
  return std::move(results);
}

Expected<std::vector<HostBuffer>>
CpuExecutable::call(llvm::StringRef name,
                    llvm::ArrayRef<const HostBuffer *> arguments) {
  Expected<const EntryPoint *> found = lookupEntryPoint(name, arguments.size());
  if (!found)
    return found.takeError();
  const EntryPoint *entry = *found;
  for (auto [i, argument] : llvm::enumerate(arguments)) {
    if (!argument || argument->getType() != entry->argumentTypes[i]) {
      std::string expected;
      llvm::raw_string_ostream os(expected);
      os << entry->argumentTypes[i];
      return llvm::createStringError("argument #" + llvm::Twine(i) + " of '" +
                                     name + "' must be " + expected);
    }
  }
  std::vector<const void *> data;
  for (const HostBuffer *argument : arguments)
    data.push_back(argument->data());
  return callWithData(name, data);
}

Error CpuExecutable::init(uint64_t seed) {
  MLIRContext *ctx = nullptr;
  if (const EntryPoint *entry = getEntryPoint("init"))
    if (!entry->argumentTypes.empty())
      ctx = entry->argumentTypes[0].getContext();
  if (!ctx)
    return llvm::createStringError(
        "the module has no '@init(%seed: tensor<i64>)' (run "
        "mlopt-entry-points)");
  HostBuffer seedBuffer(RankedTensorType::get({}, IntegerType::get(ctx, 64)));
  *seedBuffer.as<int64_t>() = static_cast<int64_t>(seed);
  auto results = call("init", {&seedBuffer});
  if (!results)
    return results.takeError();
  return Error::success();
}

/// The value of a 0-d float or integer result.
static double readScalar(const HostBuffer &buffer) {
  Type type = buffer.getType().getElementType();
  if (type.isF32())
    return *buffer.as<float>();
  if (type.isF64())
    return *buffer.as<double>();
  if (type.isF16() || type.isBF16()) {
    uint16_t bits = *buffer.as<uint16_t>();
    const llvm::fltSemantics &semantics =
        type.isF16() ? llvm::APFloat::IEEEhalf() : llvm::APFloat::BFloat();
    return llvm::APFloat(semantics, llvm::APInt(16, bits)).convertToDouble();
  }
  if (type.isInteger(64))
    return static_cast<double>(*buffer.as<int64_t>());
  if (type.isInteger(32))
    return static_cast<double>(*buffer.as<int32_t>());
  return static_cast<double>(*buffer.as<int8_t>());
}

std::vector<double>
CpuExecutable::toScalars(llvm::ArrayRef<HostBuffer> results) {
  std::vector<double> values;
  for (const HostBuffer &result : results)
    values.push_back(result.getNumElements() == 0 ? 0.0 : readScalar(result));
  return values;
}

static Expected<std::vector<double>>
toScalarResults(Expected<std::vector<HostBuffer>> results) {
  if (!results)
    return results.takeError();
  return CpuExecutable::toScalars(*results);
}

Expected<std::vector<double>>
CpuExecutable::trainStep(llvm::ArrayRef<const HostBuffer *> arguments) {
  return toScalarResults(call("train_step", arguments));
}

Expected<std::vector<double>>
CpuExecutable::evalStep(llvm::ArrayRef<const HostBuffer *> arguments) {
  return toScalarResults(call("eval_step", arguments));
}
