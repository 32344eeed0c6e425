//===- InterfacesTest.cpp - mlopt op and attribute interfaces -------------===//

#include "EveryOp.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/AsmParser/AsmParser.h"
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

#include <map>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using ::testing::HasSubstr;

namespace {

class InterfacesTest : public mlir::mlopt::testing::OpBuilderTest {
protected:
  static CostOpInterface cost(Operation *op) {
    return dyn_cast<CostOpInterface>(op);
  }

  /// Runs `verifyForType`, reporting at `loc`.
  LogicalResult verifyFor(InitializerAttrInterface init,
                          RankedTensorType type) {
    return init.verifyForType(type, [&]() { return emitError(loc); });
  }
};

//===----------------------------------------------------------------------===//
// CostOpInterface
//===----------------------------------------------------------------------===//

TEST_F(InterfacesTest, MatmulFlopsAre2MNK) {
  constexpr int64_t m = 4, k = 8, n = 16;
  SmallVector<Value> args = arguments({f32({m, k}), f32({k, n})});
  auto matmul = MatmulOp::create(builder, loc, args[0], args[1]);
  CostOpInterface matmulCost = cost(matmul);
  ASSERT_TRUE(matmulCost);
  EXPECT_EQ(matmulCost.getFlops(), 2 * m * n * k);
  // Each f32 operand and result is touched once: (M*K + K*N + M*N) * 4.
  EXPECT_EQ(matmulCost.getBytesAccessed(), (m * k + k * n + m * n) * 4);
}

TEST_F(InterfacesTest, BatchMatmulFlopsCountEveryBatch) {
  SmallVector<Value> args =
      arguments({f32({2, 4, 128, 64}), f32({2, 4, 64, 128})});
  auto bmm = BatchMatmulOp::create(builder, loc, args[0], args[1]);
  ASSERT_TRUE(cost(bmm));
  EXPECT_EQ(cost(bmm).getFlops(), 2 * (2 * 4) * 128 * 128 * 64);
}

TEST_F(InterfacesTest, LinearFlopsAddBias) {
  constexpr int64_t m = 32, k = 784, n = 256;
  SmallVector<Value> args = arguments({f32({m, k}), f32({n, k}), f32({n})});
  auto withBias = LinearOp::create(builder, loc, args[0], args[1], args[2]);
  auto withoutBias = LinearOp::create(builder, loc, args[0], args[1], Value());
  ASSERT_TRUE(cost(withBias));
  ASSERT_TRUE(cost(withoutBias));
  EXPECT_EQ(cost(withoutBias).getFlops(), 2 * m * n * k);
  // The bias adds one flop per output element.
  EXPECT_EQ(cost(withBias).getFlops(), 2 * m * n * k + m * n);
}

TEST_F(InterfacesTest, LinearFlopsFoldLeadingDims) {
  // [16, 128, 256] x [1024, 256]^T: M is every leading position.
  SmallVector<Value> args = arguments({f32({16, 128, 256}), f32({1024, 256})});
  auto linear = LinearOp::create(builder, loc, args[0], args[1], Value());
  EXPECT_EQ(cost(linear).getFlops(), int64_t{2} * 16 * 128 * 1024 * 256);
}

TEST_F(InterfacesTest, ElementwiseCostIsOnePerElement) {
  SmallVector<Value> args = arguments({f32({4, 8}), f32({8})});
  auto add = AddOp::create(builder, loc, args[0], args[1]);
  ASSERT_TRUE(cost(add));
  // One flop per element of the broadcast result.
  EXPECT_EQ(cost(add).getFlops(), 32);
  EXPECT_EQ(cost(add).getBytesAccessed(), (32 + 8 + 32) * 4);

  // Bytes follow the element type: f16 is 2 bytes.
  SmallVector<Value> half = arguments({tensor({10, 10}, builder.getF16Type())});
  auto relu = ReluOp::create(builder, loc, half[0]);
  ASSERT_TRUE(cost(relu));
  EXPECT_EQ(cost(relu).getFlops(), 100);
  EXPECT_EQ(cost(relu).getBytesAccessed(), 2 * 100 * 2);
}

TEST_F(InterfacesTest, TapAndModeSelectDoNoArithmetic) {
  SmallVector<Value> args = arguments({f32({4, 8}), f32({4, 8})});
  auto tap = TapOp::create(builder, loc, "hidden", args[0]);
  auto select = ModeSelectOp::create(builder, loc, args[0], args[1]);
  ASSERT_TRUE(cost(tap));
  ASSERT_TRUE(cost(select));
  EXPECT_EQ(cost(tap).getFlops(), 0);
  EXPECT_EQ(cost(select).getFlops(), 0);
  // Their bytes are still counted: operands and result, once each.
  EXPECT_EQ(cost(tap).getBytesAccessed(), 2 * 32 * 4);
  EXPECT_EQ(cost(select).getBytesAccessed(), 3 * 32 * 4);
}

TEST_F(InterfacesTest, StateAccessHasNoCostRule) {
  builder.setInsertionPointToEnd(module->getBody());
  StateOp::create(builder, loc, "w", f32({4}), StateKind::Parameter,
                  /*trainable=*/true, ZerosInitAttr::get(&context));
  SmallVector<Value> args = arguments({});
  auto read = StateReadOp::create(builder, loc, f32({4}), "w");
  EXPECT_FALSE(cost(read));
}

//===----------------------------------------------------------------------===//
// PrecisionOpInterface
//===----------------------------------------------------------------------===//

TEST_F(InterfacesTest, EveryOpHasAPrecisionClass) {
  std::vector<std::string> missing;
  for (RegisteredOperationName name :
       context.getRegisteredOperationsByDialect("mlopt"))
    if (!name.hasInterface<PrecisionOpInterface>())
      missing.push_back(name.getStringRef().str());
  EXPECT_TRUE(missing.empty())
      << "ops without PrecisionOpInterface: " << llvm::join(missing, ", ");
}

TEST_F(InterfacesTest, PrecisionClassesFollowAutocast) {
  // The table of MLOptInterfaces.td (PyTorch autocast's op lists).
  constexpr PrecisionClass low = PrecisionClass::LowPrecision;
  constexpr PrecisionClass f32 = PrecisionClass::KeepF32;
  constexpr PrecisionClass follow = PrecisionClass::FollowInput;
  const std::map<std::string, PrecisionClass> expected = {
      {"mlopt.linear", low},
      {"mlopt.matmul", low},
      {"mlopt.batch_matmul", low},
      {"mlopt.exp", f32},
      {"mlopt.log", f32},
      {"mlopt.rsqrt", f32},
      {"mlopt.pow", f32},
      {"mlopt.softmax", f32},
      {"mlopt.log_softmax", f32},
      {"mlopt.sum", f32},
      {"mlopt.mean", f32},
      {"mlopt.layer_norm", f32},
      {"mlopt.mse_loss", f32},
      {"mlopt.cross_entropy", f32},
      {"mlopt.nll_loss", f32},
      {"mlopt.kl_div", f32},
      {"mlopt.accuracy", f32},
      {"mlopt.embedding_grad", f32},
      {"mlopt.neg", follow},
      {"mlopt.sqrt", follow},
      {"mlopt.relu", follow},
      {"mlopt.sigmoid", follow},
      {"mlopt.tanh", follow},
      {"mlopt.abs", follow},
      {"mlopt.cos", follow},
      {"mlopt.erf", follow},
      {"mlopt.gelu", follow},
      {"mlopt.add", follow},
      {"mlopt.sub", follow},
      {"mlopt.mul", follow},
      {"mlopt.div", follow},
      {"mlopt.maximum", follow},
      {"mlopt.minimum", follow},
      {"mlopt.compare", follow},
      {"mlopt.select", follow},
      {"mlopt.cast", follow},
      {"mlopt.max", follow},
      {"mlopt.argmax", follow},
      {"mlopt.dropout", follow},
      {"mlopt.tap", follow},
      {"mlopt.mode_select", follow},
      {"mlopt.embedding", follow},
      {"mlopt.one_hot", follow},
      {"mlopt.reshape", follow},
      {"mlopt.broadcast_to", follow},
      {"mlopt.transpose", follow},
      {"mlopt.slice", follow},
      {"mlopt.concat", follow},
      {"mlopt.state", follow},
      {"mlopt.state_read", follow},
      {"mlopt.state_write", follow},
      {"mlopt.initial_value", follow},
      {"mlopt.constant", follow},
      {"mlopt.apply_mask", follow},
      {"mlopt.prune_mask", follow},
      {"mlopt.sparsity_schedule", follow},
      {"mlopt.observe", follow},
      {"mlopt.quant_params", follow},
      {"mlopt.fake_quant", follow},
      {"mlopt.fake_quant_grad", follow},
      {"mlopt.quantize", follow},
      {"mlopt.dequantize", follow},
      {"mlopt.quantized_linear", follow},
      {"mlopt.quantized_matmul", follow},
      {"mlopt.all_reduce", follow},
      {"mlopt.all_gather", follow},
      {"mlopt.reduce_scatter", follow},
      {"mlopt.broadcast", follow},
      {"mlopt.reduce", follow},
      {"mlopt.send", follow},
      {"mlopt.recv", follow},
      {"mlopt.local_shard", follow},
  };
  std::vector<std::string> unclassified;
  for (RegisteredOperationName name :
       context.getRegisteredOperationsByDialect("mlopt"))
    if (!expected.count(name.getStringRef().str()))
      unclassified.push_back(name.getStringRef().str());
  EXPECT_TRUE(unclassified.empty())
      << "classify these ops in MLOptInterfaces.td and here: "
      << llvm::join(unclassified, ", ");

  OwningOpRef<ModuleOp> everyOp =
      parseSourceString<ModuleOp>(test::kEveryOpModule, &context);
  ASSERT_TRUE(everyOp) << llvm::join(messages, "\n");
  size_t checked = 0;
  everyOp->walk([&](Operation *op) {
    std::string name = op->getName().getStringRef().str();
    auto it = expected.find(name);
    if (it == expected.end())
      return;
    auto precision = dyn_cast<PrecisionOpInterface>(op);
    ASSERT_TRUE(precision) << name;
    EXPECT_EQ(stringifyPrecisionClass(precision.getPrecisionClass()),
              stringifyPrecisionClass(it->second))
        << name;
    ++checked;
  });
  // Every op of the table, in the sample module at least once.
  EXPECT_GE(checked, expected.size());
}

//===----------------------------------------------------------------------===//
// InitializerAttrInterface
//===----------------------------------------------------------------------===//

TEST_F(InterfacesTest, ParsedInitializersImplementTheInterface) {
  for (StringRef text :
       {"#mlopt.zeros", "#mlopt.ones", "#mlopt.constant<value = 0.5>",
        "#mlopt.uniform<low = -0.1, high = 0.1>",
        "#mlopt.normal<mean = 0.0, std = 0.02>", "#mlopt.kaiming_uniform",
        "#mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 784>",
        "#mlopt.xavier_uniform<gain = 1.5>"}) {
    Attribute attr = parseAttribute(text, &context);
    ASSERT_TRUE(attr) << text.str();
    EXPECT_TRUE(isa<InitializerAttrInterface>(attr)) << text.str();
  }
  EXPECT_TRUE(messages.empty());
}

TEST_F(InterfacesTest, FillInitializersAcceptAnyElementType) {
  auto zeros = cast<InitializerAttrInterface>(ZerosInitAttr::get(&context));
  auto ones = cast<InitializerAttrInterface>(OnesInitAttr::get(&context));
  EXPECT_TRUE(succeeded(verifyFor(zeros, f32({4}))));
  EXPECT_TRUE(succeeded(verifyFor(zeros, tensor({}, builder.getI64Type()))));
  EXPECT_TRUE(succeeded(verifyFor(ones, tensor({2, 2}, builder.getI1Type()))));
  EXPECT_TRUE(messages.empty());
}

TEST_F(InterfacesTest, ConstantNeedsIntegralValueForIntegers) {
  auto half = ConstantInitAttr::get(&context, APFloat(0.5));
  auto two = ConstantInitAttr::get(&context, APFloat(2.0));
  RankedTensorType ints = tensor({4}, builder.getI32Type());
  EXPECT_TRUE(succeeded(verifyFor(half, f32({4}))));
  EXPECT_TRUE(succeeded(verifyFor(two, ints)));
  EXPECT_TRUE(messages.empty());
  EXPECT_TRUE(failed(verifyFor(half, ints)));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages.front(), HasSubstr("is not integral"));
}

TEST_F(InterfacesTest, RandomInitializersNeedFloats) {
  auto uniform = UniformInitAttr::get(&context, APFloat(-1.0), APFloat(1.0));
  auto normal = NormalInitAttr::get(&context, APFloat(0.0), APFloat(0.02));
  EXPECT_TRUE(succeeded(verifyFor(uniform, f32({3}))));
  EXPECT_TRUE(
      succeeded(verifyFor(normal, tensor({3, 3}, builder.getBF16Type()))));
  EXPECT_TRUE(messages.empty());

  EXPECT_TRUE(failed(verifyFor(uniform, tensor({3}, builder.getI64Type()))));
  EXPECT_TRUE(failed(verifyFor(normal, tensor({3}, builder.getI8Type()))));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_THAT(messages[0], HasSubstr("initializer 'uniform' needs a "
                                     "floating-point element type"));
  EXPECT_THAT(messages[1], HasSubstr("initializer 'normal' needs a "
                                     "floating-point element type"));
}

TEST_F(InterfacesTest, KaimingUniformNeedsFans) {
  auto computed =
      KaimingUniformInitAttr::get(&context, APFloat(2.0), int64_t{0});
  auto explicitFanIn =
      KaimingUniformInitAttr::get(&context, APFloat(2.0), int64_t{784});
  EXPECT_TRUE(succeeded(verifyFor(computed, f32({256, 784}))));
  EXPECT_TRUE(succeeded(verifyFor(computed, f32({64, 3, 7, 7}))));
  // A bias has no fans of its own; an explicit fan_in makes it valid.
  EXPECT_TRUE(succeeded(verifyFor(explicitFanIn, f32({256}))));
  EXPECT_TRUE(messages.empty());

  EXPECT_TRUE(failed(verifyFor(computed, f32({256}))));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages.back(), HasSubstr("computes fans from a tensor of "
                                         "rank >= 2"));
  EXPECT_TRUE(
      failed(verifyFor(explicitFanIn, tensor({256}, builder.getI32Type()))));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_THAT(messages.back(), HasSubstr("floating-point element type"));
}

TEST_F(InterfacesTest, XavierUniformNeedsFans) {
  auto xavier = XavierUniformInitAttr::get(&context, APFloat(1.0));
  EXPECT_TRUE(succeeded(verifyFor(xavier, f32({10, 20}))));
  EXPECT_TRUE(failed(verifyFor(xavier, f32({20}))));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages.front(), HasSubstr("'xavier_uniform' computes fans"));
}

TEST_F(InterfacesTest, InitializerParametersAreChecked) {
  auto emit = [&]() { return emitError(loc); };
  EXPECT_FALSE(
      UniformInitAttr::getChecked(emit, &context, APFloat(1.0), APFloat(1.0)));
  EXPECT_FALSE(
      NormalInitAttr::getChecked(emit, &context, APFloat(0.0), APFloat(0.0)));
  EXPECT_FALSE(KaimingUniformInitAttr::getChecked(emit, &context, APFloat(0.0),
                                                  int64_t{-1}));
  EXPECT_FALSE(XavierUniformInitAttr::getChecked(emit, &context, APFloat(0.0)));
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_THAT(messages[0], HasSubstr("needs low < high"));
  EXPECT_THAT(messages[1], HasSubstr("std > 0"));
  EXPECT_THAT(messages[2], HasSubstr("fan_in >= 0"));
  EXPECT_THAT(messages[3], HasSubstr("gain > 0"));

  EXPECT_TRUE(
      UniformInitAttr::getChecked(emit, &context, APFloat(0.0), APFloat(1.0)));
  EXPECT_EQ(messages.size(), 4u);
}

} // namespace
