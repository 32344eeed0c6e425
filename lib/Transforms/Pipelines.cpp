//===- Pipelines.cpp - the typed mlopt training pipeline ------------------===//

#include "mlopt/Transforms/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::mlopt;

void mlopt::buildTrainingPipeline(OpPassManager &pm,
                                  const TrainingPipelineOptions &options) {
  if (options.batchSize)
    pm.addPass(createMLOptSetBatchSize({*options.batchSize}));
  for (const PassBuilder &build : options.modelPasses)
    build(pm);
  pm.addPass(createMLOptAutodiff());
  for (const PassBuilder &build : options.postAutodiffPasses)
    build(pm);
  pm.addPass(createMLOptOptimizer(options.optimizer));
  pm.addPass(createMLOptEntryPoints());
  if (options.cleanup) {
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  if (options.lowering)
    options.lowering(pm);
}

FailureOr<PassBuilder> mlopt::parsePassBuilder(llvm::StringRef text,
                                               llvm::raw_ostream &errors) {
  // Parse once to report errors now; the builder then cannot fail.
  OpPassManager probe(ModuleOp::getOperationName());
  if (failed(parsePassPipeline(text, probe, errors)))
    return failure();
  return PassBuilder([pipeline = text.str()](OpPassManager &pm) {
    (void)parsePassPipeline(pipeline, pm, llvm::nulls());
  });
}

MLOptOptimizerOptions TrainPipelineOptions::getOptimizerOptions() const {
  MLOptOptimizerOptions result;
#define MLOPT_COPY_OPTION(field, argument, type, defaultValue, description)    \
  result.field = field;
  MLOPT_MLOptOptimizer_OPTIONS(MLOPT_COPY_OPTION)
#undef MLOPT_COPY_OPTION
      return result;
}

void mlopt::registerMLOptPipelines() {
  PassPipelineRegistration<TrainPipelineOptions>(
      "mlopt-train-pipeline",
      "model IR to a training module: autodiff, optimizer update, entry "
      "points, canonicalize, cse",
      [](OpPassManager &pm, const TrainPipelineOptions &options) {
        TrainingPipelineOptions pipeline;
        pipeline.optimizer = options.getOptimizerOptions();
        buildTrainingPipeline(pm, pipeline);
      });
}
