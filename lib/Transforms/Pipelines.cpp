//===- Pipelines.cpp - named mlopt pass pipelines -------------------------===//

#include "mlopt/Transforms/Pipelines.h"

#include "mlopt/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::mlopt;

void mlopt::buildTrainPipeline(OpPassManager &pm,
                               const TrainPipelineOptions &options) {
  MLOptOptimizerOptions optimizerOptions;
  optimizerOptions.optimizer = options.optimizer;
  optimizerOptions.lr = options.lr;
  optimizerOptions.momentum = options.momentum;
  optimizerOptions.dampening = options.dampening;
  optimizerOptions.nesterov = options.nesterov;
  optimizerOptions.beta1 = options.beta1;
  optimizerOptions.beta2 = options.beta2;
  optimizerOptions.eps = options.eps;
  optimizerOptions.weightDecay = options.weightDecay;
  optimizerOptions.maxGradNorm = options.maxGradNorm;
  optimizerOptions.schedule = options.schedule;
  optimizerOptions.stepSize = options.stepSize;
  optimizerOptions.gamma = options.gamma;
  optimizerOptions.totalSteps = options.totalSteps;
  optimizerOptions.minLr = options.minLr;
  optimizerOptions.warmupSteps = options.warmupSteps;

  pm.addPass(createMLOptAutodiff());
  pm.addPass(createMLOptOptimizer(optimizerOptions));
  pm.addPass(createMLOptEntryPoints());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlopt::registerMLOptPipelines() {
  PassPipelineRegistration<TrainPipelineOptions>(
      "mlopt-train-pipeline",
      "model IR to a training module: autodiff, optimizer update, entry "
      "points, canonicalize, cse",
      buildTrainPipeline);
}
