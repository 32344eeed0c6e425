//===- LowerToCPU.cpp - the mlopt-lower-to-cpu pipeline -------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::mlopt;

/// The textual pipeline: upstream passes are named as in mlir-opt so the
/// same string can be replayed by hand when debugging a lowering.
static std::string getLowerToCPUPipeline(const LowerToCPUOptions &options) {
  std::string pipeline;
  llvm::raw_string_ostream os(pipeline);
  os << "convert-mlopt-to-linalg,canonicalize,cse,"
     << "mlopt-fuse-elementwise,canonicalize,cse,"
     // No canonicalization from here to bufferization: the
     // destination-passing stores have no uses.
     << "mlopt-externalize-state{c-interface="
     << (options.cInterface ? "true" : "false") << "},"
     << "eliminate-empty-tensors,"
     << "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map},"
     << "canonicalize,";
  switch (options.matmul) {
  case MatmulMode::Blas:
    os << "mlopt-linalg-to-blas,";
    break;
  case MatmulMode::Vector:
    os << "mlopt-vectorize-matmuls,canonicalize,";
    break;
  case MatmulMode::Loops:
    break;
  }
  os << "mlopt-allocs-to-globals,buffer-deallocation-pipeline,"
     << "func.func(convert-linalg-to-loops),canonicalize,"
     << "convert-vector-to-scf,lower-affine,convert-scf-to-cf,"
     << "expand-strided-metadata,lower-affine,"
     << "convert-math-to-llvm,convert-math-to-libm,convert-vector-to-llvm,"
     << "finalize-memref-to-llvm,convert-arith-to-llvm,convert-cf-to-llvm,"
     << "convert-func-to-llvm,convert-index-to-llvm,convert-ub-to-llvm,"
     << "reconcile-unrealized-casts";
  return pipeline;
}

void mlir::mlopt::buildLowerToCPUPipeline(OpPassManager &pm,
                                          const LowerToCPUOptions &options) {
  // The string is fixed by this file; a parse failure is a bug here, not a
  // user error, but report it rather than assert.
  if (failed(
          parsePassPipeline(getLowerToCPUPipeline(options), pm, llvm::errs())))
    llvm::report_fatal_error("mlopt-lower-to-cpu: invalid pass pipeline");
}

void mlir::mlopt::registerMLOptConversionPipelines() {
  PassPipelineRegistration<LowerToCPUOptions>(
      "mlopt-lower-to-cpu",
      "Lowers an mlopt module (after the training-step passes) to the LLVM "
      "dialect for the CPU: linalg, fusion, state as arguments, one-shot "
      "bufferization, BLAS calls or loops, LLVM",
      buildLowerToCPUPipeline);
}
