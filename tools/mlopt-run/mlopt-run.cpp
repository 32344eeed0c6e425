//===- mlopt-run.cpp - compile a model and train it -----------------------===//

#include "mlopt/Runtime/Trainer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <string>

namespace cl = llvm::cl;

static cl::OptionCategory category("mlopt-run options");

static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string>
    passes("passes",
           cl::desc("the user's passes (mlopt-opt pipeline syntax), run "
                    "before autodiff"),
           cl::cat(category));
static cl::opt<bool> printPipeline("print-pipeline",
                                   cl::desc("print the full pipeline and exit"),
                                   cl::cat(category));
static cl::opt<std::string> backend("backend",
                                    cl::desc("cpu (compiled) or reference"),
                                    cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    train("train",
          cl::desc("training data: fashion-mnist, IMAGES:LABELS (IDX), "
                   "X.npy:Y.npy or synthetic[:N]"),
          cl::cat(category));
static cl::opt<std::string> test("test", cl::desc("test data, as --train"),
                                 cl::cat(category));
static cl::opt<int64_t> epochs("epochs", cl::desc("epochs to train"),
                               cl::init(1), cl::cat(category));
static cl::opt<int64_t>
    steps("steps",
          cl::desc("stop after this many steps in total (0: no limit)"),
          cl::init(0), cl::cat(category));
static cl::opt<int64_t>
    batchSize("batch-size",
              cl::desc("batch size; must match the model's batch dimension"),
              cl::init(0), cl::cat(category));
static cl::opt<uint64_t> seed("seed",
                              cl::desc("seed of initialization and shuffling"),
                              cl::init(0), cl::cat(category));
static cl::opt<std::string>
    save("save", cl::desc("write a safetensors checkpoint"), cl::cat(category));
static cl::opt<std::string>
    load("load", cl::desc("start from a safetensors checkpoint (resumes)"),
         cl::cat(category));
static cl::opt<bool> evalOnly("eval-only", cl::desc("only evaluate on --test"),
                              cl::cat(category));
static cl::opt<std::string>
    metrics("metrics", cl::desc("write metrics as JSON lines to this file"),
            cl::cat(category));

// Optimizer options, forwarded to mlopt-optimizer when given.
static cl::opt<std::string> optimizer("optimizer",
                                      cl::desc("sgd, adam or adamw"),
                                      cl::init("sgd"), cl::cat(category));
static cl::opt<double> lr("lr", cl::desc("learning rate"), cl::cat(category));
static cl::opt<double> momentum("momentum", cl::desc("SGD momentum"),
                                cl::cat(category));
static cl::opt<double> weightDecay("weight-decay", cl::desc("weight decay"),
                                   cl::cat(category));
static cl::opt<double> beta1("beta1", cl::desc("Adam beta1"),
                             cl::cat(category));
static cl::opt<double> beta2("beta2", cl::desc("Adam beta2"),
                             cl::cat(category));
static cl::opt<double> eps("eps", cl::desc("Adam epsilon"), cl::cat(category));
static cl::opt<bool> nesterov("nesterov", cl::desc("SGD Nesterov momentum"),
                              cl::cat(category));
static cl::opt<double> maxGradNorm("max-grad-norm",
                                   cl::desc("clip gradients to this norm"),
                                   cl::cat(category));
static cl::opt<std::string> schedule("schedule",
                                     cl::desc("constant, step or cosine"),
                                     cl::cat(category));
static cl::opt<int64_t> warmupSteps("warmup-steps",
                                    cl::desc("linear learning-rate warm-up"),
                                    cl::cat(category));
static cl::opt<int64_t> totalSteps("total-steps",
                                   cl::desc("cosine schedule length"),
                                   cl::cat(category));

static std::string format(const std::string &value) { return value; }
static std::string format(int64_t value) { return std::to_string(value); }
/// Doubles round-trip exactly.
static std::string format(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

/// The mlopt-optimizer options the user gave, in pass-option syntax.
static std::string optimizerOptions() {
  std::string result = "optimizer=" + optimizer;
  auto add = [&](auto &option, llvm::StringRef name) {
    if (option.getNumOccurrences())
      result += " " + name.str() + "=" + format(option.getValue());
  };
  add(lr, "lr");
  add(momentum, "momentum");
  add(weightDecay, "weight-decay");
  add(beta1, "beta1");
  add(beta2, "beta2");
  add(eps, "eps");
  add(maxGradNorm, "max-grad-norm");
  add(schedule, "schedule");
  add(warmupSteps, "warmup-steps");
  add(totalSteps, "total-steps");
  if (nesterov)
    result += " nesterov=true";
  return result;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  cl::HideUnrelatedOptions(category);
  cl::AddExtraVersionPrinter(
      [](llvm::raw_ostream &os) { os << "mlopt " << MLOPT_VERSION << "\n"; });
  cl::ParseCommandLineOptions(argc, argv,
                              "mlopt-run: compile a model and train it\n");

  mlir::mlopt::runtime::TrainerOptions options;
  options.modelPath = modelPath;
  options.passes = passes;
  options.backend = backend;
  options.optimizerOptions = optimizerOptions();
  options.train = train;
  options.test = test;
  options.epochs = epochs;
  options.steps = steps;
  options.batchSize = batchSize;
  options.seed = seed;
  options.savePath = save;
  options.loadPath = load;
  options.metricsPath = metrics;
  options.evalOnly = evalOnly;
  options.printPipeline = printPipeline;
  if (llvm::Error error =
          mlir::mlopt::runtime::runTrainer(options, llvm::outs())) {
    llvm::outs().flush();
    llvm::WithColor::error(llvm::errs(), "mlopt-run")
        << llvm::toString(std::move(error)) << "\n";
    return 1;
  }
  return 0;
}
