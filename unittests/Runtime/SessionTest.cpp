//===- SessionTest.cpp - the embedding API against mlopt-run --------------===//

#include "RuntimeTestUtils.h"

#include "mlopt/Runtime/DatasetSpec.h"
#include "mlopt/Runtime/Session.h"
#include "mlopt/Runtime/TrainingLoop.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include "gtest/gtest.h"

#include <cmath>
#include <map>
#include <numeric>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;

static const std::string kToyLinear =
    std::string(MLOPT_EXAMPLES_DIR) + "/toy_linear.mlir";
static const std::string kMloptRun =
    std::string(MLOPT_TOOLS_DIR) + "/mlopt-run";

/// Runs mlopt-run with `arguments`; returns its exit code, with stdout and
/// stderr in `output`.
static int runMloptRun(llvm::ArrayRef<std::string> arguments,
                       std::string &output, const TempDir &dir) {
  std::vector<llvm::StringRef> argv = {kMloptRun};
  for (const std::string &argument : arguments)
    argv.push_back(argument);
  std::string outputPath = dir.file("mlopt-run.out");
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, outputPath,
                                                outputPath};
  std::string message;
  int code = llvm::sys::ExecuteAndWait(kMloptRun, argv, std::nullopt, redirects,
                                       120, 0, &message);
  auto buffer = llvm::MemoryBuffer::getFile(outputPath);
  output = buffer ? (*buffer)->getBuffer().str() : message;
  return code;
}

/// Reads the "step" records of a metrics file: step -> loss.
static std::map<int64_t, double> readStepLosses(const std::string &path) {
  std::map<int64_t, double> losses;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(bool(buffer)) << "cannot read " << path;
  if (!buffer)
    return losses;
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    llvm::Expected<llvm::json::Value> value = llvm::json::parse(line);
    EXPECT_TRUE(bool(value)) << llvm::toString(value.takeError());
    if (!value)
      continue;
    const llvm::json::Object *record = value->getAsObject();
    if (!record || record->getString("event") != "step")
      continue;
    losses[*record->getInteger("step")] = *record->getNumber("loss");
  }
  return losses;
}

// Training toy_linear 10 steps through the API gives exactly mlopt-run's
// losses on the same data, seed and optimizer.
TEST(SessionTest, TrainsExactlyLikeMloptRun) {
  TempDir dir;
  std::string metrics = dir.file("metrics.jsonl");
  std::string output;
  int code = runMloptRun({kToyLinear, "--backend=cpu", "--optimizer=adam",
                          "--lr=0.01", "--train=synthetic:320", "--steps=10",
                          "--seed=3", "--log-every=1", "--metrics=" + metrics},
                         output, dir);
  ASSERT_EQ(code, 0) << output;
  std::map<int64_t, double> expected = readStepLosses(metrics);
  ASSERT_EQ(expected.size(), 10u) << output;

  auto model = Model::load(kToyLinear);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "cpu";
  options.pipeline.optimizer.optimizer = "adam";
  options.pipeline.optimizer.lr = 0.01;
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  ASSERT_FALSE(bool((*session)->init(3)));
  auto data =
      loadDatasetSpec("synthetic:320", Split::Train, (*model)->getSignature());
  ASSERT_TRUE(bool(data)) << llvm::toString(data.takeError());
  ASSERT_FALSE(bool(fitDataset(*data, (*model)->getSignature())));

  // Step by step on tensors this test owns, in the loop's batch order.
  const ModelSignature &signature = (*session)->getSignature();
  BatchOptions batching;
  batching.batchSize = signature.batchSize;
  batching.shuffle = true;
  batching.seed = 3;
  batching.dropLast = true;
  auto plan = EpochPlan::create(data->size(), batching, 0);
  ASSERT_TRUE(bool(plan));
  BatchBuffers buffers;
  for (int64_t step = 1; step <= 10; ++step) {
    fillBatch(*data, signature, plan->batch(step - 1).indices, buffers);
    std::vector<TensorRef> views;
    for (const TensorRef &argument : buffers.arguments)
      views.push_back(viewTensor(argument.spec.name, argument.spec.dtype,
                                 argument.spec.shape, argument.bytes.data()));
    auto result = (*session)->trainStep(views);
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    EXPECT_EQ(result->loss, expected[step]) << "step " << step;
  }

  // The data-set loop of the API gives the same losses too.
  auto again = Session::compile(**model, options);
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_TRUE((*again)->isLoadedFromCache());
  ASSERT_FALSE(bool((*again)->init(3)));
  TrainLoopOptions loop;
  loop.maxSteps = 10;
  loop.seed = 3;
  loop.progress = false;
  std::map<int64_t, double> losses;
  TrainLoopCallbacks callbacks;
  callbacks.onStep = [&](const StepRecord &record) {
    losses[record.step] = record.result.loss;
    return llvm::Error::success();
  };
  auto trained = train(**again, *data, loop, callbacks);
  ASSERT_TRUE(bool(trained)) << llvm::toString(trained.takeError());
  EXPECT_EQ(trained->steps, 10);
  EXPECT_EQ(losses, expected);
}

TEST(SessionTest, StateAndArgumentsAreChecked) {
  auto model = Model::load(kToyLinear);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "reference";
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  ASSERT_FALSE(bool((*session)->init(0)));

  std::vector<float> weight(10, 0.5f);
  llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<uint8_t *>(weight.data()),
                                weight.size() * sizeof(float));
  ASSERT_FALSE(bool((*session)->writeState("fc.weight", bytes)));
  auto read = (*session)->readState("fc.weight");
  ASSERT_TRUE(bool(read));
  EXPECT_EQ(*read, std::vector<uint8_t>(bytes.begin(), bytes.end()));
  llvm::Error unknown = (*session)->writeState("fc.nothing", bytes);
  EXPECT_NE(llvm::toString(std::move(unknown)).find("fc.nothing"),
            std::string::npos);

  // An argument of the wrong shape is an error naming it.
  std::vector<float> x(32 * 9), y(32);
  auto result =
      (*session)->evalStep({viewTensor("x", DType::F32, {32, 9}, x.data()),
                            viewTensor("y", DType::F32, {32, 1}, y.data())});
  ASSERT_FALSE(bool(result));
  EXPECT_NE(llvm::toString(result.takeError()).find("'x'"), std::string::npos);
}

TEST(SessionTest, UnknownBackendIsAnError) {
  auto backend = lookupBackend("tpu");
  ASSERT_FALSE(bool(backend));
  EXPECT_EQ(llvm::toString(backend.takeError()),
            "unknown backend 'tpu' (registered: cpu, reference)");
  std::vector<std::string> names = getRegisteredBackends();
  EXPECT_EQ(names, (std::vector<std::string>{"cpu", "reference"}));

  auto model = Model::load(kToyLinear);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "tpu";
  auto session = Session::compile(**model, options);
  ASSERT_FALSE(bool(session));
  EXPECT_EQ(llvm::toString(session.takeError()),
            "unknown backend 'tpu' (registered: cpu, reference)");
  EXPECT_FALSE(bool(printPipeline(options)));
}

TEST(SessionTest, RegisteredBackendIsUsed) {
  BackendInfo info;
  info.name = "reference-copy";
  info.description = "the reference backend under another name";
  info.create = [](ModuleOp module, const BackendOptions &) {
    return createReferenceBackend(module);
  };
  registerBackend(info);
  auto model = Model::load(kToyLinear);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "reference-copy";
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  EXPECT_FALSE(bool((*session)->init(0)));
}

/// `name=value` pairs of a printed pass, e.g. "p{a=1 b=x}".
static std::map<std::string, std::string>
parsePassOptions(llvm::StringRef text, llvm::StringRef pass) {
  std::map<std::string, std::string> options;
  size_t at = text.find((pass + "{").str());
  if (at == llvm::StringRef::npos)
    return options;
  llvm::StringRef body = text.drop_front(at + pass.size() + 1);
  body = body.take_until([](char c) { return c == '}'; });
  llvm::SmallVector<llvm::StringRef> fields;
  body.split(fields, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef field : fields) {
    auto [key, value] = field.split('=');
    options[key.str()] = value.str();
  }
  return options;
}

// Every option of mlopt-optimizer is a flag of mlopt-run with the same name:
// setting it to a non-default value changes exactly that option of the
// pipeline mlopt-run builds.
TEST(SessionTest, EveryOptimizerOptionIsAMloptRunFlag) {
  std::string printed;
  {
    llvm::raw_string_ostream os(printed);
    createMLOptOptimizer()->printAsTextualPipeline(os);
  }
  std::map<std::string, std::string> defaults =
      parsePassOptions(printed, "mlopt-optimizer");
  ASSERT_GE(defaults.size(), 16u) << printed;
  TempDir dir;
  for (const auto &[name, defaultValue] : defaults) {
    std::string value;
    int64_t integer = 0;
    if (defaultValue == "true" || defaultValue == "false")
      value = defaultValue == "true" ? "false" : "true";
    else if (llvm::StringRef(defaultValue).find_first_of(".e") !=
             llvm::StringRef::npos)
      value = "0.375";
    else if (!llvm::StringRef(defaultValue).getAsInteger(10, integer))
      value = "7";
    else
      value = "custom";
    // The pass's own printing of the value.
    auto pass = createMLOptOptimizer();
    ASSERT_TRUE(succeeded(
        pass->initializeOptions(name + "=" + value, [](const llvm::Twine &) {
          return mlir::failure();
        })));
    std::string expectedText;
    {
      llvm::raw_string_ostream os(expectedText);
      pass->printAsTextualPipeline(os);
    }
    std::map<std::string, std::string> expected =
        parsePassOptions(expectedText, "mlopt-optimizer");
    ASSERT_NE(expected[name], defaultValue) << name;

    std::string output;
    int code =
        runMloptRun({kToyLinear, "--print-pipeline", "--" + name + "=" + value},
                    output, dir);
    ASSERT_EQ(code, 0) << "--" << name << "=" << value << ": " << output;
    EXPECT_EQ(parsePassOptions(output, "mlopt-optimizer"), expected)
        << "--" << name << "=" << value;
  }
}

// Each entry point's results are named from its own `mlopt.metric`
// attributes: @train_step adds the learning rate mlopt-optimizer applied
// (from the compiled schedule), @eval_step has only the model's metrics.
TEST(SessionTest, EntryPointsNameTheirOwnMetrics) {
  auto model = Model::parse(R"mlir(
    mlopt.state @fc.weight : tensor<3x4xf32> parameter trainable init #mlopt.zeros
    mlopt.state @fc.bias : tensor<3xf32> parameter trainable init #mlopt.zeros
    func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                    %y: tensor<2xi64> {mlopt.label})
        -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
        attributes {mlopt.loss} {
      %w = mlopt.state_read @fc.weight : tensor<3x4xf32>
      %b = mlopt.state_read @fc.bias : tensor<3xf32>
      %logits = mlopt.linear %x, %w, %b
          : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
      %loss = mlopt.cross_entropy %logits, %y
          : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
      %acc = mlopt.accuracy %logits, %y
          : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
      return %loss, %acc : tensor<f32>, tensor<f32>
    }
  )mlir");
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "reference";
  options.pipeline.optimizer.lr = 0.1;
  options.pipeline.optimizer.schedule = "step";
  options.pipeline.optimizer.stepSize = 1;
  options.pipeline.optimizer.gamma = 0.5;
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  EXPECT_EQ((*session)->getTrainMetricNames(),
            llvm::ArrayRef<std::string>({"accuracy", "lr"}));
  EXPECT_EQ((*session)->getEvalMetricNames(),
            llvm::ArrayRef<std::string>({"accuracy"}));
  ASSERT_FALSE(bool((*session)->init(0)));

  std::vector<float> x = {1, 2, 3, 4, -1, -2, -3, -4};
  std::vector<int64_t> y = {0, 2};
  std::vector<TensorRef> arguments = {
      viewTensor("x", DType::F32, {2, 4}, x.data()),
      viewTensor("y", DType::I64, {2}, y.data())};
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE(step);
    auto result = (*session)->trainStep(arguments);
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    ASSERT_EQ(result->metrics.size(), 2u);
    EXPECT_EQ(result->metrics[0].first, "accuracy");
    EXPECT_EQ(result->metrics[1].first, "lr");
    // StepLR: 0.1 * 0.5^t for the t-th step (0-based).
    EXPECT_DOUBLE_EQ(result->metrics[1].second, 0.1 * std::pow(0.5, step));
  }
  auto eval = (*session)->evalStep(arguments);
  ASSERT_TRUE(bool(eval)) << llvm::toString(eval.takeError());
  ASSERT_EQ(eval->metrics.size(), 1u);
  EXPECT_EQ(eval->metrics[0].first, "accuracy");
}

// A distilled classifier (as mlopt-distill writes it: the teacher's logits
// from a frozen state, the loss mode_select(total, student_loss), the loss
// terms marked mlopt.train_only): training reports the loss terms (each
// step, and their epoch means), evaluation only the student's metrics, on
// the full batches and on the last partial one.
TEST(SessionTest, TrainOnlyMetricsAreTrainings) {
  auto model = Model::parse(R"mlir(
    mlopt.state @fc.weight : tensor<10x4xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    mlopt.state @teacher.fc.weight : tensor<10x4xf32> teacher
        init #mlopt.value<dense<0.25> : tensor<10x4xf32>>
    func.func @loss(%x: tensor<8x4xf32> {mlopt.input},
                    %y: tensor<8xi64> {mlopt.label})
        -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"},
            tensor<f32> {mlopt.metric = "student_loss", mlopt.train_only},
            tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only})
        attributes {mlopt.loss} {
      %w = mlopt.state_read @fc.weight : tensor<10x4xf32>
      %s = mlopt.linear %x, %w : (tensor<8x4xf32>, tensor<10x4xf32>) -> tensor<8x10xf32>
      %student = mlopt.cross_entropy %s, %y
          : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
      %acc = mlopt.accuracy %s, %y : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
      %tw = mlopt.state_read @teacher.fc.weight : tensor<10x4xf32>
      %t = mlopt.linear %x, %tw : (tensor<8x4xf32>, tensor<10x4xf32>) -> tensor<8x10xf32>
      %distill = mlopt.mse_loss %s, %t
          : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
      %total = mlopt.add %student, %distill : tensor<f32>
      %loss = mlopt.mode_select %total, %student : tensor<f32>
      return %loss, %acc, %student, %distill
          : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
    }
  )mlir");
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "reference";
  options.pipeline.optimizer.lr = 0.1;
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  EXPECT_EQ((*session)->getTrainMetricNames(),
            llvm::ArrayRef<std::string>(
                {"accuracy", "student_loss", "distill_loss", "lr"}));
  EXPECT_EQ((*session)->getEvalMetricNames(),
            llvm::ArrayRef<std::string>({"accuracy"}));
  EXPECT_EQ(getTrainOnlyMetricNames(**session),
            (std::vector<std::string>{"student_loss", "distill_loss"}));
  // Evaluation does not read the teacher.
  EXPECT_EQ((*session)->getStatesReadBy("eval_step"),
            (std::vector<std::string>{"fc.weight"}));
  ASSERT_FALSE(bool((*session)->init(0)));

  const ModelSignature &signature = (*model)->getSignature();
  auto trainSet = loadDatasetSpec("synthetic:32", Split::Train, signature);
  ASSERT_TRUE(bool(trainSet)) << llvm::toString(trainSet.takeError());
  ASSERT_FALSE(bool(fitDataset(*trainSet, signature)));
  TrainLoopOptions loop;
  loop.epochs = 1;
  loop.progress = false;
  double studentSum = 0, distillSum = 0;
  int64_t steps = 0;
  std::vector<std::pair<std::string, double>> epochMetrics;
  TrainLoopCallbacks callbacks;
  callbacks.onStep = [&](const StepRecord &record) {
    const auto &metrics = record.result.metrics;
    EXPECT_EQ(metrics.size(), 4u);
    if (metrics.size() == 4) {
      // The loss is the total: the student's loss plus the distillation's.
      EXPECT_FLOAT_EQ(record.result.loss,
                      metrics[1].second + metrics[2].second);
      studentSum += metrics[1].second;
      distillSum += metrics[2].second;
    }
    ++steps;
    return llvm::Error::success();
  };
  callbacks.onEpoch = [&](const EpochRecord &record) {
    epochMetrics = record.trainMetrics;
    return llvm::Error::success();
  };
  auto trained = train(**session, *trainSet, loop, callbacks);
  ASSERT_TRUE(bool(trained)) << llvm::toString(trained.takeError());
  ASSERT_EQ(steps, 4);
  ASSERT_EQ(epochMetrics.size(), 2u);
  EXPECT_EQ(epochMetrics[0].first, "student_loss");
  EXPECT_DOUBLE_EQ(epochMetrics[0].second, studentSum / steps);
  EXPECT_EQ(epochMetrics[1].first, "distill_loss");
  EXPECT_DOUBLE_EQ(epochMetrics[1].second, distillSum / steps);
  EXPECT_EQ(trained->lastEpochMetrics, epochMetrics);

  // 12 samples: a full batch and a partial one of 4 (its own session).
  auto testSet = loadDatasetSpec("synthetic:12", Split::Test, signature);
  ASSERT_TRUE(bool(testSet)) << llvm::toString(testSet.takeError());
  ASSERT_FALSE(bool(fitDataset(*testSet, signature)));
  auto eval = evaluate(**session, *testSet, /*progress=*/false);
  ASSERT_TRUE(bool(eval)) << llvm::toString(eval.takeError());
  ASSERT_EQ(eval->metrics.size(), 1u);
  EXPECT_EQ(eval->metrics[0].first, "accuracy");
  EXPECT_EQ(eval->samples, 12);
}

/// toy_linear's session with mlopt-data-parallel{ranks} after autodiff,
/// running on `communicator`.
static llvm::Expected<std::unique_ptr<Session>>
compileDataParallel(const Model &model, int64_t ranks,
                    Communicator *communicator) {
  SessionOptions options;
  options.backend = "cpu";
  options.communicator = communicator;
  MLOptDataParallelOptions dataParallel;
  dataParallel.ranks = ranks;
  options.pipeline.postAutodiffPasses.push_back(
      [dataParallel](OpPassManager &pm) {
        pm.addPass(createMLOptDataParallel(dataParallel));
      });
  return Session::compile(model, options);
}

// A step compiled for 2 ranks does not compile for a world of one (no
// communicator, or one of size 1).
TEST(SessionTest, DataParallelRanksMustMatchTheWorld) {
  auto model = Model::load(kToyLinear);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  std::unique_ptr<Communicator> local = createLocalCommunicator();
  for (Communicator *communicator : {(Communicator *)nullptr, local.get()}) {
    auto session = compileDataParallel(**model, 2, communicator);
    ASSERT_FALSE(bool(session));
    EXPECT_EQ(llvm::toString(session.takeError()),
              "the training step is compiled for 2 data-parallel ranks "
              "(mlopt.data_parallel_ranks), but the run's world has 1 rank");
  }
}

// The session's communicator is the active one during a step (and only
// then), and an error a collective recorded on it is what the step returns.
TEST(SessionTest, StepsRunOnTheSessionsCommunicator) {
  auto model = Model::load(kToyLinear);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  std::unique_ptr<Communicator> local = createLocalCommunicator();
  auto session = compileDataParallel(**model, 1, local.get());
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  ASSERT_FALSE(bool((*session)->init(0)));
  const ModelSignature &signature = (*session)->getSignature();
  auto data = loadDatasetSpec("synthetic:64", Split::Train, signature);
  ASSERT_TRUE(bool(data)) << llvm::toString(data.takeError());
  ASSERT_FALSE(bool(fitDataset(*data, signature)));
  std::vector<int64_t> indices(signature.batchSize);
  std::iota(indices.begin(), indices.end(), int64_t(0));
  BatchBuffers buffers;
  fillBatch(*data, signature, indices, buffers);

  local->resetStats();
  auto step = (*session)->trainStep(buffers.arguments);
  ASSERT_TRUE(bool(step)) << llvm::toString(step.takeError());
  EXPECT_TRUE(std::isfinite(step->loss));
  // The gradients' and the loss's all-reduces went through `local`.
  EXPECT_GT(local->getStats().calls, 0);
  EXPECT_EQ(local->getStats().bytes, (*session)->getReport().communicatedBytes);
  EXPECT_EQ(getActiveCommunicator(), nullptr);

  local->recordError(llvm::createStringError("all_reduce timed out"));
  auto failed = (*session)->trainStep(buffers.arguments);
  ASSERT_FALSE(bool(failed));
  EXPECT_EQ(llvm::toString(failed.takeError()), "all_reduce timed out");
  EXPECT_FALSE(local->hasPendingError());
  EXPECT_TRUE(bool((*session)->trainStep(buffers.arguments)));
}
