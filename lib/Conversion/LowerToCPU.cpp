//===- LowerToCPU.cpp - the mlopt-lower-to-cpu pipeline -------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::mlopt;

void mlir::mlopt::buildLowerToCPUPipeline(OpPassManager &pm,
                                          const LowerToCPUOptions &options) {
  pm.addPass(createMLOptForwardStateReads());
  pm.addPass(createConvertMLOptToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createMLOptFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // No canonicalization from here to bufferization: the destination-passing
  // stores have no uses. The pass also does the empty-tensor elimination
  // this IR needs, in linear time (upstream's eliminate-empty-tensors runs a
  // whole one-shot analysis first, quadratic in long chains).
  MLOptExternalizeStateOptions externalize;
  externalize.cInterface = options.cInterface;
  pm.addPass(createMLOptExternalizeState(externalize));
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  switch (options.matmul) {
  case MatmulMode::Blas:
    pm.addPass(createMLOptLinalgToBlas());
    break;
  case MatmulMode::Vector:
    pm.addPass(createMLOptVectorizeMatmuls());
    pm.addPass(createCanonicalizerPass());
    break;
  case MatmulMode::Loops:
    break;
  }
  pm.addPass(createMLOptAllocsToGlobals());
  pm.addPass(createMLOptOutlineChunks());
  bufferization::buildBufferDeallocationPipeline(pm);
  // Parallel iterator dims become scf.parallel, reduction dims scf.for; an
  // scf.parallel that mlopt-parallelize-loops leaves (small, nested) lowers
  // serially in convert-scf-to-cf, as the scf.for nest would.
  if (options.parallelLoops)
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  else
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createLowerAffinePass());
  if (options.parallelLoops)
    pm.addPass(createMLOptParallelizeLoops());
  pm.addNestedPass<func::FuncOp>(createMLOptSplitBlocksAtLoops());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  if (options.approximateMath)
    pm.addPass(createMLOptApproximateMath());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::mlopt::registerMLOptConversionPipelines() {
  PassPipelineRegistration<LowerToCPUOptions>(
      "mlopt-lower-to-cpu",
      "Lowers an mlopt module (after the training-step passes) to the LLVM "
      "dialect for the CPU: linalg, fusion, state as arguments, one-shot "
      "bufferization, BLAS calls or loops, LLVM",
      buildLowerToCPUPipeline);
}
