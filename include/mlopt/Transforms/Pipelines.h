//===- Pipelines.h - named mlopt pass pipelines -----------------*- C++ -*-===//

#ifndef MLOPT_TRANSFORMS_PIPELINES_H
#define MLOPT_TRANSFORMS_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir::mlopt {

/// Options of `mlopt-train-pipeline`: those of `mlopt-optimizer`, with the
/// same names, defaults and meaning.
struct TrainPipelineOptions : public PassPipelineOptions<TrainPipelineOptions> {
  PassOptions::Option<std::string> optimizer{
      *this, "optimizer", llvm::cl::desc("sgd, adam or adamw"),
      llvm::cl::init("sgd")};
  PassOptions::Option<double> lr{*this, "lr", llvm::cl::desc("learning rate"),
                                 llvm::cl::init(1e-3)};
  PassOptions::Option<double> momentum{
      *this, "momentum", llvm::cl::desc("SGD momentum"), llvm::cl::init(0.0)};
  PassOptions::Option<double> dampening{
      *this, "dampening", llvm::cl::desc("SGD dampening"), llvm::cl::init(0.0)};
  PassOptions::Option<bool> nesterov{*this, "nesterov",
                                     llvm::cl::desc("SGD Nesterov momentum"),
                                     llvm::cl::init(false)};
  PassOptions::Option<double> beta1{
      *this, "beta1", llvm::cl::desc("Adam beta1"), llvm::cl::init(0.9)};
  PassOptions::Option<double> beta2{
      *this, "beta2", llvm::cl::desc("Adam beta2"), llvm::cl::init(0.999)};
  PassOptions::Option<double> eps{*this, "eps", llvm::cl::desc("Adam epsilon"),
                                  llvm::cl::init(1e-8)};
  PassOptions::Option<double> weightDecay{
      *this, "weight-decay",
      llvm::cl::desc("L2 penalty (SGD, Adam) or decoupled decay (AdamW); "
                     "negative means the optimizer's PyTorch default"),
      llvm::cl::init(-1.0)};
  PassOptions::Option<double> maxGradNorm{
      *this, "max-grad-norm",
      llvm::cl::desc("clip gradients to this global L2 norm; 0 disables"),
      llvm::cl::init(0.0)};
  PassOptions::Option<std::string> schedule{
      *this, "schedule",
      llvm::cl::desc("learning-rate schedule: constant, step or cosine"),
      llvm::cl::init("constant")};
  PassOptions::Option<int64_t> stepSize{
      *this, "step-size",
      llvm::cl::desc("step schedule: decay every this many steps"),
      llvm::cl::init(1)};
  PassOptions::Option<double> gamma{
      *this, "gamma", llvm::cl::desc("step schedule: decay factor"),
      llvm::cl::init(0.1)};
  PassOptions::Option<int64_t> totalSteps{
      *this, "total-steps",
      llvm::cl::desc("cosine schedule: steps from the end of warm-up to "
                     "lr = min-lr"),
      llvm::cl::init(0)};
  PassOptions::Option<double> minLr{
      *this, "min-lr", llvm::cl::desc("cosine schedule: final learning rate"),
      llvm::cl::init(0.0)};
  PassOptions::Option<int64_t> warmupSteps{
      *this, "warmup-steps",
      llvm::cl::desc("linear warm-up from 0 over this many steps"),
      llvm::cl::init(0)};
};

/// Model IR to a complete training module: mlopt-autodiff, mlopt-optimizer,
/// mlopt-entry-points, canonicalize, cse.
void buildTrainPipeline(OpPassManager &pm, const TrainPipelineOptions &options);

/// Registers `mlopt-train-pipeline`.
void registerMLOptPipelines();

} // namespace mlir::mlopt

#endif // MLOPT_TRANSFORMS_PIPELINES_H
