//===- mlopt-run.cpp - compile a model and train it -----------------------===//
//
// A thin command line over the embedding API: flags become TrainerOptions.
// The optimizer flags are generated from mlopt-optimizer's options in
// Passes.td, so every pass option is a flag of the same name and default.
//
//===----------------------------------------------------------------------===//

#include "mlopt/InitAll.h"
#include "mlopt/Runtime/Communicator.h"
#include "mlopt/Runtime/ThreadPool.h"
#include "mlopt/Runtime/Trainer.h"

#include "mlir/InitAllPasses.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace cl = llvm::cl;
using namespace mlir::mlopt::runtime;

static cl::OptionCategory category("mlopt-run options");
static cl::OptionCategory optimizerCategory(
    "Optimizer options (mlopt-optimizer's, same names and defaults)");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string>
    passes("passes",
           cl::desc("the model-level slot: passes (mlopt-opt pipeline "
                    "syntax) run before autodiff"),
           cl::cat(category));
static cl::opt<std::string> postAutodiffPasses(
    "post-autodiff-passes",
    cl::desc("the post-autodiff slot: passes run between autodiff and the "
             "optimizer"),
    cl::cat(category));
static cl::opt<std::string>
    amp("amp",
        cl::desc("mixed precision: bf16 or f16 adds mlopt-amp{dtype=...} to "
                 "the model-level slot, after --passes (f16 also "
                 "mlopt-loss-scaling with its defaults)"),
        cl::value_desc("bf16|f16"), cl::cat(category));
static cl::opt<bool> printPipelineFlag(
    "print-pipeline",
    cl::desc("print the exact pass pipeline (mlopt-opt --pass-pipeline= "
             "replays it) and exit"),
    cl::cat(category));
static cl::opt<std::string> emitMlir(
    "emit-mlir",
    cl::desc("write the module after the pipeline --print-pipeline shows"),
    cl::value_desc("file"), cl::cat(category));
static cl::opt<bool>
    report("report",
           cl::desc("print the compile-time step report before training"),
           cl::cat(category));

// cl::desc keeps a reference: the text must outlive the option.
static const std::string backendHelp =
    "backend: " + llvm::join(getRegisteredBackends(), ", ");
static cl::opt<std::string> backend("backend", cl::desc(backendHelp),
                                    cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    matmul("matmul",
           cl::desc("cpu backend: matmuls as blas (OpenBLAS), vector "
                    "(generated) or loops"),
           cl::init("blas"), cl::cat(category));
static cl::opt<bool> approximateMath(
    "approximate-math",
    cl::desc("cpu backend: compute f32, f16 and bf16 exp, log, erf, tanh, "
             "... with inline polynomials (vectorized); =false: libm calls"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> parallelLoops(
    "parallel-loops",
    cl::desc("cpu backend: run the large generated loops (elementwise ops, "
             "row reductions, optimizer updates) on the thread pool; "
             "=false: serial loops"),
    cl::init(true), cl::cat(category));
/// --threads. libLLVM 22 (Debian's) registers an int option `threads` of
/// its own (no description, default 0) and an option name can be
/// registered once, so mlopt-run takes that one over where it exists.
static cl::opt<int> &getThreadsOption() {
  static cl::opt<int> *option = [] {
    auto &registered = cl::getRegisteredOptions();
    auto existing = registered.find("threads");
    cl::opt<int> *threads =
        existing == registered.end()
            ? new cl::opt<int>("threads", cl::init(0)) // lives as long as main
            : dynamic_cast<cl::opt<int> *>(existing->second);
    // Another kind of option of that name: mlopt-run's gets another name.
    if (!threads)
      threads = new cl::opt<int>("mlopt-threads", cl::init(0));
    threads->setDescription(
        "threads of the runtime pool (matrix products, parallel loops), the "
        "caller's included; 0: MLOPT_NUM_THREADS, OMP_NUM_THREADS, "
        "OPENBLAS_NUM_THREADS, else the CPUs");
    threads->addCategory(category);
    return threads;
  }();
  return *option;
}
static cl::opt<std::string>
    train("train",
          cl::desc("training data: fashion-mnist, IMAGES:LABELS (IDX), "
                   "X.npy:Y.npy or synthetic[:N] (default N 1024)"),
          cl::cat(category));
static cl::opt<std::string> test("test", cl::desc("test data, as --train"),
                                 cl::cat(category));
static cl::opt<int64_t>
    epochs("epochs",
           cl::desc("epochs in total, counting a loaded checkpoint's"),
           cl::init(1), cl::cat(category));
static cl::opt<int64_t>
    steps("steps",
          cl::desc("stop after this many steps in total (0: no limit)"),
          cl::init(0), cl::cat(category));
static cl::opt<int64_t>
    batchSize("batch-size",
              cl::desc("batch size, compiled into the model by "
                       "mlopt-set-batch-size (0: the model's)"),
              cl::init(0), cl::cat(category));
static cl::opt<uint64_t> seed("seed",
                              cl::desc("seed of initialization and shuffling"),
                              cl::init(0), cl::cat(category));
static cl::opt<std::string>
    save("save",
         cl::desc("write a safetensors checkpoint (with --finalize-pruning "
                  "or an int8 conversion: the finalized or int8 model's "
                  "tensors)"),
         cl::cat(category));
static cl::opt<std::string>
    load("load",
         cl::desc("start from a safetensors checkpoint: resumes, or starts "
                  "fresh training state when it holds only the model's "
                  "tensors"),
         cl::cat(category));
static cl::opt<bool> loadWeightsOnly(
    "load-weights-only",
    cl::desc("with --load: take only the model's tensors and start fresh "
             "training from step 0 (fine-tuning)"),
    cl::cat(category));
static cl::opt<bool> finalizePruning(
    "finalize-pruning",
    cl::desc("with --load of a pruned checkpoint and the --passes that "
             "pruned it: fold the masks into the weights, remove pruned "
             "neurons, write --save-model and --save, evaluate on --test"),
    cl::cat(category));
static cl::opt<std::string> saveModel(
    "save-model",
    cl::desc("with --finalize-pruning or an int8 conversion (--passes "
             "ending with mlopt-quantize mode=static, convert or dynamic): "
             "write the finalized or int8 model (a model file mlopt-run "
             "takes with no --passes)"),
    cl::value_desc("file.mlir"), cl::cat(category));
static cl::opt<int64_t> calibrate(
    "calibrate",
    cl::desc("with --passes='mlopt-quantize{mode=static}' and --eval-only: "
             "run N batches of --train through the observers, then convert "
             "the model to int8"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
static cl::opt<bool> evalOnly("eval-only", cl::desc("only evaluate on --test"),
                              cl::cat(category));
static cl::opt<std::string> predictPath(
    "predict",
    cl::desc("write the model's predictions (a classifier's logits) for "
             "every --test sample to this .npy file (float32 [N, ...])"),
    cl::value_desc("file.npy"), cl::cat(category));
static cl::opt<std::string>
    metrics("metrics", cl::desc("write metrics as JSON lines to this file"),
            cl::cat(category));
static cl::opt<int64_t>
    logEvery("log-every",
             cl::desc("write a metrics record every N steps (0: per epoch)"),
             cl::init(0), cl::cat(category));

static cl::opt<std::string> dataParallel(
    "data-parallel",
    cl::desc("data parallelism over the ranks mpirun starts: ddp (the "
             "default value) averages the gradients, zero1 also shards the "
             "optimizer state; --batch-size is the global batch"),
    cl::value_desc("ddp|zero1"), cl::ValueOptional, cl::cat(category));
static cl::opt<double>
    bucketMb("bucket-mb",
             cl::desc("with --data-parallel: the gradient bucket size in MiB "
                      "(DDP's bucket_cap_mb)"),
             cl::init(25.0), cl::cat(category));
static cl::opt<double> commTimeout(
    "comm-timeout",
    cl::desc("seconds a collective waits for the other ranks before the run "
             "fails (0: no limit)"),
    cl::init(60.0), cl::cat(category));

/// One flag per mlopt-optimizer option, generated from Passes.td.
namespace optimizer_flags {
#define MLOPT_OPTIMIZER_FLAG(field, argument, type, defaultValue, description) \
  static cl::opt<type> field(argument, cl::desc(description),                  \
                             cl::init(defaultValue),                           \
                             cl::cat(optimizerCategory));
MLOPT_MLOptOptimizer_OPTIONS(MLOPT_OPTIMIZER_FLAG)
#undef MLOPT_OPTIMIZER_FLAG
} // namespace optimizer_flags

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // The textual slots (--passes, --post-autodiff-passes) name registered
  // passes; the library itself needs no registration.
  mlir::registerAllPasses();
  mlir::mlopt::registerAllPasses();
  cl::opt<int> &threads = getThreadsOption();
  cl::HideUnrelatedOptions({&category, &optimizerCategory});
  cl::AddExtraVersionPrinter(
      [](llvm::raw_ostream &os) { os << "mlopt " << MLOPT_VERSION << "\n"; });
  cl::ParseCommandLineOptions(argc, argv,
                              "mlopt-run: compile a model and train it\n");

  if (threads < 0) {
    llvm::WithColor::error(llvm::errs(), "mlopt-run")
        << "--" << threads.ArgStr
        << " must be 0 (the default) or positive, not " << threads.getValue()
        << "\n";
    return 1;
  }
  // Process-wide and read at run time (not compiled in): set before
  // anything compiles or runs.
  setNumThreads(threads);

  TrainerOptions options;
  options.modelPath = modelPath;
  options.session.backend = backend;
  options.session.backendOptions.matmul = matmul;
  options.session.backendOptions.parallelLoops = parallelLoops;
  options.session.backendOptions.approximateMath = approximateMath;
#define MLOPT_COPY_FLAG(field, argument, type, defaultValue, description)      \
  options.session.pipeline.optimizer.field = optimizer_flags::field;
  MLOPT_MLOptOptimizer_OPTIONS(MLOPT_COPY_FLAG)
#undef MLOPT_COPY_FLAG
      options.passes = passes;
  options.postAutodiffPasses = postAutodiffPasses;
  options.amp = amp;
  options.train = train;
  options.test = test;
  options.epochs = epochs;
  options.steps = steps;
  options.batchSize = batchSize;
  options.seed = seed;
  options.savePath = save;
  options.loadPath = load;
  options.metricsPath = metrics;
  options.logEvery = logEvery;
  options.evalOnly = evalOnly;
  options.predictPath = predictPath;
  options.loadWeightsOnly = loadWeightsOnly;
  options.printPipeline = printPipelineFlag;
  options.report = report;
  options.emitMlirPath = emitMlir;
  options.finalizePruning = finalizePruning;
  options.saveModelPath = saveModel;
  options.calibrate = calibrate;
  // `--data-parallel` alone is ddp.
  options.dataParallel =
      dataParallel.getNumOccurrences() && dataParallel.empty()
          ? std::string("ddp")
          : std::string(dataParallel);
  options.bucketMb = bucketMb;
  options.commTimeout = commTimeout;

  // A world of one without an MPI launcher; one rank per process under
  // mpirun.
  llvm::Expected<Communicator &> world = getWorldCommunicator();
  if (!world) {
    llvm::WithColor::error(llvm::errs(), "mlopt-run")
        << llvm::toString(world.takeError()) << "\n";
    return 1;
  }
  options.session.communicator = &*world;
  if (llvm::Error error = runTrainer(options, llvm::outs())) {
    bool everyRank = false, namesRanks = false;
    std::string message;
    llvm::handleAllErrors(
        std::move(error),
        [&](const EveryRankError &failure) {
          everyRank = true;
          namesRanks = failure.namesRanks();
          message = failure.message();
        },
        [&](const llvm::ErrorInfoBase &failure) {
          message = failure.message();
        });
    llvm::outs().flush();
    if (world->size() > 1) {
      // Each rank names itself unless the ranks agreed on the message.
      llvm::WithColor::error(llvm::errs(), "mlopt-run")
          << (namesRanks ? std::string()
                         : "rank " + std::to_string(world->rank()) + ": ")
          << message << "\n";
      llvm::errs().flush();
      // This rank alone failed: end every rank, so that none waits for it in
      // a collective.
      if (!everyRank)
        world->abort(1);
      return 1;
    }
    llvm::WithColor::error(llvm::errs(), "mlopt-run") << message << "\n";
    return 1;
  }
  return 0;
}
