//===- MLOptFuzzer.cpp - libFuzzer target for parser, verifier, pipeline --===//
//
// Parses the input as MLIR with the mlopt and func dialects registered,
// verifies it, and when it verifies runs the training pipeline
// (buildTrainingPipeline: autodiff, optimizer, entry points, canonicalize,
// cse) on it with the verifier after every pass. The optimizer
// configuration is picked from a hash of the input, so one corpus covers
// SGD (plain, momentum with Nesterov, clipping), Adam with a schedule and
// AdamW at a set batch size. Diagnostics are expected and discarded; a
// crash, a sanitizer report or a pass that leaves invalid IR without
// failing is a finding. Inputs above 4 KiB are skipped so a run stays fast.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Transforms/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

using namespace mlir;

static constexpr size_t kMaxInputSize = 4096;

/// LLVM's allocators poison and unpoison their slabs when compiled with ASan
/// (llvm/Support/Allocator.h): the inline copies in this instrumented build
/// do, the copies inside the uninstrumented libMLIR.so do not, and MLIR's
/// uniquers then write into memory marked poisoned (a false
/// "use-after-poison" in StringAttr::get). Heap overflows and use-after-free
/// are still caught through malloc.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

static const DialectRegistry &registry() {
  static const DialectRegistry *instance = [] {
    // What mlopt::registerAllDialects (mlopt/InitAll.h) registers; that
    // header also pulls in the conversion passes, not built here.
    auto *r = new DialectRegistry();
    r->insert<mlopt::MLOptDialect, func::FuncDialect>();
    return r;
  }();
  return *instance;
}

/// FNV-1a: a hash that is the same in every process (llvm::hash_value may be
/// seeded per process), so a crashing input reproduces.
static unsigned stableHash(llvm::StringRef text) {
  uint32_t hash = 2166136261u;
  for (char c : text)
    hash = (hash ^ uint8_t(c)) * 16777619u;
  return hash;
}

/// One of four optimizer configurations, chosen by `variant`.
static mlopt::TrainingPipelineOptions pipelineOptions(unsigned variant) {
  mlopt::TrainingPipelineOptions options;
  switch (variant % 4) {
  case 0:
    break;
  case 1:
    options.optimizer.momentum = 0.9;
    options.optimizer.nesterov = true;
    options.optimizer.maxGradNorm = 1.0;
    break;
  case 2:
    options.optimizer.optimizer = "adam";
    options.optimizer.schedule = "cosine";
    options.optimizer.totalSteps = 100;
    options.optimizer.warmupSteps = 10;
    break;
  default:
    options.optimizer.optimizer = "adamw";
    options.optimizer.schedule = "step";
    options.batchSize = 3;
    break;
  }
  return options;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > kMaxInputSize)
    return 0;
  // MLIR's lexer relies on the NUL after the buffer that files and
  // std::string provide; libFuzzer's bytes have none.
  std::string source(reinterpret_cast<const char *>(data), size);
  llvm::StringRef text = source;

  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // Errors are the expected outcome for most inputs; MLOPT_FUZZ_VERBOSE=1
  // prints them and how far each input got.
  static const bool verbose = std::getenv("MLOPT_FUZZ_VERBOSE");
  ScopedDiagnosticHandler ignore(&context, [](Diagnostic &diagnostic) {
    if (verbose)
      llvm::errs() << diagnostic.getLocation() << ": " << diagnostic << "\n";
    return success();
  });
  auto reached = [](const char *stage) {
    if (verbose)
      llvm::errs() << "mlopt-mlir-fuzzer: " << stage << "\n";
    return 0;
  };

  ParserConfig config(&context, /*verifyAfterParse=*/false);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  if (!module)
    return reached("does not parse");
  if (failed(verify(*module)))
    return reached("parses, does not verify");

  PassManager pm(&context);
  pm.enableVerifier(true);
  mlopt::buildTrainingPipeline(pm, pipelineOptions(stableHash(text)));
  if (failed(pm.run(*module)))
    return reached("verifies, the pipeline fails");
  // A pipeline that succeeded leaves valid IR.
  if (failed(verify(*module)))
    std::abort();
  return reached("verifies, the pipeline succeeds");
}
