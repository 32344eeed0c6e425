//===- ShardingRulesTest.cpp - ShardingOpInterface rules of mlopt ops -----===//

#include "EveryOp.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "OpBuilderTest.h"

#include <set>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

class ShardingRulesTest : public mlir::mlopt::testing::OpBuilderTest {
protected:
  /// The op's rule, checked against its types.
  ShardingRule ruleOf(Operation *op) {
    auto sharding = dyn_cast<ShardingOpInterface>(op);
    EXPECT_TRUE(sharding) << op->getName().getStringRef().str();
    if (!sharding)
      return {};
    ShardingRule rule = sharding.getShardingRule();
    EXPECT_TRUE(succeeded(rule.verify(op))) << rule.str();
    return rule;
  }
};

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

TEST_F(ShardingRulesTest, LinearHasBatchOutputAndReductionFactors) {
  constexpr int64_t batch = 32, in = 784, out = 256;
  SmallVector<Value> args =
      arguments({f32({batch, in}), f32({out, in}), f32({out})});
  auto linear = LinearOp::create(builder, loc, args[0], args[1], args[2]);
  ShardingRule rule = ruleOf(linear);
  EXPECT_EQ(rule.str(), "([i, k], [j, k], [j]) -> ([i, j]) "
                        "{i=32, j=256, k=784} reduction={k:sum} "
                        "after_reduction={2}");

  // The same, field by field: i = batch, j = out, k = in.
  ASSERT_EQ(rule.factors.size(), 3u);
  EXPECT_EQ(rule.factors[0].size, batch);
  EXPECT_EQ(rule.factors[0].kind, FactorKind::PassThrough);
  EXPECT_EQ(rule.factors[1].size, out);
  EXPECT_EQ(rule.factors[1].kind, FactorKind::PassThrough);
  EXPECT_EQ(rule.factors[2].size, in);
  EXPECT_EQ(rule.factors[2].kind, FactorKind::Reduction);
  EXPECT_EQ(rule.factors[2].reduction, AllReduceKind::Sum);
  EXPECT_THAT(rule.postReductionOperands, ElementsAre(2u));

  // Splitting the weight's rows splits `out`: the result comes out split
  // along its last dimension and the bias is split with it; x is replicated.
  EXPECT_EQ(rule.getOperandSplitFactor(1, 0), 1);
  EXPECT_EQ(rule.getResultDim(0, 1), 1);
  EXPECT_EQ(rule.getOperandDim(2, 1), 0);
  EXPECT_EQ(rule.getOperandDim(0, 1), std::nullopt);
  FailureOr<Collective> gather = rule.getRestoringCollective(1);
  ASSERT_TRUE(succeeded(gather));
  EXPECT_EQ(gather->kind, CollectiveKind::AllGather);

  // Splitting x's columns splits `in`, and with it the weight's columns: the
  // result is a partial sum needing a sum all-reduce, then the bias.
  EXPECT_EQ(rule.getOperandSplitFactor(0, 1), 2);
  EXPECT_EQ(rule.getOperandDim(1, 2), 1);
  EXPECT_EQ(rule.getResultDim(0, 2), std::nullopt);
  EXPECT_EQ(rule.getOperandDim(2, 2), std::nullopt);
  FailureOr<Collective> reduce = rule.getRestoringCollective(2);
  ASSERT_TRUE(succeeded(reduce));
  EXPECT_EQ(reduce->kind, CollectiveKind::AllReduce);
  EXPECT_EQ(reduce->reduction, AllReduceKind::Sum);

  // The batch splits x and y only.
  EXPECT_EQ(rule.getOperandSplitFactor(0, 0), 0);
  EXPECT_EQ(rule.getOperandDim(1, 0), std::nullopt);
  EXPECT_EQ(rule.getResultDim(0, 0), 0);
  EXPECT_TRUE(messages.empty());
}

TEST_F(ShardingRulesTest, LinearWithoutBiasAndLeadingDims) {
  SmallVector<Value> args = arguments({f32({8, 128, 64}), f32({32, 64})});
  auto linear = LinearOp::create(builder, loc, args[0], args[1], Value());
  ShardingRule rule = ruleOf(linear);
  EXPECT_EQ(rule.str(), "([i, j, l], [k, l]) -> ([i, j, k]) "
                        "{i=8, j=128, k=32, l=64} reduction={l:sum}");
  EXPECT_TRUE(rule.postReductionOperands.empty());
}

TEST_F(ShardingRulesTest, LinearWithOneOutputHasNoOutputFactor) {
  // Size-1 dimensions map to no factor: a [1, 10] weight splits only along
  // its reduction.
  SmallVector<Value> args = arguments({f32({32, 10}), f32({1, 10}), f32({1})});
  auto linear = LinearOp::create(builder, loc, args[0], args[1], args[2]);
  ShardingRule rule = ruleOf(linear);
  EXPECT_EQ(rule.str(), "([i, j], [_, j], [_]) -> ([i, _]) {i=32, j=10} "
                        "reduction={j:sum} after_reduction={2}");
  EXPECT_EQ(rule.getOperandSplitFactor(1, 0), std::nullopt);
}

TEST_F(ShardingRulesTest, Matmul) {
  SmallVector<Value> args = arguments({f32({4, 8}), f32({8, 16})});
  auto matmul = MatmulOp::create(builder, loc, args[0], args[1]);
  ShardingRule rule = ruleOf(matmul);
  EXPECT_EQ(rule.str(), "([i, k], [k, j]) -> ([i, j]) {i=4, j=16, k=8} "
                        "reduction={k:sum}");
  // Splitting the contraction jointly splits lhs columns and rhs rows.
  EXPECT_EQ(rule.getOperandSplitFactor(0, 1), rule.getOperandSplitFactor(1, 0));
}

TEST_F(ShardingRulesTest, BatchMatmul) {
  SmallVector<Value> args =
      arguments({f32({2, 4, 128, 64}), f32({2, 4, 64, 32})});
  auto bmm = BatchMatmulOp::create(builder, loc, args[0], args[1]);
  ShardingRule rule = ruleOf(bmm);
  EXPECT_EQ(rule.str(), "([i, j, k, m], [i, j, m, l]) -> ([i, j, k, l]) "
                        "{i=2, j=4, k=128, l=32, m=64} reduction={m:sum}");
  // Heads (dimension 1) split every operand and the result alike.
  EXPECT_EQ(rule.getOperandSplitFactor(0, 1), 1);
  EXPECT_EQ(rule.getOperandDim(1, 1), 1);
  EXPECT_EQ(rule.getResultDim(0, 1), 1);
  EXPECT_EQ(rule.getRestoringCollective(1)->kind, CollectiveKind::AllGather);
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(ShardingRulesTest, BroadcastAddMapsBroadcastDimsToNoFactor) {
  SmallVector<Value> args = arguments({f32({4, 1, 8}), f32({3, 8})});
  auto add = AddOp::create(builder, loc, args[0], args[1]);
  ShardingRule rule = ruleOf(add);
  // [4, 1, 8] + [3, 8] -> [4, 3, 8]: lhs's size-1 dimension and rhs's
  // missing leading dimension are broadcast.
  EXPECT_EQ(rule.str(), "([i, _, k], [j, k]) -> ([i, j, k]) {i=4, j=3, k=8}");
  EXPECT_EQ(rule.getOperandSplitFactor(0, 1), std::nullopt);
  EXPECT_EQ(rule.getOperandDim(1, 0), std::nullopt);
  EXPECT_EQ(rule.getOperandSplitFactor(1, 1), 2);
  EXPECT_EQ(rule.getResultDim(0, 2), 2);
}

TEST_F(ShardingRulesTest, UnaryAndSelectAreElementwise) {
  SmallVector<Value> args =
      arguments({f32({4, 8}),
                 RankedTensorType::get({4, 8}, builder.getI1Type()), f32({})});
  auto relu = ReluOp::create(builder, loc, args[0]);
  EXPECT_EQ(ruleOf(relu).str(), "([i, j]) -> ([i, j]) {i=4, j=8}");
  auto select = SelectOp::create(builder, loc, args[1], args[0], args[2]);
  EXPECT_EQ(ruleOf(select).str(),
            "([i, j], [i, j], []) -> ([i, j]) {i=4, j=8}");
}

//===----------------------------------------------------------------------===//
// Softmax, normalization, reductions
//===----------------------------------------------------------------------===//

TEST_F(ShardingRulesTest, SoftmaxDimNeedsReplication) {
  SmallVector<Value> args = arguments({f32({8, 16, 10})});
  auto softmax = SoftmaxOp::create(builder, loc, args[0], 1);
  ShardingRule rule = ruleOf(softmax);
  EXPECT_EQ(rule.str(), "([i, j, k]) -> ([i, j, k]) {i=8, j=16, k=10} "
                        "need_replication={j}");
  EXPECT_FALSE(rule.isSplittable(1));
  EXPECT_TRUE(failed(rule.getRestoringCollective(1)));
  EXPECT_TRUE(rule.isSplittable(0));
  EXPECT_TRUE(rule.isSplittable(2));
}

TEST_F(ShardingRulesTest, LayerNormNormalizedDimsNeedReplication) {
  SmallVector<Value> args =
      arguments({f32({8, 128, 4, 64}), f32({4, 64}), f32({4, 64}), f32({64})});
  auto layerNorm = LayerNormOp::create(builder, loc, args[0], args[1], args[2],
                                       /*normalized_rank=*/2, APFloat(1e-5));
  ShardingRule rule = ruleOf(layerNorm);
  EXPECT_EQ(rule.str(), "([i, j, k, l], [k, l], [k, l]) -> ([i, j, k, l]) "
                        "{i=8, j=128, k=4, l=64} need_replication={k, l}");

  // Without a weight the bias is operand 1.
  auto biasOnly = LayerNormOp::create(builder, loc, args[0], Value(), args[3],
                                      /*normalized_rank=*/1, APFloat(1e-5));
  EXPECT_EQ(ruleOf(biasOnly).str(), "([i, j, k, l], [l]) -> ([i, j, k, l]) "
                                    "{i=8, j=128, k=4, l=64} "
                                    "need_replication={l}");
}

TEST_F(ShardingRulesTest, PruneMaskGroupsNeedReplication) {
  // Every group (a slice along the last dimension) is selected as a whole;
  // the groups themselves are independent.
  SmallVector<Value> args =
      arguments({f32({4, 2, 16}), tensor({}, builder.getF64Type()),
                 tensor({}, builder.getI1Type()), f32({4, 2, 16})});
  auto prune =
      PruneMaskOp::create(builder, loc, args[0], args[1], args[2], args[3]);
  ShardingRule rule = ruleOf(prune);
  EXPECT_EQ(rule.str(), "([i, j, k], [], [], [i, j, k]) -> ([i, j, k]) "
                        "{i=4, j=2, k=16} need_replication={k}");
  EXPECT_TRUE(rule.isSplittable(0));
  EXPECT_TRUE(rule.isSplittable(1));
  EXPECT_FALSE(rule.isSplittable(2));
  EXPECT_EQ(rule.getOperandDim(3, 0), 0);
  EXPECT_EQ(rule.getResultDim(0, 1), 1);
}

TEST_F(ShardingRulesTest, ApplyMaskIsElementwise) {
  SmallVector<Value> args = arguments({f32({8, 16}), f32({8, 16})});
  auto apply = ApplyMaskOp::create(builder, loc, args[0], args[1]);
  EXPECT_EQ(ruleOf(apply).str(), "([i, j], [i, j]) -> ([i, j]) {i=8, j=16}");
}

TEST_F(ShardingRulesTest, SumReducesItsDims) {
  SmallVector<Value> args = arguments({f32({4, 8, 16})});
  auto sum = SumOp::create(builder, loc, args[0], ArrayRef<int64_t>{-1, 0},
                           /*keepdim=*/false);
  ShardingRule rule = ruleOf(sum);
  EXPECT_EQ(rule.str(), "([i, j, k]) -> ([j]) {i=4, j=8, k=16} "
                        "reduction={i:sum, k:sum}");
  FailureOr<Collective> collective = rule.getRestoringCollective(2);
  ASSERT_TRUE(succeeded(collective));
  EXPECT_EQ(collective->kind, CollectiveKind::AllReduce);
  EXPECT_EQ(collective->reduction, AllReduceKind::Sum);

  // With keepdim the reduced dimensions stay as size 1, without factors.
  auto kept = SumOp::create(builder, loc, args[0], ArrayRef<int64_t>{1},
                            /*keepdim=*/true);
  EXPECT_EQ(ruleOf(kept).str(),
            "([i, j, k]) -> ([i, _, k]) {i=4, j=8, k=16} reduction={j:sum}");
}

TEST_F(ShardingRulesTest, MeanAndMaxReduceWithTheirCollective) {
  SmallVector<Value> args = arguments({f32({4, 8})});
  auto mean = MeanOp::create(builder, loc, args[0], ArrayRef<int64_t>{1},
                             /*keepdim=*/false);
  auto max = MaxOp::create(builder, loc, args[0], ArrayRef<int64_t>{1},
                           /*keepdim=*/false);
  EXPECT_EQ(ruleOf(mean).getRestoringCollective(1)->reduction,
            AllReduceKind::Mean);
  EXPECT_EQ(ruleOf(max).getRestoringCollective(1)->reduction,
            AllReduceKind::Max);
  // argmax has no collective: its dimension needs replication.
  auto argmax = ArgmaxOp::create(builder, loc, args[0], 1, /*keepdim=*/false);
  EXPECT_EQ(ruleOf(argmax).str(),
            "([i, j]) -> ([i]) {i=4, j=8} need_replication={j}");
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST_F(ShardingRulesTest, ReshapeSplitsAndMergesCleanGroups) {
  SmallVector<Value> args =
      arguments({f32({8, 128, 256}), f32({8, 1, 28, 28}), f32({6, 4, 5})});
  // [B, S, H*D] -> [B, S, H, D]: the input's last dimension is (h, d).
  auto heads = ReshapeOp::create(builder, loc, f32({8, 128, 4, 64}), args[0]);
  ShardingRule headsRule = ruleOf(heads);
  EXPECT_EQ(headsRule.str(), "([i, j, kl]) -> ([i, j, k, l]) "
                             "{i=8, j=128, k=4, l=64}");
  // Splitting the merged dimension splits its major factor, the heads.
  EXPECT_EQ(headsRule.getOperandSplitFactor(0, 2), 2);
  EXPECT_EQ(headsRule.getResultDim(0, 2), 2);

  // [N, 1, 28, 28] -> [N, 784]: a merge; the size-1 dimension has no factor.
  auto flatten = ReshapeOp::create(builder, loc, f32({8, 784}), args[1]);
  EXPECT_EQ(ruleOf(flatten).str(),
            "([i, _, j, k]) -> ([i, jk]) {i=8, j=28, k=28}");

  // [6, 4, 5] -> [4, 6, 5]: the first group has no clean factoring and
  // cannot be split; the last dimension still can.
  auto shuffle = ReshapeOp::create(builder, loc, f32({4, 6, 5}), args[2]);
  ShardingRule shuffleRule = ruleOf(shuffle);
  EXPECT_EQ(shuffleRule.str(), "([_, _, i]) -> ([_, _, i]) {i=5}");
  EXPECT_EQ(shuffleRule.getOperandSplitFactor(0, 0), std::nullopt);
}

TEST_F(ShardingRulesTest, TransposeMapsFactorsThrough) {
  SmallVector<Value> args = arguments({f32({2, 3, 5})});
  auto transpose =
      TransposeOp::create(builder, loc, args[0], ArrayRef<int64_t>{2, 0, 1});
  ShardingRule rule = ruleOf(transpose);
  // Result dimension 0 is input dimension 2, and so on.
  EXPECT_EQ(rule.str(), "([j, k, i]) -> ([i, j, k]) {i=5, j=2, k=3}");
  EXPECT_EQ(rule.getResultDim(0, *rule.getOperandSplitFactor(0, 2)), 0);
}

TEST_F(ShardingRulesTest, SliceAndConcatKeepTheirDimWhole) {
  SmallVector<Value> args = arguments({f32({4, 8}), f32({4, 2})});
  auto slice =
      SliceOp::create(builder, loc, args[0], ArrayRef<int64_t>{0, 2},
                      ArrayRef<int64_t>{4, 8}, ArrayRef<int64_t>{1, 2});
  EXPECT_EQ(ruleOf(slice).str(), "([i, _]) -> ([i, _]) {i=4}");
  auto concat = ConcatOp::create(builder, loc, ValueRange{args[0], args[1]}, 1);
  EXPECT_EQ(ruleOf(concat).str(), "([i, _], [i, _]) -> ([i, _]) {i=4}");
}

//===----------------------------------------------------------------------===//
// Embedding, losses
//===----------------------------------------------------------------------===//

TEST_F(ShardingRulesTest, EmbeddingRowsNeedReplication) {
  SmallVector<Value> args = arguments({i64({8, 128}), f32({1000, 256})});
  auto embedding = EmbeddingOp::create(builder, loc, args[0], args[1]);
  EXPECT_EQ(ruleOf(embedding).str(),
            "([i, j], [k, l]) -> ([i, j, l]) "
            "{i=8, j=128, k=1000, l=256} need_replication={k}");
}

TEST_F(ShardingRulesTest, CrossEntropyHasBatchMeanAndReplicatedClasses) {
  SmallVector<Value> args = arguments(
      {f32({128, 10}), RankedTensorType::get({128}, builder.getI32Type())});
  auto loss = CrossEntropyOp::create(builder, loc, args[0], args[1]);
  ShardingRule rule = ruleOf(loss);
  EXPECT_EQ(rule.str(), "([i, j], [i]) -> ([]) {i=128, j=10} "
                        "reduction={i:mean} need_replication={j}");
  // Data-parallel loss: each shard's mean over its rows, averaged.
  FailureOr<Collective> collective = rule.getRestoringCollective(0);
  ASSERT_TRUE(succeeded(collective));
  EXPECT_EQ(collective->kind, CollectiveKind::AllReduce);
  EXPECT_EQ(collective->reduction, AllReduceKind::Mean);
  EXPECT_EQ(rule.getOperandSplitFactor(1, 0), 0);
  EXPECT_FALSE(rule.isSplittable(1));
}

TEST_F(ShardingRulesTest, KLDivBatchMeanAveragesRowsAndSumsColumns) {
  SmallVector<Value> args = arguments({f32({16, 10}), f32({16, 10})});
  auto kl = KLDivOp::create(builder, loc, args[0], args[1],
                            KLDivReduction::BatchMean, /*log_target=*/false);
  EXPECT_EQ(ruleOf(kl).str(), "([i, j], [i, j]) -> ([]) {i=16, j=10} "
                              "reduction={i:mean, j:sum}");
  auto mse = MseLossOp::create(builder, loc, args[0], args[1]);
  EXPECT_EQ(ruleOf(mse).str(), "([i, j], [i, j]) -> ([]) {i=16, j=10} "
                               "reduction={i:mean, j:mean}");
}

//===----------------------------------------------------------------------===//
// The rule type
//===----------------------------------------------------------------------===//

TEST_F(ShardingRulesTest, VerifyRejectsRulesThatDoNotMatchTheTypes) {
  SmallVector<Value> args = arguments({f32({4, 8})});
  auto relu = ReluOp::create(builder, loc, args[0]);
  ShardingRule good = ruleOf(relu);

  ShardingRule wrongSize = good;
  wrongSize.factors[1].size = 4;
  EXPECT_TRUE(failed(wrongSize.verify(relu)));

  ShardingRule reductionInResult = good;
  reductionInResult.factors[0].kind = FactorKind::Reduction;
  EXPECT_TRUE(failed(reductionInResult.verify(relu)));

  ShardingRule wrongRank = good;
  wrongRank.operands[0].pop_back();
  EXPECT_TRUE(failed(wrongRank.verify(relu)));

  ShardingRule twice = good;
  twice.results[0][1] = {0};
  twice.results[0][0] = {0};
  EXPECT_TRUE(failed(twice.verify(relu)));

  ASSERT_EQ(messages.size(), 4u);
  EXPECT_THAT(messages[0], HasSubstr("dimension 1 have size 4, the "
                                     "dimension 8"));
  EXPECT_THAT(messages[1], HasSubstr("reduction factor #0 appears in "
                                     "result #0"));
  EXPECT_THAT(messages[2], HasSubstr("maps 1 dimensions of operand #0, which "
                                     "has rank 2"));
  EXPECT_THAT(messages[3], HasSubstr("factor #0 appears twice in result #0"));
}

//===----------------------------------------------------------------------===//
// Every op
//===----------------------------------------------------------------------===//

TEST_F(ShardingRulesTest, EveryOpHasARuleOrIsDeclaredUnshardable) {
  std::vector<std::string> missing, both;
  for (RegisteredOperationName name :
       context.getRegisteredOperationsByDialect("mlopt")) {
    bool hasRule = name.hasInterface<ShardingOpInterface>();
    bool unshardable = name.hasTrait<Unshardable>();
    if (!hasRule && !unshardable)
      missing.push_back(name.getStringRef().str());
    if (hasRule && unshardable)
      both.push_back(name.getStringRef().str());
  }
  EXPECT_TRUE(missing.empty())
      << "ops with neither ShardingOpInterface nor MLOpt_Unshardable: "
      << llvm::join(missing, ", ");
  EXPECT_TRUE(both.empty()) << "ops with a rule that are also unshardable: "
                            << llvm::join(both, ", ");

  // The unshardable ops, each for the reason docs/DialectRationale.md gives.
  std::set<std::string> unshardable;
  for (RegisteredOperationName name :
       context.getRegisteredOperationsByDialect("mlopt"))
    if (name.hasTrait<Unshardable>())
      unshardable.insert(name.getStringRef().str());
  EXPECT_EQ(unshardable, (std::set<std::string>{"mlopt.constant",
                                                "mlopt.dropout",
                                                "mlopt.mode_select",
                                                "mlopt.initial_value",
                                                "mlopt.sparsity_schedule",
                                                "mlopt.state",
                                                "mlopt.state_read",
                                                "mlopt.state_write",
                                                "mlopt.observe",
                                                "mlopt.quant_params",
                                                "mlopt.fake_quant",
                                                "mlopt.fake_quant_grad",
                                                "mlopt.quantize",
                                                "mlopt.dequantize",
                                                "mlopt.quantized_linear",
                                                "mlopt.quantized_matmul",
                                                "mlopt.all_reduce",
                                                "mlopt.all_gather",
                                                "mlopt.reduce_scatter",
                                                "mlopt.broadcast",
                                                "mlopt.reduce",
                                                "mlopt.send",
                                                "mlopt.recv",
                                                "mlopt.local_shard"}));
}

TEST_F(ShardingRulesTest, EveryRuleMatchesItsOpTypes) {
  OwningOpRef<ModuleOp> everyOp =
      parseSourceString<ModuleOp>(test::kEveryOpModule, &context);
  ASSERT_TRUE(everyOp) << llvm::join(messages, "\n");
  std::set<std::string> seen;
  everyOp->walk([&](Operation *op) {
    seen.insert(op->getName().getStringRef().str());
    auto sharding = dyn_cast<ShardingOpInterface>(op);
    if (!sharding)
      return;
    ShardingRule rule = sharding.getShardingRule();
    EXPECT_TRUE(succeeded(rule.verify(op)))
        << op->getName().getStringRef().str() << ": " << rule.str();
  });
  std::vector<std::string> notCovered;
  for (RegisteredOperationName name :
       context.getRegisteredOperationsByDialect("mlopt"))
    if (!seen.count(name.getStringRef().str()))
      notCovered.push_back(name.getStringRef().str());
  EXPECT_TRUE(notCovered.empty())
      << "add these ops to unittests/Dialect/EveryOp.h: "
      << llvm::join(notCovered, ", ");
  EXPECT_TRUE(messages.empty()) << llvm::join(messages, "\n");
}

} // namespace
