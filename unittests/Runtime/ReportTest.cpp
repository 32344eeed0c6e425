//===- ReportTest.cpp - the compile-time step report against hand counts --===//
//
// examples/mlp.mlir (784 -> 256 -> ReLU -> 10, batch 128) goes through the
// training pipeline with the report's instrumentation attached; the FLOPs of
// each stage must equal the counts worked out by hand from the IR that
// mlopt-autodiff and mlopt-optimizer emit and the ops' cost rules, and the
// state and temporaries must match the model's tensors.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/Report.h"

#include "RuntimeTestUtils.h"

#include "mlopt/Conversion/Passes.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Runtime/Metrics.h"
#include "mlopt/Runtime/Session.h"
#include "mlopt/Transforms/DataParallel.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include "gtest/gtest.h"

#include <string>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;

namespace {

// The MLP's sizes.
constexpr int64_t kBatch = 128, kIn = 784, kHidden = 256, kOut = 10;
/// Trainable parameter elements: two weights and two biases.
constexpr int64_t kParams = kHidden * kIn + kHidden + kOut * kHidden + kOut;

class ReportTest : public ::testing::Test {
protected:
  ReportTest() {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics += diag.str() + "\n";
          return success();
        });
  }

  /// Parses examples/mlp.mlir and runs the training pipeline on it with the
  /// report attached; `lower` appends the lowering out of mlopt.
  OwningOpRef<ModuleOp> train(StepReport &report, StringRef optimizer,
                              bool lower = false, int64_t ranks = 0,
                              int64_t zero = 0) {
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(MLOPT_EXAMPLES_DIR "/mlp.mlir", &context);
    EXPECT_TRUE(module) << diagnostics;
    if (!module)
      return {};
    PassManager pm(&context, ModuleOp::getOperationName());
    StepReportInstrumentation::attach(pm, report);
    pm.addPass(createMLOptAutodiff());
    if (ranks > 0) {
      MLOptDataParallelOptions dataParallel;
      dataParallel.ranks = ranks;
      dataParallel.zero = zero;
      pm.addPass(createMLOptDataParallel(dataParallel));
    }
    MLOptOptimizerOptions options;
    options.optimizer = optimizer.str();
    pm.addPass(createMLOptOptimizer(options));
    pm.addPass(createMLOptEntryPoints());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    if (lower)
      pm.addPass(createConvertMLOptToLinalg());
    if (failed(pm.run(*module))) {
      ADD_FAILURE() << "pipeline failed: " << diagnostics;
      return {};
    }
    return module;
  }

  MLIRContext context;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
};

func::FuncOp trainStep(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(MLOptDialect::kTrainStepAttrName))
      return func;
  return {};
}

int64_t sumByOp(const FlopCount &count) {
  int64_t sum = 0;
  for (const auto &entry : count.flopsByOp)
    sum += entry.getValue();
  return sum;
}

uint64_t bytesOf(const std::vector<std::pair<std::string, uint64_t>> &totals,
                 StringRef key) {
  for (const auto &[name, bytes] : totals)
    if (name == key)
      return bytes;
  return 0;
}

TEST_F(ReportTest, ForwardMatmulsMatchTheHandCount) {
  StepReport report;
  ASSERT_TRUE(train(report, "sgd"));
  ASSERT_TRUE(report.forward.measured);
  // Two linears: 2 * batch * (in * out) multiply-adds, plus the bias adds.
  int64_t matmuls = 2 * kBatch * (kIn * kHidden + kHidden * kOut);
  int64_t biases = kBatch * (kHidden + kOut);
  EXPECT_EQ(report.forward.flopsByOp.lookup("mlopt.linear"), matmuls + biases);
  EXPECT_EQ(report.forward.flopsByOp.lookup("mlopt.relu"), kBatch * kHidden);
  EXPECT_EQ(report.forward.flops, sumByOp(report.forward));
  EXPECT_EQ(report.forward.sortedByOp().front().first, "mlopt.linear");
}

TEST_F(ReportTest, BackwardMatmulsMatchTheHandCount) {
  StepReport report;
  ASSERT_TRUE(train(report, "sgd"));
  ASSERT_TRUE(report.backward.measured);
  // Autodiff emits dA = dLogits @ W2, dW2 = dLogits^T @ A and
  // dW1 = dH^T @ X; the input gradient dX is pruned (inputs are not
  // trainable), and the forward linears are not repeated.
  int64_t dA = 2 * kBatch * kOut * kHidden;
  int64_t dW2 = 2 * kOut * kBatch * kHidden;
  int64_t dW1 = 2 * kHidden * kBatch * kIn;
  EXPECT_EQ(report.backward.flopsByOp.lookup("mlopt.matmul"), dA + dW2 + dW1);
  EXPECT_EQ(report.backward.flopsByOp.lookup("mlopt.linear"), 0);
  // The bias gradients are column sums of dLogits and dH.
  EXPECT_EQ(report.backward.flopsByOp.lookup("mlopt.sum"),
            kBatch * kOut + kBatch * kHidden);
  // Transposes move data and count no FLOPs.
  EXPECT_EQ(report.backward.flopsByOp.lookup("mlopt.transpose"), 0);
  EXPECT_EQ(report.backward.flops, sumByOp(report.backward));
}

TEST_F(ReportTest, SgdUpdateIsTwoFlopsPerParameter) {
  StepReport report;
  ASSERT_TRUE(train(report, "sgd"));
  ASSERT_TRUE(report.optimizer.measured);
  // w -= lr * g: a mul and a sub per element; the step counter's +1 is one
  // add (its casts count no FLOPs).
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.mul"), kParams);
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.sub"), kParams);
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.add"), 1);
  EXPECT_EQ(report.optimizer.flops, 2 * kParams + 1);
}

TEST_F(ReportTest, AdamUpdateIsThirteenFlopsPerParameter) {
  StepReport report;
  ASSERT_TRUE(train(report, "adam"));
  ASSERT_TRUE(report.optimizer.measured);
  // Per element: m = b1*m + (1-b1)*g (2 mul, 1 add), v = b2*v + (1-b2)*g*g
  // (3 mul, 1 add), sqrt(v) / sqrt(1-b2^t) + eps (sqrt, div, add),
  // m / denominator (div), w -= lr_t * that (mul, sub): 13 FLOPs.
  // Once per step on scalars: t + 1, b1^t, b2^t, 1 - b1^t, 1 - b2^t,
  // lr / (1 - b1^t), sqrt(1 - b2^t) and the counter's + 1: 8 FLOPs.
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.mul"), 6 * kParams);
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.add"), 3 * kParams + 2);
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.sqrt"), kParams + 1);
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.div"), 2 * kParams + 1);
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.sub"), kParams + 2);
  EXPECT_EQ(report.optimizer.flopsByOp.lookup("mlopt.pow"), 2);
  EXPECT_EQ(report.optimizer.flops, 13 * kParams + 8);
}

TEST_F(ReportTest, StepFlopsAreTheCompiledTrainStepsCount) {
  {
    StepReport report;
    OwningOpRef<ModuleOp> module = train(report, "sgd");
    ASSERT_TRUE(module);
    // Entry points and cleanup change no FLOPs of the SGD step, so the three
    // phases add up to what is compiled.
    EXPECT_TRUE(report.otherPasses.empty());
    EXPECT_EQ(report.stepFlops(), report.forward.flops + report.backward.flops +
                                      report.optimizer.flops);
    EXPECT_EQ(report.stepFlops(), countFlops(trainStep(*module)).flops);
  }
  StepReport report;
  OwningOpRef<ModuleOp> module = train(report, "adam");
  ASSERT_TRUE(module);
  // Adam computes t + 1 for the bias corrections and again for the new step
  // counter; cse merges the two, and the report says so.
  ASSERT_EQ(report.otherPasses.size(), 1u);
  EXPECT_EQ(report.otherPasses[0].pass, "cse");
  EXPECT_EQ(report.otherPasses[0].flops, -1);
  EXPECT_EQ(report.stepFlops(), report.forward.flops + report.backward.flops +
                                    report.optimizer.flops - 1);
  EXPECT_EQ(report.stepFlops(), countFlops(trainStep(*module)).flops);
}

/// A stand-in for a post-autodiff technique (gradient unscaling): multiplies
/// every gradient that @train_step returns by 0.5.
struct HalveGradientsPass
    : public PassWrapper<HalveGradientsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(HalveGradientsPass)
  StringRef getArgument() const final { return "test-halve-gradients"; }
  void runOnOperation() override {
    func::FuncOp step = trainStep(getOperation());
    auto ret = cast<func::ReturnOp>(step.getBody().front().getTerminator());
    OpBuilder builder(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      if (!step.getResultAttr(operand.getOperandNumber(),
                              MLOptDialect::kGradOfAttrName))
        continue;
      auto scalar = RankedTensorType::get({}, builder.getF32Type());
      Value half = ConstantOp::create(
          builder, ret.getLoc(),
          cast<ElementsAttr>(DenseElementsAttr::get(scalar, 0.5f)));
      operand.set(MulOp::create(builder, ret.getLoc(), operand.get(), half));
    }
  }
};

TEST_F(ReportTest, PostAutodiffPassesGetTheirOwnLine) {
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(MLOPT_EXAMPLES_DIR "/mlp.mlir", &context);
  ASSERT_TRUE(module);
  StepReport report;
  PassManager pm(&context, ModuleOp::getOperationName());
  StepReportInstrumentation::attach(pm, report);
  pm.addPass(createMLOptAutodiff());
  pm.addPass(std::make_unique<HalveGradientsPass>());
  pm.addPass(createMLOptOptimizer());
  pm.addPass(createMLOptEntryPoints());
  ASSERT_TRUE(succeeded(pm.run(*module))) << diagnostics;

  ASSERT_EQ(report.otherPasses.size(), 1u);
  EXPECT_EQ(report.otherPasses[0].pass, "test-halve-gradients");
  EXPECT_EQ(report.otherPasses[0].flops, kParams);
  // The optimizer phase is what mlopt-optimizer added, not the halving.
  EXPECT_EQ(report.optimizer.flops, 2 * kParams + 1);
  EXPECT_EQ(report.stepFlops(), countFlops(trainStep(*module)).flops);
  EXPECT_NE(report.str().find("test-halve-gradients +203.53 kFLOP"),
            std::string::npos)
      << report.str();
}

TEST_F(ReportTest, StateBytesPerKindAndDType) {
  {
    StepReport report;
    ASSERT_TRUE(train(report, "sgd"));
    EXPECT_EQ(bytesOf(report.stateBytesByKind, "parameter"), 4 * kParams);
    EXPECT_EQ(bytesOf(report.stateBytesByKind, "optimizer_state"), 0u);
    EXPECT_EQ(bytesOf(report.stateBytesByKind, "step"), 8u);
    EXPECT_EQ(report.trainableElements, kParams);
  }
  StepReport report;
  ASSERT_TRUE(train(report, "adam"));
  // Adam keeps exp_avg and exp_avg_sq per parameter.
  EXPECT_EQ(bytesOf(report.stateBytesByKind, "parameter"), 4 * kParams);
  EXPECT_EQ(bytesOf(report.stateBytesByKind, "optimizer_state"),
            2 * 4 * kParams);
  EXPECT_EQ(bytesOf(report.stateBytesByKind, "step"), 8u);
  EXPECT_EQ(bytesOf(report.stateBytesByDType, "f32"), 3 * 4 * kParams);
  EXPECT_EQ(bytesOf(report.stateBytesByDType, "i64"), 8u);
  EXPECT_EQ(report.stateBytes(), 3 * 4 * kParams + 8);
  EXPECT_EQ(report.trainableElements, kParams);
}

TEST_F(ReportTest, LargestTemporariesAreTheFirstLayersWeightSized) {
  StepReport report;
  ASSERT_TRUE(train(report, "sgd"));
  ASSERT_EQ(report.largestTemporaries.size(), 5u);
  // dW1 (the matmul), lr * dW1 and w1 - lr * dW1, in program order.
  const StepReport::Temporary &first = report.largestTemporaries.front();
  EXPECT_EQ(first.op, "mlopt.matmul");
  EXPECT_EQ(first.type, "tensor<256x784xf32>");
  EXPECT_EQ(first.bytes, uint64_t(4 * kHidden * kIn));
  EXPECT_NE(first.location.find("mlp.mlir:"), std::string::npos)
      << first.location;
  EXPECT_EQ(report.largestTemporaries[1].op, "mlopt.mul");
  EXPECT_EQ(report.largestTemporaries[2].op, "mlopt.sub");
  for (size_t i = 1; i < report.largestTemporaries.size(); ++i)
    EXPECT_GE(report.largestTemporaries[i - 1].bytes,
              report.largestTemporaries[i].bytes);
  EXPECT_GE(report.temporaryBytes, 3 * first.bytes);
}

TEST_F(ReportTest, LoweringInTheSamePassManagerDoesNotChangeTheReport) {
  StepReport mloptLevel, lowered;
  ASSERT_TRUE(train(mloptLevel, "adam"));
  OwningOpRef<ModuleOp> module = train(lowered, "adam", /*lower=*/true);
  ASSERT_TRUE(module);
  ASSERT_EQ(countFlops(trainStep(*module)).numOps, 0);
  EXPECT_EQ(lowered.stepFlops(), mloptLevel.stepFlops());
  EXPECT_EQ(lowered.optimizer.flops, mloptLevel.optimizer.flops);
  EXPECT_EQ(lowered.otherPasses.size(), mloptLevel.otherPasses.size());
  EXPECT_EQ(lowered.stateBytesByKind, mloptLevel.stateBytesByKind);
  ASSERT_EQ(lowered.largestTemporaries.size(),
            mloptLevel.largestTemporaries.size());
  EXPECT_EQ(lowered.largestTemporaries[0].op, "mlopt.matmul");
}

TEST_F(ReportTest, PrintAndJsonHoldEverySection) {
  StepReport report;
  ASSERT_TRUE(train(report, "adam"));
  std::string text = report.str();
  for (StringRef expected :
       {"step report", "forward", "backward", "optimizer", "mlopt.linear",
        "mlopt.matmul", "step ", "state ", "state by kind", "optimizer_state",
        "parameters", "203530 trainable elements", "temporaries",
        "tensor<256x784xf32>"})
    EXPECT_NE(text.find(expected.str()), std::string::npos)
        << "missing '" << expected.str() << "' in:\n"
        << text;

  llvm::json::Value json = report.toJSON();
  const llvm::json::Object *root = json.getAsObject();
  ASSERT_TRUE(root);
  const llvm::json::Object *flops = root->getObject("flops");
  ASSERT_TRUE(flops);
  EXPECT_EQ(flops->getInteger("step"), report.stepFlops());
  const llvm::json::Object *forward = flops->getObject("forward");
  ASSERT_TRUE(forward);
  EXPECT_EQ(forward->getInteger("total"), report.forward.flops);
  EXPECT_EQ(forward->getObject("by_op")->getInteger("mlopt.linear"),
            report.forward.flopsByOp.lookup("mlopt.linear"));
  EXPECT_EQ(flops->getObject("optimizer")->getInteger("total"),
            13 * kParams + 8);
  const llvm::json::Object *state = root->getObject("state_bytes");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->getObject("by_kind")->getInteger("optimizer_state"),
            2 * 4 * kParams);
  EXPECT_EQ(state->getInteger("total"), int64_t(report.stateBytes()));
  const llvm::json::Array *largest =
      root->getObject("temporaries")->getArray("largest");
  ASSERT_TRUE(largest);
  EXPECT_EQ((*largest)[0].getAsObject()->getString("type"),
            "tensor<256x784xf32>");
  EXPECT_EQ(root->getInteger("trainable_elements"), kParams);
  ASSERT_TRUE(root->getArray("sections"));
  EXPECT_TRUE(root->getArray("sections")->empty());
}

TEST_F(ReportTest, CallersAddSections) {
  StepReport report;
  ASSERT_TRUE(train(report, "sgd"));
  // What a data-parallel technique would add.
  report.addSection("data parallel")
      .add("ranks", "4", int64_t{4})
      .add("all-reduce", formatBytes(4 * kParams) + " per step",
           int64_t{4 * kParams})
      .add("buckets", "1 (no bucketing)");
  ASSERT_TRUE(report.findSection("data parallel"));
  EXPECT_FALSE(report.findSection("pruning"));

  std::string text = report.str();
  size_t title = text.find("  data parallel\n");
  ASSERT_NE(title, std::string::npos) << text;
  EXPECT_NE(text.find("all-reduce", title), std::string::npos);
  EXPECT_NE(text.find("795.0 KiB per step", title), std::string::npos) << text;

  llvm::json::Value json = report.toJSON();
  const llvm::json::Array *sections = json.getAsObject()->getArray("sections");
  ASSERT_TRUE(sections);
  ASSERT_EQ(sections->size(), 1u);
  const llvm::json::Object *section = (*sections)[0].getAsObject();
  EXPECT_EQ(section->getString("title"), "data parallel");
  const llvm::json::Object *lines = section->getObject("lines");
  EXPECT_EQ(lines->getInteger("ranks"), 4);
  EXPECT_EQ(lines->getInteger("all-reduce"), 4 * kParams);
  // Without a value, JSON gets the printed text.
  EXPECT_EQ(lines->getString("buckets"), "1 (no bucketing)");
}

TEST_F(ReportTest, PipelineWithoutAutodiffMeasuresNoPhases) {
  StepReport report;
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(MLOPT_EXAMPLES_DIR "/mlp.mlir", &context);
  ASSERT_TRUE(module);
  PassManager pm(&context, ModuleOp::getOperationName());
  StepReportInstrumentation::attach(pm, report);
  pm.addPass(createCanonicalizerPass());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  EXPECT_FALSE(report.forward.measured);
  EXPECT_EQ(report.stepFlops(), 0);
  std::string text = report.str();
  EXPECT_EQ(text.find("forward"), std::string::npos) << text;
}

TEST_F(ReportTest, MovingElementsCountsNoFlops) {
  // Only the exp computes; the others move, repeat or convert elements.
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
func.func @f(%x: tensor<4x8xf32>, %c: tensor<4x8xi1>) -> tensor<4x8xf32> {
  %t = mlopt.transpose %x, [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %r = mlopt.reshape %t : tensor<8x4xf32> to tensor<32xf32>
  %b = mlopt.broadcast_to %r : tensor<32xf32> to tensor<2x32xf32>
  %h = mlopt.cast %x : tensor<4x8xf32> to tensor<4x8xbf16>
  %s = mlopt.select %c, %x, %x
      : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %e = mlopt.exp %s : tensor<4x8xf32>
  return %e : tensor<4x8xf32>
}
)mlir",
                                                             &context);
  ASSERT_TRUE(module) << diagnostics;
  FlopCount count = countFlops(*module);
  EXPECT_EQ(count.numOps, 6);
  EXPECT_EQ(count.flops, 32);
  EXPECT_EQ(count.flopsByOp.lookup("mlopt.exp"), 32);
  ASSERT_EQ(count.sortedByOp().size(), 1u);
}

TEST(FormatFlopsTest, PicksDecimalUnits) {
  EXPECT_EQ(formatFlops(0), "0 FLOP");
  EXPECT_EQ(formatFlops(812), "812 FLOP");
  EXPECT_EQ(formatFlops(-3), "-3 FLOP");
  EXPECT_EQ(formatFlops(53018624), "53.02 MFLOP");
  EXPECT_EQ(formatFlops(1230000000), "1.23 GFLOP");
  EXPECT_EQ(formatFlops(-2500), "-2.50 kFLOP");
}

TEST(SummaryFlopsTest, SummaryRepeatsStepFlopsWithAchievedRate) {
  RunSummary summary;
  summary.trained = true;
  summary.steps = 3;
  summary.stepSeconds = {0.004, 0.002, 0.003};
  summary.stepFlops = int64_t{159000000};
  std::string text = formatSummary(summary);
  // 0.159 GFLOP in the median 3 ms.
  EXPECT_NE(text.find("train step   0.159 GFLOP (compiler count), 53.00 "
                      "GFLOP/s achieved\n"),
            std::string::npos)
      << text;
  std::string record = summaryRecord(summary).toJson();
  EXPECT_NE(record.find("\"step_flops\":159000000"), std::string::npos)
      << record;
  EXPECT_NE(record.find("\"achieved_gflops_per_s\":53"), std::string::npos)
      << record;

  // Without step times there is no rate; without FLOPs no line at all.
  summary.stepSeconds.clear();
  text = formatSummary(summary);
  EXPECT_NE(text.find("train step   0.159 GFLOP (compiler count)\n"),
            std::string::npos)
      << text;
  summary.stepFlops.reset();
  EXPECT_EQ(formatSummary(summary).find("train step"), std::string::npos);
  EXPECT_EQ(summaryRecord(summary).toJson().find("step_flops"),
            std::string::npos);
}

} // namespace

namespace {

//===----------------------------------------------------------------------===//
// Communication
//===----------------------------------------------------------------------===//

// Every collective and point-to-point op hands its operands' bytes to the
// communicator (recv none); local_shard exchanges nothing and is no call.
TEST_F(ReportTest, CommunicatedBytesAreTheCollectivesOperands) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(R"mlir(
mlopt.state @fc.weight : tensor<4x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @optimizer.fc.weight.exp_avg : tensor<6xf32> optimizer_state
    init #mlopt.zeros {mlopt.shard_of = @fc.weight, mlopt.shard_ranks = 2 : i64}
func.func @step(%x: tensor<4x3xf32>, %l: tensor<f64>, %v: tensor<6xf32>,
                %g: tensor<3x4xf32>, %b: tensor<4xf32>)
    -> (tensor<4x3xf32>, tensor<f64>, tensor<3xf32>, tensor<6x4xf32>,
        tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>)
    attributes {mlopt.train_step, mlopt.data_parallel_ranks = 2 : i64} {
  %a, %m = mlopt.all_reduce mean %x, %l ranks = 2 : tensor<4x3xf32>, tensor<f64>
  %r = mlopt.reduce_scatter sum %v dim = 0 ranks = 2
      : (tensor<6xf32>) -> tensor<3xf32>
  %h = mlopt.all_gather %g dim = 0 ranks = 2 : (tensor<3x4xf32>) -> tensor<6x4xf32>
  %w = mlopt.broadcast %b root = 0 ranks = 2 : tensor<4xf32>
  %s = mlopt.reduce sum %b root = 0 ranks = 2 : tensor<4xf32>
  mlopt.send %b dest = 1 ranks = 2 : tensor<4xf32>
  %y = mlopt.recv source = 0 ranks = 2 : tensor<4xf32>
  %c = mlopt.local_shard %v dim = 0 ranks = 2 : (tensor<6xf32>) -> tensor<3xf32>
  return %a, %m, %r, %h, %w, %s, %y, %c
      : tensor<4x3xf32>, tensor<f64>, tensor<3xf32>, tensor<6x4xf32>,
        tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>
}
)mlir",
                                                             &context);
  ASSERT_TRUE(module) << diagnostics;
  StepReport report;
  addModuleFacts(report, *module);
  // all_reduce 48 + 8, reduce_scatter 24, all_gather 48, broadcast 16,
  // reduce 16, send 16, recv 0; local_shard is not a call.
  EXPECT_EQ(report.communicatedBytes, 56 + 24 + 48 + 16 + 16 + 16);
  EXPECT_EQ(report.collectiveCalls, 7);
  EXPECT_EQ(report.dataParallelRanks, 2);
  // The definition of mlopt-data-parallel's count (DataParallel.h).
  EXPECT_EQ(report.communicatedBytes,
            getCommunicatedBytesPerStep(trainStep(*module)));
  // A shard's state counts the chunk this rank holds.
  EXPECT_EQ(report.stateBytesOfKind("optimizer_state"), 24u);
  EXPECT_EQ(report.stateBytesOfKind("parameter"), 48u);
  EXPECT_EQ(report.stateBytesOfKind("mask"), 0u);

  std::string text = report.str();
  EXPECT_NE(text.find("  communication  176 B per step in 7 collectives over "
                      "2 ranks (payload per rank)\n"),
            std::string::npos)
      << text;
  llvm::json::Value json = report.toJSON();
  const llvm::json::Object *communication =
      json.getAsObject()->getObject("communication");
  ASSERT_TRUE(communication);
  EXPECT_EQ(communication->getInteger("bytes_per_step"), 176);
  EXPECT_EQ(communication->getInteger("collective_calls"), 7);
  EXPECT_EQ(communication->getInteger("ranks"), 2);
}

TEST_F(ReportTest, NoCommunicationLinesWithoutCollectives) {
  StepReport report;
  ASSERT_TRUE(train(report, "sgd"));
  EXPECT_EQ(report.communicatedBytes, 0);
  EXPECT_EQ(report.collectiveCalls, 0);
  EXPECT_EQ(report.dataParallelRanks, 0);
  EXPECT_EQ(report.str().find("communication"), std::string::npos);
  EXPECT_FALSE(report.toJSON().getAsObject()->get("communication"));
}

// mlopt-data-parallel on 2 ranks: the gradients (every parameter's bytes)
// plus the averaged loss and accuracy; with ZeRO-1 each rank holds half of
// Adam's moments (every parameter of the MLP has an even element count).
TEST_F(ReportTest, DataParallelStepCommunicatesTheGradients) {
  {
    StepReport report;
    OwningOpRef<ModuleOp> module =
        train(report, "adam", /*lower=*/false, /*ranks=*/2);
    ASSERT_TRUE(module);
    EXPECT_EQ(report.dataParallelRanks, 2);
    EXPECT_EQ(report.communicatedBytes,
              getCommunicatedBytesPerStep(trainStep(*module)));
    // The gradients in f32, the loss and the accuracy.
    EXPECT_EQ(report.communicatedBytes, 4 * kParams + 4 + 4);
    EXPECT_GE(report.collectiveCalls, 2);
    EXPECT_EQ(report.stateBytesOfKind("optimizer_state"), 2 * 4 * kParams);
    EXPECT_NE(report.str().find("  communication  "), std::string::npos);
  }
  StepReport report;
  OwningOpRef<ModuleOp> module =
      train(report, "adam", /*lower=*/false, /*ranks=*/2, /*zero=*/1);
  ASSERT_TRUE(module);
  EXPECT_EQ(report.communicatedBytes,
            getCommunicatedBytesPerStep(trainStep(*module)));
  // reduce_scatter of the gradients, all_gather of the new half shards, the
  // loss and the accuracy.
  EXPECT_EQ(report.communicatedBytes, 4 * kParams + 4 * kParams / 2 + 4 + 4);
  EXPECT_EQ(report.stateBytesOfKind("optimizer_state"), 4 * kParams);
}

// The summary's data-parallel lines (the trainer sets the fields).
TEST(SummaryCommunicationTest, RanksBytesAndOptimizerState) {
  RunSummary summary;
  summary.trained = true;
  summary.steps = 4;
  summary.worldSize = 2;
  summary.commBytesPerStep = int64_t{814128};
  summary.measuredCommBytesPerStep = 814128.0;
  summary.optimizerStateBytesPerRank = uint64_t{814120};
  std::string text = formatSummary(summary);
  EXPECT_NE(text.find("  ranks        2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  communicated 795.0 KiB per step (compiler count), "
                      "795.0 KiB measured\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  optimizer    795.0 KiB of state per rank\n"),
            std::string::npos)
      << text;
  std::string record = summaryRecord(summary).toJson();
  EXPECT_NE(record.find("\"world_size\":2"), std::string::npos) << record;
  EXPECT_NE(record.find("\"comm_bytes_per_step\":814128,"), std::string::npos)
      << record;
  EXPECT_NE(record.find("\"comm_bytes_per_step_measured\":814128"),
            std::string::npos)
      << record;
  EXPECT_NE(record.find("\"optimizer_state_bytes_per_rank\":814120"),
            std::string::npos)
      << record;

  // Unmeasured (no step this run): the compiler's count alone; an
  // evaluation shows no communication; unset fields print nothing.
  summary.measuredCommBytesPerStep.reset();
  EXPECT_NE(formatSummary(summary).find(
                "  communicated 795.0 KiB per step (compiler count)\n"),
            std::string::npos);
  summary.trained = false;
  EXPECT_EQ(formatSummary(summary).find("communicated"), std::string::npos);
  RunSummary plain;
  text = formatSummary(plain);
  EXPECT_EQ(text.find("ranks"), std::string::npos) << text;
  EXPECT_EQ(text.find("optimizer"), std::string::npos) << text;
  EXPECT_EQ(summaryRecord(plain).toJson().find("world_size"),
            std::string::npos);
}

} // namespace

// The CPU backend plans @train_step's buffers in one arena: the report
// (text and JSON) shows its bytes beside the buffers' sum, and a session
// whose code comes from the compile cache reads the same figures from the
// entry stored beside the object.
TEST(StepBuffersTest, CpuSessionReportsTheArenaAndTheSum) {
  mlir::mlopt::runtime::testing::TempDir dir;
  auto model = Model::load(MLOPT_EXAMPLES_DIR "/mlp.mlir");
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  SessionOptions options;
  options.backend = "cpu";
  options.pipeline.optimizer.optimizer = "adam";
  options.backendOptions.cacheDir = dir.path();
  auto session = Session::compile(**model, options);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  const StepReport &report = (*session)->getReport();
  ASSERT_TRUE(report.stepBuffers);
  // fc1.weight's gradient (256x784 f32) is one of the buffers; the sum
  // counts every buffer, the arena only those live at the same time.
  EXPECT_GE(report.stepBuffers->planned, uint64_t(4 * kHidden * kIn));
  EXPECT_LT(report.stepBuffers->planned, report.stepBuffers->temporaries);
  std::string text = report.str();
  EXPECT_NE(text.find("  step buffers   " +
                      formatBytes(report.stepBuffers->planned) +
                      " (temporaries " +
                      formatBytes(report.stepBuffers->temporaries) +
                      ", shared by liveness)\n"),
            std::string::npos)
      << text;
  llvm::json::Value json = report.toJSON();
  const llvm::json::Object *buffers =
      json.getAsObject()->getObject("step_buffers");
  ASSERT_TRUE(buffers);
  EXPECT_EQ(buffers->getInteger("bytes"), int64_t(report.stepBuffers->planned));
  EXPECT_EQ(buffers->getInteger("temporary_bytes"),
            int64_t(report.stepBuffers->temporaries));

  auto cached = Session::compile(**model, options);
  ASSERT_TRUE(bool(cached)) << llvm::toString(cached.takeError());
  EXPECT_TRUE((*cached)->isLoadedFromCache());
  ASSERT_TRUE((*cached)->getReport().stepBuffers);
  EXPECT_EQ((*cached)->getReport().stepBuffers->planned,
            report.stepBuffers->planned);
  EXPECT_EQ((*cached)->getReport().stepBuffers->temporaries,
            report.stepBuffers->temporaries);

  // The reference evaluator plans no buffers: no line, no field.
  options.backend = "reference";
  auto reference = Session::compile(**model, options);
  ASSERT_TRUE(bool(reference)) << llvm::toString(reference.takeError());
  EXPECT_FALSE((*reference)->getReport().stepBuffers);
  EXPECT_EQ((*reference)->getReport().str().find("step buffers"),
            std::string::npos);
  EXPECT_EQ(
      (*reference)->getReport().toJSON().getAsObject()->get("step_buffers"),
      nullptr);
}
