//===- PruneFinalizeTest.cpp - finalized pruning evaluates like the masks -===//
//
// finalizePruning on a masked MLP, with applyStateChange on its tensors as
// the runtime does it, must give a smaller model whose loss and accuracy on
// random data equal the masked model's on the reference evaluator. The
// MLOpt_PreservesZero declarations are checked by evaluating every op of the
// dialect on zeros.
//
//===----------------------------------------------------------------------===//

#include "../Dialect/EveryOp.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Transforms/PruneFinalize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::UnorderedElementsAre;

namespace {

class PruneFinalizeTest : public ::testing::Test {
protected:
  PruneFinalizeTest() {
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

  RankedTensorType type(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }

  MLIRContext context;
  std::string diagnostics;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
};

/// A 6-8-5-3 MLP pruned the ways mlopt-prune does: fc1 structured by rows
/// (ln dim=0, its bias masked along), fc2 structured by input columns
/// (ln dim=1), fc3 unstructured (l1). The masks are set by the test.
constexpr const char *kMaskedMlp = R"mlir(
mlopt.state @fc1.weight : tensor<8x6xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.bias : tensor<8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 6>
    {mlopt.masked_by = @fc1.bias.mask}
mlopt.state @fc2.weight : tensor<5x8xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc2.weight.mask}
mlopt.state @fc2.bias : tensor<5xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 8>
mlopt.state @fc3.weight : tensor<3x5xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    {mlopt.masked_by = @fc3.weight.mask}
mlopt.state @fc3.bias : tensor<3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 5>
mlopt.state @fc1.weight.mask : tensor<8x6xf32> mask init #mlopt.ones
mlopt.state @fc1.bias.mask : tensor<8xf32> mask init #mlopt.ones
mlopt.state @fc2.weight.mask : tensor<5x8xf32> mask init #mlopt.ones
mlopt.state @fc3.weight.mask : tensor<3x5xf32> mask init #mlopt.ones
mlopt.state @pruning.step : tensor<i64> step init #mlopt.zeros

func.func @loss(%x: tensor<16x6xf32> {mlopt.input},
                %y: tensor<16xi64> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
    attributes {mlopt.loss} {
  %t = mlopt.state_read @pruning.step : tensor<i64>
  %tf = mlopt.cast %t : tensor<i64> to tensor<f64>
  %one = mlopt.constant dense<1.0> : tensor<f64>
  %nf = mlopt.add %tf, %one : tensor<f64>
  %next = mlopt.cast %nf : tensor<f64> to tensor<i64>
  mlopt.state_write %next, @pruning.step : tensor<i64>
  %w1 = mlopt.state_read @fc1.weight : tensor<8x6xf32>
  %m1 = mlopt.state_read @fc1.weight.mask : tensor<8x6xf32>
  %w1m = mlopt.apply_mask %w1, %m1 : tensor<8x6xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<8xf32>
  %n1 = mlopt.state_read @fc1.bias.mask : tensor<8xf32>
  %b1m = mlopt.apply_mask %b1, %n1 : tensor<8xf32>
  %h1 = mlopt.linear %x, %w1m, %b1m
      : (tensor<16x6xf32>, tensor<8x6xf32>, tensor<8xf32>) -> tensor<16x8xf32>
  %a1 = mlopt.gelu %h1 : tensor<16x8xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<5x8xf32>
  %m2 = mlopt.state_read @fc2.weight.mask : tensor<5x8xf32>
  %w2m = mlopt.apply_mask %w2, %m2 : tensor<5x8xf32>
  %b2 = mlopt.state_read @fc2.bias : tensor<5xf32>
  %h2 = mlopt.linear %a1, %w2m, %b2
      : (tensor<16x8xf32>, tensor<5x8xf32>, tensor<5xf32>) -> tensor<16x5xf32>
  %a2 = mlopt.relu %h2 : tensor<16x5xf32>
  %w3 = mlopt.state_read @fc3.weight : tensor<3x5xf32>
  %m3 = mlopt.state_read @fc3.weight.mask : tensor<3x5xf32>
  %w3m = mlopt.apply_mask %w3, %m3 : tensor<3x5xf32>
  %b3 = mlopt.state_read @fc3.bias : tensor<3xf32>
  %o = mlopt.linear %a2, %w3m, %b3
      : (tensor<16x5xf32>, tensor<3x5xf32>, tensor<3xf32>) -> tensor<16x3xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<16x3xf32>, tensor<16xi64>) -> tensor<f32>
  %acc = mlopt.accuracy %o, %y : (tensor<16x3xf32>, tensor<16xi64>) -> tensor<f32>
  return %l, %acc : tensor<f32>, tensor<f32>
}
)mlir";

/// A 0/1 mask of `rows` x `cols` whose (r, c) entry is `keep(r, c)`.
template <typename Keep>
std::vector<double> makeMask(int64_t rows, int64_t cols, Keep keep) {
  std::vector<double> mask;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      mask.push_back(keep(r, c) ? 1.0 : 0.0);
  return mask;
}

TEST_F(PruneFinalizeTest, FinalizedMlpEvaluatesLikeTheMaskedOne) {
  OwningOpRef<ModuleOp> masked = parse(kMaskedMlp);
  ASSERT_TRUE(masked);

  // Trained-looking state: random weights, then the masks.
  StateMap state;
  ASSERT_TRUE(succeeded(Evaluator(*masked).initializeState(/*seed=*/7, state)))
      << diagnostics;
  // fc1 prunes neurons 1, 4 and 6 (rows and bias entries); fc2 prunes its
  // input columns 0 and 4 (neurons of fc1 too); fc3 prunes entries.
  auto prunedByFc1 = [](int64_t neuron) {
    return neuron == 1 || neuron == 4 || neuron == 6;
  };
  state["fc1.weight.mask"] = Tensor::fromDoubles(
      type({8, 6}),
      makeMask(8, 6, [&](int64_t r, int64_t) { return !prunedByFc1(r); }));
  state["fc1.bias.mask"] = Tensor::fromDoubles(
      type({8}),
      makeMask(1, 8, [&](int64_t, int64_t c) { return !prunedByFc1(c); }));
  state["fc2.weight.mask"] = Tensor::fromDoubles(
      type({5, 8}),
      makeMask(5, 8, [](int64_t, int64_t c) { return c != 0 && c != 4; }));
  state["fc3.weight.mask"] = Tensor::fromDoubles(
      type({3, 5}),
      makeMask(3, 5, [](int64_t r, int64_t c) { return (r + 2 * c) % 3; }));

  // Random data.
  std::mt19937 generator(2024);
  std::normal_distribution<double> normal;
  std::vector<double> inputs(16 * 6);
  for (double &value : inputs)
    value = normal(generator);
  std::vector<int64_t> labels(16);
  for (int64_t &label : labels)
    label = generator() % 3;
  Tensor x = Tensor::fromDoubles(type({16, 6}), inputs);
  Tensor y = Tensor::fromInts(
      RankedTensorType::get({16}, IntegerType::get(&context, 64)), labels);

  StateMap maskedState = state;
  FailureOr<SmallVector<Tensor>> expected =
      Evaluator(*masked).call("loss", {x, y}, maskedState);
  ASSERT_TRUE(succeeded(expected)) << diagnostics;

  // Finalize a copy with the masks of the state map, and transform the
  // tensors as the runtime does.
  OwningOpRef<ModuleOp> finalized = masked->clone();
  FailureOr<PruneFinalization> result = finalizePruning(
      *finalized, [&](StateOp mask) -> FailureOr<DenseElementsAttr> {
        return state.at(mask.getSymName().str()).toAttr();
      });
  ASSERT_TRUE(succeeded(result)) << diagnostics;
  ASSERT_TRUE(succeeded(verify(*finalized))) << diagnostics;
  EXPECT_THAT(result->removedStates,
              ElementsAre("fc1.weight.mask", "fc1.bias.mask", "fc2.weight.mask",
                          "fc3.weight.mask", "pruning.step"));

  StateMap finalState;
  for (StateOp op : finalized->getOps<StateOp>()) {
    std::string name = op.getSymName().str();
    finalState[name] = state.at(name);
  }
  for (const StateChange &change : result->changes) {
    DenseElementsAttr mask = change.foldMask.empty()
                                 ? DenseElementsAttr()
                                 : state.at(change.foldMask).toAttr();
    FailureOr<DenseElementsAttr> value =
        applyStateChange(change, state.at(change.state).toAttr(), mask);
    ASSERT_TRUE(succeeded(value)) << change.state;
    finalState[change.state] = Tensor::fromAttr(*value);
  }

  // Neurons 0, 1, 4 and 6 of the hidden layer go; fc3 only folds.
  ASSERT_EQ(result->changes.size(), 4u);
  EXPECT_EQ(result->changes[0].state, "fc1.weight");
  EXPECT_EQ(result->changes[0].foldMask, "fc1.weight.mask");
  ASSERT_EQ(result->changes[0].keptByDim.size(), 1u);
  EXPECT_EQ(result->changes[0].keptByDim[0].first, 0);
  EXPECT_THAT(result->changes[0].keptByDim[0].second, ElementsAre(2, 3, 5, 7));
  EXPECT_EQ(result->changes[1].state, "fc1.bias");
  EXPECT_EQ(result->changes[2].state, "fc2.weight");
  ASSERT_EQ(result->changes[2].keptByDim.size(), 1u);
  EXPECT_EQ(result->changes[2].keptByDim[0].first, 1);
  EXPECT_EQ(result->changes[3].state, "fc3.weight");
  EXPECT_TRUE(result->changes[3].keptByDim.empty());
  EXPECT_EQ(result->changes[3].newType, result->changes[3].oldType);
  EXPECT_THAT(finalState.at("fc1.weight").getShape(), ElementsAre(4, 6));
  EXPECT_THAT(finalState.at("fc1.bias").getShape(), ElementsAre(4));
  EXPECT_THAT(finalState.at("fc2.weight").getShape(), ElementsAre(5, 4));
  EXPECT_THAT(finalState.at("fc3.weight").getShape(), ElementsAre(3, 5));

  FailureOr<SmallVector<Tensor>> actual =
      Evaluator(*finalized).call("loss", {x, y}, finalState);
  ASSERT_TRUE(succeeded(actual)) << diagnostics;
  ASSERT_EQ(actual->size(), 2u);
  double expectedLoss = (*expected)[0].getAsDouble(0);
  EXPECT_NEAR((*actual)[0].getAsDouble(0), expectedLoss,
              1e-6 * std::max(1.0, std::abs(expectedLoss)));
  EXPECT_EQ((*actual)[1].getAsDouble(0), (*expected)[1].getAsDouble(0));
  // The masks did prune: without them the loss differs.
  StateMap dense = state;
  for (const char *mask : {"fc1.weight.mask", "fc1.bias.mask",
                           "fc2.weight.mask", "fc3.weight.mask"})
    dense[mask] = Tensor::fromDoubles(
        dense[mask].getType(),
        std::vector<double>(dense[mask].getNumElements(), 1.0));
  FailureOr<SmallVector<Tensor>> unmasked =
      Evaluator(*masked).call("loss", {x, y}, dense);
  ASSERT_TRUE(succeeded(unmasked)) << diagnostics;
  EXPECT_GT(std::abs((*unmasked)[0].getAsDouble(0) - expectedLoss), 1e-3);
}

/// A 3-4-2 MLP as mlopt-prune leaves it with `ln dim=0` on fc1: the
/// scores read fc1.weight a second time, which the check must not count.
constexpr const char *kPrunedMlp = R"mlir(
mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.zeros {mlopt.masked_by = @fc1.weight.mask}
mlopt.state @fc1.weight.mask : tensor<4x3xf32> mask init #mlopt.ones
mlopt.state @fc1.bias : tensor<4xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
    init #mlopt.zeros
mlopt.state @pruning.step : tensor<i64> step init #mlopt.zeros
func.func @loss(%x: tensor<8x3xf32> {mlopt.input},
                %y: tensor<8xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %t = mlopt.state_read @pruning.step : tensor<i64>
  %s, %u = mlopt.sparsity_schedule %t initial = 5.000000e-01
      final = 5.000000e-01 start = 0 end = 0 frequency = 1 : tensor<i64>
  %w0 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %m0 = mlopt.state_read @fc1.weight.mask : tensor<4x3xf32>
  %sq = mlopt.mul %w0, %w0 : tensor<4x3xf32>
  %norms = mlopt.sum %sq dims = [1] : tensor<4x3xf32> -> tensor<4xf32>
  %g = mlopt.reshape %norms : tensor<4xf32> to tensor<1x4xf32>
  %prev = mlopt.slice %m0 start [0, 0] limit [4, 1] step [1, 1]
      : tensor<4x3xf32> -> tensor<4x1xf32>
  %p = mlopt.reshape %prev : tensor<4x1xf32> to tensor<1x4xf32>
  %mg = mlopt.prune_mask %g, %s, %u, %p : tensor<1x4xf32>
  %rows = mlopt.reshape %mg : tensor<1x4xf32> to tensor<4x1xf32>
  %mask = mlopt.broadcast_to %rows : tensor<4x1xf32> to tensor<4x3xf32>
  mlopt.state_write %mask, @fc1.weight.mask : tensor<4x3xf32>
  %w1 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
  %w1m = mlopt.apply_mask %w1, %mask : tensor<4x3xf32>
  %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
  %h = mlopt.linear %x, %w1m, %b1
      : (tensor<8x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
  %o = mlopt.linear %a, %w2 : (tensor<8x4xf32>, tensor<2x4xf32>) -> tensor<8x2xf32>
  %l = mlopt.cross_entropy %o, %y : (tensor<8x2xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

TEST_F(PruneFinalizeTest, CheckStructuredShrinkAtPruneTime) {
  OwningOpRef<ModuleOp> module = parse(kPrunedMlp);
  ASSERT_TRUE(module);
  auto loss = *module->getOps<func::FuncOp>().begin();
  auto state = [&](StringRef name) {
    return cast<StateOp>(SymbolTable::lookupSymbolIn(*module, name));
  };
  // fc1's rows: fc1.bias and fc2's columns follow; the scores' read of
  // fc1.weight is part of the mask update.
  EXPECT_TRUE(succeeded(checkStructuredShrink(loss, state("fc1.weight"), 0)))
      << diagnostics;
  EXPECT_TRUE(diagnostics.empty()) << diagnostics;
  // fc2's columns: fc1's rows (and bias) follow.
  EXPECT_TRUE(succeeded(checkStructuredShrink(loss, state("fc2.weight"), 1)))
      << diagnostics;
  // fc2's rows are the classes; fc1's columns are the model's inputs.
  EXPECT_TRUE(failed(checkStructuredShrink(loss, state("fc2.weight"), 0)));
  EXPECT_NE(diagnostics.find("'mlopt.cross_entropy' op does not sum over "
                             "dimension 1 of operand #0"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  EXPECT_TRUE(failed(checkStructuredShrink(loss, state("fc1.weight"), 1)));
  EXPECT_NE(diagnostics.find("from an argument of the loss function"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  EXPECT_TRUE(failed(checkStructuredShrink(loss, state("fc1.weight"), 2)));
  EXPECT_NE(diagnostics.find("has no dimension 2 to shrink (rank 2)"),
            std::string::npos)
      << diagnostics;
}

TEST_F(PruneFinalizeTest, MaskValuesMustFitTheMasks) {
  OwningOpRef<ModuleOp> module = parse(kMaskedMlp);
  ASSERT_TRUE(module);
  FailureOr<PruneFinalization> result = finalizePruning(
      *module, [&](StateOp mask) -> FailureOr<DenseElementsAttr> {
        return Tensor::zeros(type({2, 2})).toAttr();
      });
  EXPECT_TRUE(failed(result));
  EXPECT_NE(diagnostics.find("'mlopt.state' op has a value of type "
                             "'tensor<2x2xf32>', expected 'tensor<8x6xf32>'"),
            std::string::npos)
      << diagnostics;
  diagnostics.clear();
  result =
      finalizePruning(*module, [&](StateOp) -> FailureOr<DenseElementsAttr> {
        return DenseElementsAttr();
      });
  EXPECT_TRUE(failed(result));
  EXPECT_NE(diagnostics.find("has no value to finalize with"),
            std::string::npos)
      << diagnostics;
}

TEST_F(PruneFinalizeTest, ApplyStateChangeFoldsThenGathers) {
  auto oldType = type({2, 3, 2});
  std::vector<double> values;
  for (int i = 0; i < 12; ++i)
    values.push_back(i + 1);
  std::vector<double> mask(12, 1.0);
  mask[7] = 0.0; // (1, 0, 1)
  StateChange change;
  change.state = "w";
  change.foldMask = "w.mask";
  change.keptByDim = {{0, {1}}, {1, {0, 2}}};
  change.oldType = oldType;
  change.newType = type({1, 2, 2});
  FailureOr<DenseElementsAttr> result =
      applyStateChange(change, Tensor::fromDoubles(oldType, values).toAttr(),
                       Tensor::fromDoubles(oldType, mask).toAttr());
  ASSERT_TRUE(succeeded(result));
  EXPECT_THAT(Tensor::fromAttr(*result).getDoubles(),
              ElementsAreArray({7.0, 0.0, 11.0, 12.0}));

  // A value of another type, a missing mask, a type that the kept indices
  // do not give: failure, not a wrong tensor.
  EXPECT_TRUE(
      failed(applyStateChange(change, Tensor::zeros(type({2, 3})).toAttr(),
                              Tensor::fromDoubles(oldType, mask).toAttr())));
  EXPECT_TRUE(failed(applyStateChange(
      change, Tensor::fromDoubles(oldType, values).toAttr(), {})));
  StateChange wrong = change;
  wrong.newType = type({1, 3, 2});
  EXPECT_TRUE(failed(
      applyStateChange(wrong, Tensor::fromDoubles(oldType, values).toAttr(),
                       Tensor::fromDoubles(oldType, mask).toAttr())));
  StateChange outOfRange = change;
  outOfRange.keptByDim = {{1, {0, 3}}};
  outOfRange.newType = type({2, 2, 2});
  EXPECT_TRUE(failed(applyStateChange(
      outOfRange, Tensor::fromDoubles(oldType, values).toAttr(),
      Tensor::fromDoubles(oldType, mask).toAttr())));
}

/// Every op with MLOpt_PreservesZero returns zeros for a zero first
/// operand (the other operands random), and every unary elementwise op of
/// the same shape that does so has the trait: the declarations that finalize
/// trusts are exactly the ops that map zero to zero.
TEST_F(PruneFinalizeTest, PreservesZeroIsExactlyTheOpsThatMapZeroToZero) {
  OwningOpRef<ModuleOp> every = parse(test::kEveryOpModule);
  ASSERT_TRUE(every);
  auto source = *every->getOps<func::FuncOp>().begin();
  std::mt19937 generator(11);
  std::uniform_real_distribution<double> uniform(0.5, 2.0);
  int checked = 0;
  std::set<std::string> withTrait;
  for (Operation &op : source.getBody().front()) {
    bool hasTrait = op.hasTrait<PreservesZero>();
    bool unary = op.getNumOperands() == 1 && op.getNumResults() == 1 &&
                 op.hasTrait<OpTrait::Elementwise>() &&
                 cast<ShapedType>(op.getOperand(0).getType()).getShape() ==
                     cast<ShapedType>(op.getResult(0).getType()).getShape();
    if (!hasTrait && !unary)
      continue;
    // @f(operands...) -> result, with `op` alone in it.
    OpBuilder builder(&context);
    OwningOpRef<ModuleOp> module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
    auto func = func::FuncOp::create(
        builder, op.getLoc(), "f",
        builder.getFunctionType(op.getOperandTypes(), op.getResultTypes()));
    Block *body = func.addEntryBlock();
    builder.setInsertionPointToEnd(body);
    IRMapping mapping;
    mapping.map(op.getOperands(), body->getArguments());
    Operation *copy = builder.clone(op, mapping);
    func::ReturnOp::create(builder, op.getLoc(), copy->getResults());

    SmallVector<Tensor> args;
    for (auto [i, operand] : llvm::enumerate(op.getOperandTypes())) {
      auto operandType = cast<RankedTensorType>(operand);
      if (i == 0 || !isa<FloatType>(operandType.getElementType())) {
        args.push_back(Tensor::zeros(operandType));
        continue;
      }
      std::vector<double> values(operandType.getNumElements());
      for (double &value : values)
        value = uniform(generator);
      args.push_back(Tensor::fromDoubles(operandType, values));
    }
    StateMap state;
    FailureOr<SmallVector<Tensor>> results =
        Evaluator(*module).call("f", args, state);
    ASSERT_TRUE(succeeded(results))
        << op.getName().getStringRef().str() << ": " << diagnostics;
    bool zeros = true;
    for (int64_t i = 0, e = (*results)[0].getNumElements(); i < e; ++i)
      zeros &= (*results)[0].getAsDouble(i) == 0.0;
    EXPECT_EQ(zeros, hasTrait) << op.getName().getStringRef().str();
    ++checked;
    if (hasTrait)
      withTrait.insert(op.getName().getStringRef().str());
  }
  EXPECT_THAT(withTrait,
              UnorderedElementsAre("mlopt.neg", "mlopt.sqrt", "mlopt.relu",
                                   "mlopt.tanh", "mlopt.abs", "mlopt.erf",
                                   "mlopt.gelu", "mlopt.cast", "mlopt.dropout",
                                   "mlopt.tap", "mlopt.apply_mask"));
  // The unary ops without it (exp, log, rsqrt, sigmoid, cos) were run too.
  EXPECT_GE(checked, 15);
}

} // namespace
