//===- DataParallelTest.cpp - buckets and communicated bytes --------------===//
//
// planGradientBuckets on gradients of known sizes (backward order, the
// first bucket's and later buckets' thresholds, >= closes a bucket), the
// bytes each collective communicates, and mlopt-data-parallel following the
// plan: its collectives hold the planned buckets and communicate what
// getCommunicatedBytesPerStep counts; on one rank (where every collective
// is the identity) the data-parallel step trains exactly like the plain one
// on the reference evaluator.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/DataParallel.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <random>
#include <string>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;
using ::testing::ElementsAre;

namespace {

class DataParallelTest : public ::testing::Test {
protected:
  DataParallelTest() {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics += diag.str() + "\n";
          return success();
        });
  }

  OwningOpRef<ModuleOp> parse(StringRef text) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << diagnostics;
    return module;
  }

  static func::FuncOp trainStep(ModuleOp module) {
    return module.lookupSymbol<func::FuncOp>("train_step");
  }

  MLIRContext context;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
};

/// Gradients whose result order differs from the order the ops make them:
/// %a (result 3, 1 MiB - 4 bytes) first, then %b (result 1, 8 bytes), %c
/// (result 2, 2 MiB), %d (result 4, 4 bytes), %e (result 5, 3 MiB).
constexpr const char *kStep = R"mlir(
mlopt.state @a : tensor<262143xf32> parameter trainable init #mlopt.zeros
mlopt.state @b : tensor<2xf32> parameter trainable init #mlopt.zeros
mlopt.state @c : tensor<524288xf32> parameter trainable init #mlopt.zeros
mlopt.state @d : tensor<f32> parameter trainable init #mlopt.zeros
mlopt.state @e : tensor<786432xf32> parameter trainable init #mlopt.zeros
func.func @train_step(%x: tensor<f32>)
    -> (tensor<f32>, tensor<2xf32> {mlopt.grad_of = @b},
        tensor<524288xf32> {mlopt.grad_of = @c},
        tensor<262143xf32> {mlopt.grad_of = @a}, tensor<f32> {mlopt.grad_of = @d},
        tensor<786432xf32> {mlopt.grad_of = @e},
        tensor<f64> {mlopt.metric = "m"})
    attributes {mlopt.train_step} {
  %a = mlopt.broadcast_to %x : tensor<f32> to tensor<262143xf32>
  %b = mlopt.broadcast_to %x : tensor<f32> to tensor<2xf32>
  %c = mlopt.broadcast_to %x : tensor<f32> to tensor<524288xf32>
  %d = mlopt.neg %x : tensor<f32>
  %e = mlopt.broadcast_to %x : tensor<f32> to tensor<786432xf32>
  %m = mlopt.cast %x : tensor<f32> to tensor<f64>
  return %x, %b, %c, %a, %d, %e, %m : tensor<f32>, tensor<2xf32>,
      tensor<524288xf32>, tensor<262143xf32>, tensor<f32>, tensor<786432xf32>,
      tensor<f64>
}
)mlir";

constexpr int64_t kMiB = 1 << 20;

TEST_F(DataParallelTest, GradientsInBackwardOrder) {
  OwningOpRef<ModuleOp> module = parse(kStep);
  ASSERT_TRUE(module);
  EXPECT_THAT(getGradientsInBackwardOrder(trainStep(*module)),
              ElementsAre(3u, 1u, 2u, 4u, 5u));
}

TEST_F(DataParallelTest, BucketsCloseAtTheirThresholds) {
  OwningOpRef<ModuleOp> module = parse(kStep);
  ASSERT_TRUE(module);
  func::FuncOp step = trainStep(*module);

  // 1 MiB first: %a is 4 bytes short, %b completes it; then everything else
  // fits 25 MiB.
  SmallVector<GradientBucket> buckets = planGradientBuckets(step, 1.0, 25.0);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_THAT(buckets[0].resultIndices, ElementsAre(3u, 1u));
  EXPECT_EQ(buckets[0].bytes, kMiB + 4);
  EXPECT_THAT(buckets[1].resultIndices, ElementsAre(2u, 4u, 5u));
  EXPECT_EQ(buckets[1].bytes, 5 * kMiB + 4);

  // 2 MiB later buckets: %c alone reaches 2 MiB exactly (>= closes it).
  buckets = planGradientBuckets(step, 1.0, 2.0);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_THAT(buckets[0].resultIndices, ElementsAre(3u, 1u));
  EXPECT_THAT(buckets[1].resultIndices, ElementsAre(2u));
  EXPECT_EQ(buckets[1].bytes, 2 * kMiB);
  EXPECT_THAT(buckets[2].resultIndices, ElementsAre(4u, 5u));
  EXPECT_EQ(buckets[2].bytes, 3 * kMiB + 4);

  // A tiny first bucket holds the first gradient alone; one large bucket
  // takes the rest.
  buckets = planGradientBuckets(step, 1e-6, 100.0);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_THAT(buckets[0].resultIndices, ElementsAre(3u));
  EXPECT_THAT(buckets[1].resultIndices, ElementsAre(1u, 2u, 4u, 5u));
}

TEST_F(DataParallelTest, NoGradientsNoBuckets) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @train_step(%x: tensor<f32>) -> tensor<f32>
    attributes {mlopt.train_step} {
  return %x : tensor<f32>
}
)mlir");
  ASSERT_TRUE(module);
  EXPECT_TRUE(planGradientBuckets(trainStep(*module), 1.0, 25.0).empty());
  EXPECT_EQ(getCommunicatedBytesPerStep(trainStep(*module)), 0);
}

TEST_F(DataParallelTest, CommunicatedBytesOfEachCollective) {
  OwningOpRef<ModuleOp> module = parse(R"mlir(
func.func @train_step(%x: tensor<4x3xf32>, %y: tensor<f64>, %s: tensor<3x4xf32>,
                      %v: tensor<6xf32>, %h: tensor<4xbf16>, %w: tensor<4xf32>,
                      %p: tensor<5xi1>) attributes {mlopt.train_step} {
  %a:2 = mlopt.all_reduce mean %x, %y ranks = 2 : tensor<4x3xf32>, tensor<f64>
  %g = mlopt.all_gather %s dim = 0 ranks = 2 : (tensor<3x4xf32>) -> tensor<6x4xf32>
  %r = mlopt.reduce_scatter sum %v dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
  %b = mlopt.broadcast %h root = 0 ranks = 2 : tensor<4xbf16>
  %d = mlopt.reduce sum %w root = 1 ranks = 2 : tensor<4xf32>
  mlopt.send %w dest = 1 ranks = 2 : tensor<4xf32>
  %q = mlopt.recv source = 1 ranks = 2 : tensor<4xf32>
  %c = mlopt.local_shard %v dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
  %o = mlopt.all_reduce max %p ranks = 2 : tensor<5xi1>
  %n = mlopt.add %x, %x : tensor<4x3xf32>
  return
}
)mlir");
  ASSERT_TRUE(module);
  func::FuncOp step = trainStep(*module);
  SmallVector<int64_t> bytes;
  for (Operation &op : step.front().without_terminator())
    bytes.push_back(getCommunicatedBytes(&op));
  // all_reduce 48 + 8, all_gather 48 (what this rank sends), reduce_scatter
  // 24, broadcast 8 (bf16), reduce 16, send 16, recv 0, local_shard 0,
  // all_reduce of i1 5 (one byte each), add 0.
  EXPECT_THAT(bytes, ElementsAre(56, 48, 24, 8, 16, 16, 0, 0, 5, 0));
  EXPECT_EQ(getCommunicatedBytesPerStep(step), 173);
}

TEST_F(DataParallelTest, PassFollowsThePlan) {
  for (int64_t zero : {0, 1}) {
    SCOPED_TRACE("zero=" + std::to_string(zero));
    OwningOpRef<ModuleOp> module = parse(kStep);
    ASSERT_TRUE(module);
    SmallVector<GradientBucket> plan =
        planGradientBuckets(trainStep(*module), 1.0, 2.0);
    PassManager pm(&context, ModuleOp::getOperationName());
    MLOptDataParallelOptions options;
    options.ranks = 3;
    options.bucketMb = 2.0;
    options.zero = zero;
    pm.addPass(createMLOptDataParallel(options));
    ASSERT_TRUE(succeeded(pm.run(*module))) << diagnostics;
    func::FuncOp step = trainStep(*module);
    Operation *terminator = step.front().getTerminator();

    // One collective per bucket, its results returned in the bucket's order.
    SmallVector<Operation *> collectives;
    for (Operation &op : step.front())
      if (getCommunicatedBytes(&op) > 0)
        collectives.push_back(&op);
    ASSERT_EQ(collectives.size(), plan.size() + 1);
    for (auto [bucket, collective] : llvm::zip(plan, collectives)) {
      ASSERT_EQ(collective->getNumResults(), bucket.resultIndices.size());
      for (auto [index, result] :
           llvm::zip(bucket.resultIndices, collective->getResults()))
        EXPECT_EQ(terminator->getOperand(index), result);
    }
    // The loss and the metric, last.
    EXPECT_EQ(collectives.back()->getNumOperands(), 2u);
    EXPECT_EQ(terminator->getOperand(0), collectives.back()->getResult(0));
    EXPECT_EQ(terminator->getOperand(6), collectives.back()->getResult(1));

    // Every gradient once (padded to a multiple of 3 elements with zero=1:
    // 262143 and 786432 divide, 2 -> 3, 524288 -> 524289, 1 -> 3), plus the
    // loss (f32) and the metric (f64).
    int64_t gradBytes = 4 * (262143 + 2 + 524288 + 1 + 786432);
    int64_t padding = zero ? 4 * (1 + 1 + 2) : 0;
    EXPECT_EQ(getCommunicatedBytesPerStep(step), gradBytes + padding + 4 + 8);
  }
}

/// A 6-5-3 classifier with an accuracy metric.
constexpr const char *kMlp = R"mlir(
mlopt.state @fc1.weight : tensor<5x6xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc1.bias : tensor<5xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 6>
mlopt.state @fc2.weight : tensor<3x5xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc2.bias : tensor<3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 5>
func.func @mlp(%x: tensor<4x6xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %w1 = mlopt.state_read @fc1.weight : tensor<5x6xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<5xf32>
  %h = mlopt.linear %x, %w1, %b1
      : (tensor<4x6xf32>, tensor<5x6xf32>, tensor<5xf32>) -> tensor<4x5xf32>
  %a = mlopt.relu %h : tensor<4x5xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<3x5xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<3xf32>
  %o = mlopt.linear %a, %w2, %b2
      : (tensor<4x5xf32>, tensor<3x5xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<f32>
  %c = mlopt.accuracy %o, %y : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<f32>
  return %l, %c : tensor<f32>, tensor<f32>
}
)mlir";

TEST_F(DataParallelTest, OneRankTrainsLikeThePlainStep) {
  // The plain step and the data-parallel one (zero=0, then SGD with
  // momentum), from the same state, over three batches.
  auto compile = [&](bool dataParallel) {
    OwningOpRef<ModuleOp> module = parse(kMlp);
    PassManager pm(&context, ModuleOp::getOperationName());
    pm.addPass(createMLOptAutodiff());
    if (dataParallel) {
      MLOptDataParallelOptions options;
      options.ranks = 1;
      pm.addPass(createMLOptDataParallel(options));
    }
    MLOptOptimizerOptions optimizer;
    optimizer.optimizer = "sgd";
    optimizer.lr = 0.1;
    optimizer.momentum = 0.9;
    pm.addPass(createMLOptOptimizer(optimizer));
    EXPECT_TRUE(module && succeeded(pm.run(*module))) << diagnostics;
    return module;
  };
  OwningOpRef<ModuleOp> plain = compile(false), parallel = compile(true);
  ASSERT_TRUE(plain && parallel);
  ASSERT_GT(getCommunicatedBytesPerStep(trainStep(*parallel)), 0);
  Evaluator plainEvaluator(*plain), parallelEvaluator(*parallel);
  StateMap plainState, parallelState;
  ASSERT_TRUE(succeeded(plainEvaluator.initializeState(7, plainState)));
  ASSERT_TRUE(succeeded(parallelEvaluator.initializeState(7, parallelState)));

  std::mt19937 rng(3);
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int64_t> label(0, 2);
  auto f32 = Float32Type::get(&context);
  auto i64 = IntegerType::get(&context, 64);
  for (int step = 0; step < 3; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    std::vector<double> x(24);
    std::vector<int64_t> y(4);
    for (double &v : x)
      v = normal(rng);
    for (int64_t &v : y)
      v = label(rng);
    SmallVector<Tensor> args = {
        Tensor::fromDoubles(RankedTensorType::get({4, 6}, f32), x),
        Tensor::fromInts(RankedTensorType::get({4}, i64), y)};
    FailureOr<SmallVector<Tensor>> expected =
        plainEvaluator.call("train_step", args, plainState);
    FailureOr<SmallVector<Tensor>> actual =
        parallelEvaluator.call("train_step", args, parallelState);
    ASSERT_TRUE(succeeded(expected) && succeeded(actual)) << diagnostics;
    ASSERT_EQ(expected->size(), actual->size());
    for (auto [want, got] : llvm::zip(*expected, *actual))
      EXPECT_EQ(want.getDoubles(), got.getDoubles());
    ASSERT_EQ(plainState.size(), parallelState.size());
    for (auto &[name, tensor] : plainState) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(parallelState.count(name));
      EXPECT_EQ(tensor.getDoubles(), parallelState[name].getDoubles());
      EXPECT_EQ(tensor.getInts(), parallelState[name].getInts());
    }
  }
}

TEST_F(DataParallelTest, OneRankZeroOneShardsAreTheFlatGradients) {
  auto compile = [&](int64_t zero) {
    OwningOpRef<ModuleOp> module = parse(kMlp);
    PassManager pm(&context, ModuleOp::getOperationName());
    pm.addPass(createMLOptAutodiff());
    if (zero >= 0) {
      MLOptDataParallelOptions options;
      options.ranks = 1;
      options.zero = zero;
      pm.addPass(createMLOptDataParallel(options));
    }
    EXPECT_TRUE(module && succeeded(pm.run(*module))) << diagnostics;
    return module;
  };
  OwningOpRef<ModuleOp> plain = compile(-1), sharded = compile(1);
  ASSERT_TRUE(plain && sharded);
  Evaluator plainEvaluator(*plain), shardedEvaluator(*sharded);
  StateMap plainState, shardedState;
  ASSERT_TRUE(succeeded(plainEvaluator.initializeState(11, plainState)));
  ASSERT_TRUE(succeeded(shardedEvaluator.initializeState(11, shardedState)));
  std::vector<double> x(24);
  for (auto [i, v] : llvm::enumerate(x))
    v = 0.25 * static_cast<double>(i % 7) - 0.6;
  SmallVector<Tensor> args = {
      Tensor::fromDoubles(
          RankedTensorType::get({4, 6}, Float32Type::get(&context)), x),
      Tensor::fromInts(
          RankedTensorType::get({4}, IntegerType::get(&context, 64)),
          {0, 2, 1, 2})};
  FailureOr<SmallVector<Tensor>> expected =
      plainEvaluator.call("train_step", args, plainState);
  FailureOr<SmallVector<Tensor>> actual =
      shardedEvaluator.call("train_step", args, shardedState);
  ASSERT_TRUE(succeeded(expected) && succeeded(actual)) << diagnostics;
  ASSERT_EQ(expected->size(), actual->size());
  func::FuncOp step = trainStep(*sharded);
  for (unsigned i = 0, e = expected->size(); i < e; ++i) {
    SCOPED_TRACE("result #" + std::to_string(i));
    // A gradient's shard over one rank is the whole gradient, flattened.
    if (step.getResultAttr(i, MLOptDialect::kGradOfAttrName)) {
      EXPECT_THAT((*actual)[i].getShape(),
                  ElementsAre((*expected)[i].getNumElements()));
    }
    EXPECT_EQ((*expected)[i].getDoubles(), (*actual)[i].getDoubles());
  }
}

} // namespace
