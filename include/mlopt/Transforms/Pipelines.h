//===- Pipelines.h - the typed mlopt training pipeline ----------*- C++ -*-===//
//
// The one training pipeline of DESIGN section 4, built with typed addPass
// calls (no pipeline strings), with a slot per stage:
//
//   model-level slot -> mlopt-autodiff -> post-autodiff slot ->
//   mlopt-optimizer -> mlopt-entry-points -> cleanup -> lowering slot
//
// mlopt-opt (`mlopt-train-pipeline`), mlopt-run and the C++ API all build it
// through buildTrainingPipeline(). Pass options are declared once, in
// Passes.td; PassOptions.h.inc lists them for flags and pipeline options.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_TRANSFORMS_PIPELINES_H
#define MLOPT_TRANSFORMS_PIPELINES_H

#include "mlopt/Transforms/PassOptions.h.inc"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt {

/// Adds passes to one slot of the training pipeline.
using PassBuilder = std::function<void(OpPassManager &)>;

/// Everything that shapes the training pipeline.
struct TrainingPipelineOptions {
  /// The model-level slot: passes run on the model before autodiff (pruning,
  /// quantization-aware training, distillation, mixed precision, ...), in
  /// this order.
  std::vector<PassBuilder> modelPasses;
  /// The post-autodiff slot: passes that see the gradients before the
  /// optimizer consumes them (gradient all-reduce, loss scaling).
  std::vector<PassBuilder> postAutodiffPasses;
  /// The batch size to compile for (mlopt-set-batch-size, run first);
  /// unset keeps the model's.
  std::optional<int64_t> batchSize;
  /// mlopt-optimizer's options (declared in Passes.td).
  MLOptOptimizerOptions optimizer;
  /// Run canonicalize and cse on the training module.
  bool cleanup = true;
  /// The lowering for the chosen backend; empty keeps the training module
  /// (the reference backend interprets it).
  PassBuilder lowering;
};

/// Adds the training pipeline to `pm`, which must anchor on builtin.module.
void buildTrainingPipeline(OpPassManager &pm,
                           const TrainingPipelineOptions &options);

/// A slot entry that appends the textual pipeline `text` (of registered
/// passes, mlopt-opt syntax). Fails, with the parser's message in `errors`,
/// when `text` does not parse.
FailureOr<PassBuilder> parsePassBuilder(llvm::StringRef text,
                                        llvm::raw_ostream &errors);

/// The options of `mlopt-train-pipeline` in mlopt-opt: those of
/// mlopt-optimizer, generated from Passes.td.
struct TrainPipelineOptions : public PassPipelineOptions<TrainPipelineOptions> {
#define MLOPT_PIPELINE_OPTION(field, argument, type, defaultValue,             \
                              description)                                     \
  PassOptions::Option<type> field{*this, argument,                             \
                                  llvm::cl::desc(description),                 \
                                  llvm::cl::init(defaultValue)};
  MLOPT_MLOptOptimizer_OPTIONS(MLOPT_PIPELINE_OPTION)
#undef MLOPT_PIPELINE_OPTION

      /// The values as mlopt-optimizer's options struct.
      MLOptOptimizerOptions getOptimizerOptions() const;
};

/// Registers `mlopt-train-pipeline`: the training pipeline with empty slots
/// and no lowering.
void registerMLOptPipelines();

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_PIPELINES_H
