//===- TrainingLoop.cpp - train and evaluate a session on a data set ------===//

#include "mlopt/Runtime/TrainingLoop.h"
#include "RuntimeError.h"

#include "mlopt/Runtime/DatasetSpec.h"
#include "mlopt/Runtime/LossScaling.h"
#include "mlopt/Runtime/Metrics.h"
#include "mlopt/Runtime/Trainer.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;
using mlir::mlopt::runtime::detail::makeError;

static ProgressBar makeProgress(bool enabled, std::string label,
                                int64_t total) {
  if (enabled)
    return ProgressBar::forStderr(std::move(label), total);
  return ProgressBar(llvm::errs(), /*enabled=*/false, std::move(label), total);
}

std::vector<std::string>
runtime::getTrainOnlyMetricNames(const Session &session) {
  llvm::StringSet<> evaluated;
  for (const std::string &name : session.getEvalMetricNames())
    evaluated.insert(name);
  std::vector<std::string> names;
  for (const std::string &name : session.getSignature().metricNames)
    if (!evaluated.contains(name))
      names.push_back(name);
  return names;
}

Expected<Evaluation> DatasetEvaluator::run(bool progress) {
  const ModelSignature &signature = session.getSignature();
  int64_t batchSize = signature.batchSize;
  // This rank's contiguous part of the data set.
  int64_t world = communicator ? communicator->size() : 1;
  int64_t rank = communicator ? communicator->rank() : 0;
  int64_t begin = dataset.size() * rank / world;
  int64_t count = dataset.size() * (rank + 1) / world - begin;
  int64_t fullBatches = count / batchSize;
  int64_t rest = count - fullBatches * batchSize;
  if (rest && !remainder) {
    Expected<std::unique_ptr<Session>> compiled =
        session.compileForBatchSize(rest);
    if (!compiled)
      return compiled.takeError();
    remainder = std::move(*compiled);
  }
  // @eval_step's own metrics: the loss function's train-only results
  // (mlopt.train_only) are not among them.
  Evaluation result;
  for (const std::string &name : session.getEvalMetricNames())
    result.metrics.emplace_back(name, 0.0);
  BatchBuffers buffers;
  auto accumulate = [&](Session &step, ArrayRef<int64_t> indices) -> Error {
    fillBatch(dataset, step.getSignature(), indices, buffers);
    Expected<StepResult> values = step.evalStep(buffers.arguments);
    if (!values)
      return values.takeError();
    double weight = static_cast<double>(indices.size());
    result.loss += values->loss * weight;
    for (auto [sum, metric] : llvm::zip(result.metrics, values->metrics))
      sum.second += metric.second * weight;
    return Error::success();
  };
  ProgressBar bar =
      makeProgress(progress, "eval", fullBatches + (rest ? 1 : 0));
  std::vector<int64_t> indices(batchSize);
  for (int64_t b = 0; b < fullBatches; ++b) {
    for (int64_t i = 0; i < batchSize; ++i)
      indices[i] = begin + b * batchSize + i;
    if (Error error = accumulate(session, indices))
      return std::move(error);
    bar.update(b + 1);
  }
  if (rest) {
    if (Error error = session.copyStateTo(*remainder,
                                          session.getStatesReadBy("eval_step")))
      return std::move(error);
    indices.resize(rest);
    for (int64_t i = 0; i < rest; ++i)
      indices[i] = begin + fullBatches * batchSize + i;
    if (Error error = accumulate(*remainder, indices))
      return std::move(error);
    bar.update(fullBatches + 1);
  }
  bar.finish();
  if (world > 1) {
    // The sums of every rank's part: the figures of the whole set.
    std::vector<double> sums = {result.loss};
    for (const auto &metric : result.metrics)
      sums.push_back(metric.second);
    if (Error error = communicator->allReduce(
            sums.data(), sums.data(), sums.size(), DType::F64, Reduction::Sum))
      return makeError("evaluation: " + llvm::toString(std::move(error)));
    result.loss = sums[0];
    for (auto [metric, sum] : llvm::zip(result.metrics, llvm::drop_begin(sums)))
      metric.second = sum;
  }
  double samples = static_cast<double>(std::max<int64_t>(dataset.size(), 1));
  result.loss /= samples;
  for (auto &metric : result.metrics)
    metric.second /= samples;
  result.samples = dataset.size();
  return result;
}

Expected<Evaluation> runtime::evaluate(Session &session, const Dataset &dataset,
                                       bool progress) {
  return DatasetEvaluator(session, dataset).run(progress);
}

Expected<NpyArray> runtime::predict(Session &session, const Dataset &dataset,
                                    bool progress) {
  if (!session.hasPredict())
    return makeError("the model has no @predict_step: its loss is not the "
                     "result of a loss op such as mlopt.cross_entropy");
  const ModelSignature &signature = session.getSignature();
  int64_t batchSize = signature.batchSize;
  int64_t size = dataset.size();
  if (size == 0)
    return makeError(dataset.name() + ": no samples to predict");
  int64_t numBatches = (size + batchSize - 1) / batchSize;
  NpyArray result;
  result.dtype = DType::F32;
  int64_t rowElements = 0;
  std::vector<int64_t> indices(batchSize);
  BatchBuffers buffers;
  ProgressBar bar = makeProgress(progress, "predict", numBatches);
  for (int64_t b = 0; b < numBatches; ++b) {
    // The last batch repeats samples from the start to fill the step.
    for (int64_t i = 0; i < batchSize; ++i)
      indices[i] = (b * batchSize + i) % size;
    fillBatch(dataset, signature, indices, buffers);
    std::vector<TensorRef> inputs;
    for (auto [argument, info] :
         llvm::zip(buffers.arguments, signature.arguments))
      if (!info.isLabel)
        inputs.push_back(argument);
    Expected<TensorData> prediction = session.predict(inputs);
    if (!prediction)
      return prediction.takeError();
    const std::vector<int64_t> &shape = prediction->spec.shape;
    if (b == 0) {
      if (shape.empty() || shape[0] != batchSize)
        return makeError("the prediction is " +
                         formatTensorType(prediction->spec.dtype, shape) +
                         ", which has no leading batch dimension of " +
                         llvm::Twine(batchSize));
      result.shape = shape;
      result.shape[0] = size;
      rowElements = prediction->spec.numElements().value_or(0) / batchSize;
      result.data.reserve(size * rowElements * sizeof(float));
    }
    int64_t rows = std::min(batchSize, size - b * batchSize);
    for (int64_t e = 0; e < rows * rowElements; ++e) {
      float value = static_cast<float>(loadElementAsDouble(
          prediction->spec.dtype, prediction->bytes.data(), e));
      const auto *bytes = reinterpret_cast<const uint8_t *>(&value);
      result.data.insert(result.data.end(), bytes, bytes + sizeof(float));
    }
    bar.update(b + 1);
  }
  bar.finish();
  return result;
}

Expected<TrainLoopResult> runtime::train(Session &session,
                                         const Dataset &dataset,
                                         const TrainLoopOptions &options,
                                         const TrainLoopCallbacks &callbacks) {
  const ModelSignature &signature = session.getSignature();
  BatchOptions batchOptions;
  batchOptions.batchSize = signature.batchSize;
  batchOptions.shuffle = true;
  batchOptions.seed = options.seed;
  batchOptions.dropLast = true;
  batchOptions.rank = options.rank;
  batchOptions.numRanks = options.numRanks;
  // The ranks' data sets have the same size, and the loss is averaged
  // across ranks: these errors come on every rank at the same step.
  auto sameOnEveryRank = [&](Error error) -> Error {
    if (options.numRanks == 1 || !error)
      return error;
    return llvm::make_error<EveryRankError>(llvm::toString(std::move(error)));
  };
  Expected<EpochPlan> firstPlan =
      EpochPlan::create(dataset.size(), batchOptions, 0);
  if (!firstPlan)
    return sameOnEveryRank(firstPlan.takeError());
  int64_t perEpoch = firstPlan->numBatches();
  if (perEpoch == 0)
    return sameOnEveryRank(makeError(dataset.name() + ": fewer samples (" +
                                     llvm::Twine(dataset.size()) +
                                     ") than one batch"));

  TrainLoopResult result;
  std::vector<std::string> trainOnly = getTrainOnlyMetricNames(session);
  int64_t step = options.startStep;
  // Reused by every step: the batch's indices and bytes keep their memory.
  Batch batch;
  BatchBuffers buffers;
  Timer trainTimer;
  for (int64_t epoch = step / perEpoch; epoch < options.epochs; ++epoch) {
    if (options.maxSteps && step >= options.maxSteps)
      break;
    Expected<EpochPlan> plan =
        EpochPlan::create(dataset.size(), batchOptions, epoch);
    if (!plan)
      return plan.takeError();
    ProgressBar bar = makeProgress(options.progress,
                                   "epoch " + std::to_string(epoch + 1) + "/" +
                                       std::to_string(options.epochs),
                                   perEpoch);
    Timer epochTimer;
    double lossSum = 0;
    double stepSecondsSum = 0;
    int64_t lossCount = 0;
    std::vector<std::pair<std::string, double>> metricSums;
    for (const std::string &name : trainOnly)
      metricSums.emplace_back(name, 0.0);
    for (int64_t b = step - epoch * perEpoch; b < perEpoch; ++b) {
      if (options.maxSteps && step >= options.maxSteps)
        break;
      plan->batch(b, batch);
      fillBatch(dataset, signature, batch.indices, buffers);
      Timer stepTimer;
      Expected<StepResult> values = session.trainStep(buffers.arguments);
      if (!values)
        return values.takeError();
      double seconds = stepTimer.seconds();
      result.stepSeconds.push_back(seconds);
      stepSecondsSum += seconds;
      double loss = values->loss;
      if (!std::isfinite(loss))
        return sameOnEveryRank(makeError(
            "the loss became " +
            llvm::Twine(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
            llvm::Twine(step + 1) + " (epoch " + llvm::Twine(epoch + 1) +
            ", batch " + llvm::Twine(b + 1) + ")"));
      // A step skipped at the floor of the loss scale repeats forever.
      if (Error error =
              sameOnEveryRank(checkLossScaleFloor(session, *values, step + 1)))
        return std::move(error);
      if (result.stepSeconds.size() == 1)
        result.firstStepLoss = loss;
      lossSum += loss;
      ++lossCount;
      for (auto &[name, sum] : metricSums)
        for (const auto &[metric, value] : values->metrics)
          if (metric == name)
            sum += value;
      ++step;
      result.samples += signature.batchSize * options.numRanks;
      if (callbacks.onStep) {
        StepRecord record{step, epoch + 1, b + 1, std::move(*values), seconds};
        if (Error error = callbacks.onStep(record))
          return std::move(error);
      }
      if (bar.isEnabled())
        bar.update(b + 1, llvm::formatv("loss {0:f4}", loss).str());
    }
    bar.finish();
    if (lossCount == 0)
      continue;
    ++result.epochsRun;
    for (auto &entry : metricSums)
      entry.second /= static_cast<double>(lossCount);
    EpochRecord record{epoch + 1,
                       step,
                       lossSum / lossCount,
                       std::move(metricSums),
                       epochTimer.seconds(),
                       stepSecondsSum};
    result.lastEpochLoss = record.trainLoss;
    result.lastEpochMetrics = record.trainMetrics;
    if (callbacks.onEpoch)
      if (Error error = callbacks.onEpoch(record))
        return std::move(error);
  }
  result.seconds = trainTimer.seconds();
  result.steps = step;
  return result;
}
