//===- IndexOperandsTest.cpp - index operands and eval-mode rules ---------===//
//
// IndexOperandOpInterface and getIndexBound (the bound the runtime checks
// data against), ElementForwardingOpInterface, EvalModeOpInterface.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Parser/Parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

namespace {

class IndexOperandsTest : public ::testing::Test {
protected:
  IndexOperandsTest() {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
  }

  /// Parses `source` and returns the function `@f`'s argument `index`.
  Value argument(StringRef source, unsigned index) {
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return {};
    auto func = module->lookupSymbol<func::FuncOp>("f");
    return func ? func.getArgument(index) : Value();
  }

  /// The ops of the dialect that implement interface `Interface`.
  template <typename Interface> std::vector<std::string> opsWith() {
    std::vector<std::string> names;
    for (RegisteredOperationName name :
         context.getRegisteredOperationsByDialect("mlopt"))
      if (name.hasInterface<Interface>())
        names.push_back(name.getStringRef().str());
    return names;
  }

  /// The (operand number, bound) pairs of the first op named `opName`.
  std::vector<std::pair<unsigned, int64_t>> indexOperandsOf(StringRef opName) {
    std::vector<std::pair<unsigned, int64_t>> result;
    module->walk([&](IndexOperandOpInterface op) {
      if (op->getName().getStringRef() != opName || !result.empty())
        return;
      SmallVector<IndexOperand> operands;
      op.getIndexOperands(operands);
      for (const IndexOperand &operand : operands)
        result.push_back({operand.operandNumber, operand.bound});
    });
    return result;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(IndexOperandsTest, OpsWithIndexOperandsDeclareThem) {
  EXPECT_THAT(opsWith<IndexOperandOpInterface>(),
              UnorderedElementsAre("mlopt.cross_entropy", "mlopt.nll_loss",
                                   "mlopt.accuracy", "mlopt.embedding",
                                   "mlopt.embedding_grad", "mlopt.one_hot"));
  ASSERT_TRUE(argument(R"mlir(
    func.func @f(%s: tensor<8x10xf32>, %y: tensor<8xi32>, %t: tensor<2x5xi64>,
                 %w: tensor<100x16xf32>, %g: tensor<2x5x16xf32>) {
      %0 = mlopt.cross_entropy %s, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      %1 = mlopt.nll_loss %s, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      %2 = mlopt.accuracy %s, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      %3 = mlopt.embedding %t, %w : (tensor<2x5xi64>, tensor<100x16xf32>) -> tensor<2x5x16xf32>
      %4 = mlopt.embedding_grad %t, %g num_embeddings = 100 : (tensor<2x5xi64>, tensor<2x5x16xf32>) -> tensor<100x16xf32>
      %5 = mlopt.one_hot %y : tensor<8xi32> -> tensor<8x12xf32>
      return
    })mlir",
                       0));
  // Labels are operand 1, bounded by the class count C of [N, C] scores.
  using Pair = std::pair<unsigned, int64_t>;
  EXPECT_THAT(indexOperandsOf("mlopt.cross_entropy"), ElementsAre(Pair{1, 10}));
  EXPECT_THAT(indexOperandsOf("mlopt.nll_loss"), ElementsAre(Pair{1, 10}));
  EXPECT_THAT(indexOperandsOf("mlopt.accuracy"), ElementsAre(Pair{1, 10}));
  // Embedding rows: the table's dimension 0, or num_embeddings.
  EXPECT_THAT(indexOperandsOf("mlopt.embedding"), ElementsAre(Pair{0, 100}));
  EXPECT_THAT(indexOperandsOf("mlopt.embedding_grad"),
              ElementsAre(Pair{0, 100}));
  // One-hot classes: the result's trailing dimension.
  EXPECT_THAT(indexOperandsOf("mlopt.one_hot"), ElementsAre(Pair{0, 12}));
}

TEST_F(IndexOperandsTest, LabelOfCrossEntropy) {
  Value label = argument(R"mlir(
    func.func @f(%x: tensor<8x10xf32>, %y: tensor<8xi32>) -> tensor<f32> {
      %l = mlopt.cross_entropy %x, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                         1);
  ASSERT_TRUE(label);
  EXPECT_EQ(getIndexBound(label), 10);
  // The scores are no index.
  EXPECT_EQ(
      getIndexBound(module->lookupSymbol<func::FuncOp>("f").getArgument(0)),
      std::nullopt);
}

TEST_F(IndexOperandsTest, LabelThroughReshapeAndCast) {
  // A [8, 1] i64 label (as a data loader gives it) reshaped to [8] and cast
  // to i32 before the loss; the accuracy metric reads the reshaped label.
  Value label = argument(R"mlir(
    func.func @f(%x: tensor<8x10xf32>, %y: tensor<8x1xi64>) -> (tensor<f32>, tensor<f32>) {
      %r = mlopt.reshape %y : tensor<8x1xi64> to tensor<8xi64>
      %c = mlopt.cast %r : tensor<8xi64> to tensor<8xi32>
      %l = mlopt.cross_entropy %x, %c : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
      %a = mlopt.accuracy %x, %r : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
      return %l, %a : tensor<f32>, tensor<f32>
    })mlir",
                         1);
  ASSERT_TRUE(label);
  EXPECT_EQ(getIndexBound(label), 10);
}

TEST_F(IndexOperandsTest, IndexIntoEmbedding) {
  Value tokens = argument(R"mlir(
    func.func @f(%t: tensor<2x5xi64>, %w: tensor<1000x16xf32>) -> tensor<2x5x16xf32> {
      %e = mlopt.embedding %t, %w : (tensor<2x5xi64>, tensor<1000x16xf32>) -> tensor<2x5x16xf32>
      return %e : tensor<2x5x16xf32>
    })mlir",
                          0);
  ASSERT_TRUE(tokens);
  EXPECT_EQ(getIndexBound(tokens), 1000);
}

TEST_F(IndexOperandsTest, TightestBoundOverEveryPath) {
  // Through a transpose into an embedding of 50 rows, and through a slice,
  // a concat and a select into a 10-class loss: the data must satisfy both.
  Value tokens = argument(R"mlir(
    func.func @f(%t: tensor<4x2xi32>, %w: tensor<50x3xf32>, %x: tensor<2x10xf32>,
                 %m: tensor<2xi1>, %z: tensor<2xi32>) -> tensor<f32> {
      %tt = mlopt.transpose %t, [1, 0] : tensor<4x2xi32> -> tensor<2x4xi32>
      %e = mlopt.embedding %tt, %w : (tensor<2x4xi32>, tensor<50x3xf32>) -> tensor<2x4x3xf32>
      %s = mlopt.slice %t start [0, 0] limit [1, 2] step [1, 1] : tensor<4x2xi32> -> tensor<1x2xi32>
      %c = mlopt.concat %s, %s dim = 0 : (tensor<1x2xi32>, tensor<1x2xi32>) -> tensor<2x2xi32>
      %r = mlopt.reshape %c : tensor<2x2xi32> to tensor<4xi32>
      %h = mlopt.slice %r start [0] limit [2] step [1] : tensor<4xi32> -> tensor<2xi32>
      %y = mlopt.select %m, %h, %z : (tensor<2xi1>, tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
      %l = mlopt.cross_entropy %x, %y : (tensor<2x10xf32>, tensor<2xi32>) -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                          0);
  ASSERT_TRUE(tokens);
  EXPECT_EQ(getIndexBound(tokens), 10);
  func::FuncOp f = module->lookupSymbol<func::FuncOp>("f");
  // The other branch of the select is bounded too; its condition is not.
  EXPECT_EQ(getIndexBound(f.getArgument(4)), 10);
  EXPECT_EQ(getIndexBound(f.getArgument(3)), std::nullopt);
}

TEST_F(IndexOperandsTest, BoundsReachThroughTapAndModeSelect) {
  // Both operands of mode_select reach its result (in training and in
  // evaluation); a tap is the identity.
  Value label = argument(R"mlir(
    func.func @f(%x: tensor<4x3xf32>, %y: tensor<4xi64>, %z: tensor<4xi64>) -> tensor<f32> {
      %t = mlopt.tap "labels" %y : tensor<4xi64>
      %s = mlopt.mode_select %t, %z : tensor<4xi64>
      %l = mlopt.cross_entropy %x, %s : (tensor<4x3xf32>, tensor<4xi64>) -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                         1);
  ASSERT_TRUE(label);
  EXPECT_EQ(getIndexBound(label), 3);
  EXPECT_EQ(
      getIndexBound(module->lookupSymbol<func::FuncOp>("f").getArgument(2)), 3);
}

TEST_F(IndexOperandsTest, ValuesThatChangeTheIndexAreNotFollowed) {
  // compare is no element-forwarding op: its i1 result holds new values.
  Value label = argument(R"mlir(
    func.func @f(%y: tensor<8xi32>, %k: tensor<8xi32>, %x: tensor<8x2xf32>) -> tensor<f32> {
      %b = mlopt.compare lt, %y, %k : (tensor<8xi32>, tensor<8xi32>) -> tensor<8xi1>
      %i = mlopt.cast %b : tensor<8xi1> to tensor<8xi32>
      %l = mlopt.cross_entropy %x, %i : (tensor<8x2xf32>, tensor<8xi32>) -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                         0);
  ASSERT_TRUE(label);
  EXPECT_EQ(getIndexBound(label), std::nullopt);
}

TEST_F(IndexOperandsTest, ForwardingOps) {
  EXPECT_THAT(opsWith<ElementForwardingOpInterface>(),
              UnorderedElementsAre("mlopt.reshape", "mlopt.broadcast_to",
                                   "mlopt.transpose", "mlopt.slice",
                                   "mlopt.concat", "mlopt.select", "mlopt.cast",
                                   "mlopt.tap", "mlopt.mode_select"));
}

//===----------------------------------------------------------------------===//
// EvalModeOpInterface
//===----------------------------------------------------------------------===//

TEST_F(IndexOperandsTest, EvalModeOps) {
  EXPECT_THAT(opsWith<EvalModeOpInterface>(),
              UnorderedElementsAre("mlopt.dropout", "mlopt.prune_mask",
                                   "mlopt.observe", "mlopt.mode_select"));
}

TEST_F(IndexOperandsTest, DropoutIsTheIdentityInEvaluation) {
  Value x = argument(R"mlir(
    func.func @f(%x: tensor<4x3xf32>, %seed: tensor<i64>) -> tensor<4x3xf32> {
      %d = mlopt.dropout %x, %seed p = 0.5 : tensor<4x3xf32>
      %r = mlopt.relu %d : tensor<4x3xf32>
      return %r : tensor<4x3xf32>
    })mlir",
                     0);
  ASSERT_TRUE(x);
  EvalModeOpInterface dropout;
  module->walk([&](EvalModeOpInterface op) { dropout = op; });
  ASSERT_TRUE(dropout);
  IRRewriter rewriter(&context);
  rewriter.setInsertionPoint(dropout);
  ASSERT_TRUE(succeeded(dropout.convertToEvalMode(rewriter)));
  // The relu now reads the input directly; no dropout is left.
  int dropouts = 0;
  module->walk([&](DropoutOp) { ++dropouts; });
  EXPECT_EQ(dropouts, 0);
  ASSERT_TRUE(x.hasOneUse());
  EXPECT_TRUE(isa<ReluOp>(*x.getUsers().begin()));
}

TEST_F(IndexOperandsTest, PruneMaskKeepsThePreviousMaskInEvaluation) {
  Value previous = argument(R"mlir(
    func.func @f(%m: tensor<2x4xf32>, %w: tensor<2x4xf32>, %s: tensor<f64>,
                 %u: tensor<i1>) -> tensor<2x4xf32> {
      %a = mlopt.abs %w : tensor<2x4xf32>
      %p = mlopt.prune_mask %a, %s, %u, %m : tensor<2x4xf32>
      %y = mlopt.apply_mask %w, %p : tensor<2x4xf32>
      return %y : tensor<2x4xf32>
    })mlir",
                            0);
  ASSERT_TRUE(previous);
  EvalModeOpInterface prune;
  module->walk([&](EvalModeOpInterface op) { prune = op; });
  ASSERT_TRUE(prune);
  IRRewriter rewriter(&context);
  rewriter.setInsertionPoint(prune);
  ASSERT_TRUE(succeeded(prune.convertToEvalMode(rewriter)));
  // apply_mask now reads the previous mask; evaluation never updates it.
  int prunes = 0;
  module->walk([&](PruneMaskOp) { ++prunes; });
  EXPECT_EQ(prunes, 0);
  ASSERT_TRUE(previous.hasOneUse());
  EXPECT_TRUE(isa<ApplyMaskOp>(*previous.getUsers().begin()));
}

TEST_F(IndexOperandsTest, ModeSelectIsItsEvaluationOperandInEvaluation) {
  Value training = argument(R"mlir(
    func.func @f(%t: tensor<f32>, %e: tensor<f32>) -> tensor<f32> {
      %l = mlopt.mode_select %t, %e : tensor<f32>
      %n = mlopt.neg %l : tensor<f32>
      return %n : tensor<f32>
    })mlir",
                            0);
  ASSERT_TRUE(training);
  Value evaluation = module->lookupSymbol<func::FuncOp>("f").getArgument(1);
  EvalModeOpInterface select;
  module->walk([&](EvalModeOpInterface op) { select = op; });
  ASSERT_TRUE(select);
  IRRewriter rewriter(&context);
  rewriter.setInsertionPoint(select);
  ASSERT_TRUE(succeeded(select.convertToEvalMode(rewriter)));
  // The neg reads the evaluation operand; the training value is unused.
  int selects = 0;
  module->walk([&](ModeSelectOp) { ++selects; });
  EXPECT_EQ(selects, 0);
  EXPECT_TRUE(training.use_empty());
  ASSERT_TRUE(evaluation.hasOneUse());
  EXPECT_TRUE(isa<NegOp>(*evaluation.getUsers().begin()));
}

} // namespace
