//===- BuilderTest.cpp - building mlopt models with the C++ API -----------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using ::testing::HasSubstr;

namespace {

/// A diagnostic as the handler saw it.
struct CapturedDiagnostic {
  Location loc;
  std::string message;
};

class BuilderTest : public ::testing::Test {
protected:
  BuilderTest()
      : builder(&context), loc(FileLineColLoc::get(&context, "model", 1, 1)),
        handler(&context, [this](Diagnostic &diag) {
          diagnostics.push_back({diag.getLocation(), diag.str()});
          return success();
        }) {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
  }

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  RankedTensorType i64(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getI64Type());
  }

  /// A fresh module with the builder at the end of its body.
  OwningOpRef<ModuleOp> newModule() {
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    builder.setInsertionPointToEnd(module->getBody());
    return module;
  }

  /// nn.Linear's default weight initializer: kaiming_uniform_(a = sqrt(5)).
  InitializerAttrInterface linearWeightInit() {
    return KaimingUniformInitAttr::get(&context, APFloat(std::sqrt(5.0)),
                                       int64_t{0});
  }
  /// nn.Linear's default bias initializer, U(-1/sqrt(in), 1/sqrt(in)).
  InitializerAttrInterface linearBiasInit(int64_t in) {
    return KaimingUniformInitAttr::get(&context, APFloat(std::sqrt(5.0)), in);
  }

  StateOp addParameter(StringRef name, RankedTensorType type,
                       InitializerAttrInterface init) {
    return StateOp::create(builder, loc, name, type, StateKind::Parameter,
                           /*trainable=*/true, init);
  }

  /// Adds `func.func @loss` marked as the loss function, its arguments marked
  /// by `isLabel`, and moves the builder into its body.
  func::FuncOp addLossFunction(TypeRange inputs, ArrayRef<bool> isLabel,
                               TypeRange results) {
    auto func = func::FuncOp::create(builder, loc, "loss",
                                     builder.getFunctionType(inputs, results));
    func->setAttr(MLOptDialect::kLossAttrName, builder.getUnitAttr());
    for (auto [index, label] : llvm::enumerate(isLabel))
      func.setArgAttr(index,
                      label ? MLOptDialect::kLabelAttrName
                            : MLOptDialect::kInputAttrName,
                      builder.getUnitAttr());
    builder.setInsertionPointToStart(func.addEntryBlock());
    return func;
  }

  /// Whether some captured diagnostic contains `text`.
  bool sawDiagnostic(StringRef text) {
    return llvm::any_of(diagnostics, [&](const CapturedDiagnostic &diag) {
      return StringRef(diag.message).contains(text);
    });
  }

  MLIRContext context;
  OpBuilder builder;
  Location loc;
  std::vector<CapturedDiagnostic> diagnostics;
  ScopedDiagnosticHandler handler;
};

TEST_F(BuilderTest, BuildsClassifierWithInferredTypes) {
  OwningOpRef<ModuleOp> module = newModule();
  addParameter("fc1.weight", f32({8, 4}), linearWeightInit());
  addParameter("fc1.bias", f32({8}), linearBiasInit(4));
  addParameter("fc2.weight", f32({3, 8}), linearWeightInit());

  func::FuncOp func = addLossFunction({f32({2, 4}), i64({2})}, {false, true},
                                      {f32({}), f32({})});
  func.setResultAttr(1, MLOptDialect::kMetricAttrName,
                     builder.getStringAttr("accuracy"));
  Value x = func.getArgument(0);
  Value y = func.getArgument(1);

  auto w1 = StateReadOp::create(builder, loc, f32({8, 4}), "fc1.weight");
  auto b1 = StateReadOp::create(builder, loc, f32({8}), "fc1.bias");
  auto w2 = StateReadOp::create(builder, loc, f32({3, 8}), "fc2.weight");

  auto hidden = LinearOp::create(builder, loc, x, w1, b1);
  EXPECT_EQ(hidden.getType(), f32({2, 8}));
  auto act = ReluOp::create(builder, loc, hidden);
  EXPECT_EQ(act.getType(), f32({2, 8}));

  // Row sums keep their dimension, so they broadcast back over the row.
  auto rowSum = SumOp::create(builder, loc, act, ArrayRef<int64_t>{-1},
                              /*keepdim=*/true);
  EXPECT_EQ(rowSum.getType(), f32({2, 1}));
  auto shifted = AddOp::create(builder, loc, act, rowSum);
  EXPECT_EQ(shifted.getType(), f32({2, 8}));

  // A linear layer without bias equals a matmul with the transposed weight.
  auto logits = LinearOp::create(builder, loc, shifted, w2, Value());
  EXPECT_EQ(logits.getType(), f32({2, 3}));
  EXPECT_FALSE(logits.getBias());
  auto w2t = TransposeOp::create(builder, loc, w2, ArrayRef<int64_t>{1, 0});
  EXPECT_EQ(w2t.getType(), f32({8, 3}));
  auto product = MatmulOp::create(builder, loc, shifted, w2t);
  EXPECT_EQ(product.getType(), logits.getType());

  auto loss = CrossEntropyOp::create(builder, loc, logits, y);
  EXPECT_EQ(loss.getType(), f32({}));
  auto accuracy = AccuracyOp::create(builder, loc, product, y);
  EXPECT_EQ(accuracy.getType(), f32({}));
  func::ReturnOp::create(builder, loc, ValueRange{loss, accuracy});

  EXPECT_TRUE(succeeded(verify(*module)));
  EXPECT_TRUE(diagnostics.empty());

  // What the builder made prints and parses back into a valid module.
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  EXPECT_THAT(text, HasSubstr("mlopt.state @fc1.bias : tensor<8xf32> "
                              "parameter trainable init "
                              "#mlopt.kaiming_uniform<a = 2.2360679774997898, "
                              "fan_in = 4>"));
  EXPECT_THAT(text, HasSubstr("mlopt.sum"));
  EXPECT_THAT(text, HasSubstr("keepdim"));
  OwningOpRef<ModuleOp> reparsed =
      parseSourceString<ModuleOp>(text, ParserConfig(&context));
  ASSERT_TRUE(reparsed);
  EXPECT_TRUE(succeeded(verify(*reparsed)));
}

TEST_F(BuilderTest, BroadcastsBothOperands) {
  OwningOpRef<ModuleOp> module = newModule();
  func::FuncOp func =
      addLossFunction({f32({4, 1}), f32({8})}, {false, true}, {f32({})});
  auto sum =
      AddOp::create(builder, loc, func.getArgument(0), func.getArgument(1));
  EXPECT_EQ(sum.getType(), f32({4, 8}));
  auto reduced = SumOp::create(builder, loc, sum, ArrayRef<int64_t>{0, 1});
  EXPECT_EQ(reduced.getType(), f32({}));
  func::ReturnOp::create(builder, loc, ValueRange{reduced});
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(BuilderTest, CheckedInferenceRejectsMismatchedWeight) {
  // The inferring builders abort on operands they cannot type; a caller
  // checks first through inferReturnTypes, which reports at `loc`.
  OwningOpRef<ModuleOp> module = newModule();
  func::FuncOp func =
      addLossFunction({f32({2, 4}), f32({8, 5})}, {false, false}, {f32({})});
  Location badLoc = FileLineColLoc::get(&context, "model", 42, 7);
  SmallVector<Type> inferred;
  LinearOp::Adaptor adaptor(ValueRange{func.getArguments()});
  EXPECT_TRUE(
      failed(LinearOp::inferReturnTypes(&context, badLoc, adaptor, inferred)));
  EXPECT_TRUE(inferred.empty());
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics.front().loc, badLoc);
  EXPECT_THAT(diagnostics.front().message,
              HasSubstr("does not take inputs of size 4"));
}

TEST_F(BuilderTest, VerifierRejectsMismatchedLinearWeight) {
  OwningOpRef<ModuleOp> module = newModule();
  addParameter("fc.weight", f32({1, 5}), linearWeightInit());
  func::FuncOp func =
      addLossFunction({f32({32, 10}), f32({32, 1})}, {false, true}, {f32({})});
  auto w = StateReadOp::create(builder, loc, f32({1, 5}), "fc.weight");
  // The explicit-type builder does not check; the verifier must.
  Location linearLoc = NameLoc::get(builder.getStringAttr("fc"));
  auto pred = LinearOp::create(builder, linearLoc, f32({32, 1}),
                               func.getArgument(0), w, Value());
  auto loss = MseLossOp::create(builder, loc, pred, func.getArgument(1));
  func::ReturnOp::create(builder, loc, ValueRange{loss});

  EXPECT_TRUE(failed(verify(*module)));
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_EQ(diagnostics.front().loc, linearLoc);
  EXPECT_THAT(diagnostics.front().message,
              HasSubstr("weight 'tensor<1x5xf32>' does not take inputs of "
                        "size 10"));
}

TEST_F(BuilderTest, VerifierRejectsWrongResultType) {
  OwningOpRef<ModuleOp> module = newModule();
  func::FuncOp func =
      addLossFunction({f32({2, 4}), f32({3, 4})}, {false, false}, {f32({})});
  // Valid operands, but the result should be 2x3.
  LinearOp::create(builder, loc, f32({2, 4}), func.getArgument(0),
                   func.getArgument(1), Value());
  func::ReturnOp::create(
      builder, loc,
      ValueRange{MseLossOp::create(builder, loc, func.getArgument(0),
                                   func.getArgument(0))});
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_TRUE(sawDiagnostic("inferred type(s) 'tensor<2x3xf32>' are "
                            "incompatible with return type(s)"));
}

TEST_F(BuilderTest, VerifierRejectsNonBroadcastingAdd) {
  OwningOpRef<ModuleOp> module = newModule();
  func::FuncOp func =
      addLossFunction({f32({4, 8}), f32({4, 7})}, {false, true}, {f32({})});
  auto add = AddOp::create(builder, loc, f32({4, 8}), func.getArgument(0),
                           func.getArgument(1));
  auto total = SumOp::create(builder, loc, add, ArrayRef<int64_t>{0, 1});
  func::ReturnOp::create(builder, loc, ValueRange{total});
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_TRUE(sawDiagnostic("do not broadcast"));
}

TEST_F(BuilderTest, VerifierRejectsStateReadTypeMismatch) {
  OwningOpRef<ModuleOp> module = newModule();
  addParameter("fc.weight", f32({1, 10}), linearWeightInit());
  addLossFunction({f32({1, 10})}, {false}, {f32({})});
  // Reads the weight with its dimensions swapped.
  auto w = StateReadOp::create(builder, loc, f32({10, 1}), "fc.weight");
  auto loss = MseLossOp::create(builder, loc, w, w);
  func::ReturnOp::create(builder, loc, ValueRange{loss});
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_TRUE(sawDiagnostic("does not match the type 'tensor<1x10xf32>' of "
                            "state @fc.weight"));
}

TEST_F(BuilderTest, VerifierRejectsUnknownState) {
  OwningOpRef<ModuleOp> module = newModule();
  func::FuncOp func = addLossFunction({f32({4})}, {false}, {f32({})});
  auto w = StateReadOp::create(builder, loc, f32({4}), "missing");
  auto loss = MseLossOp::create(builder, loc, w, func.getArgument(0));
  func::ReturnOp::create(builder, loc, ValueRange{loss});
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_TRUE(sawDiagnostic("refers to unknown state @missing"));
}

TEST_F(BuilderTest, VerifierRejectsTrainableBuffer) {
  OwningOpRef<ModuleOp> module = newModule();
  StateOp::create(builder, loc, "running_mean", f32({8}), StateKind::Buffer,
                  /*trainable=*/true, ZerosInitAttr::get(&context));
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_TRUE(sawDiagnostic("only 'parameter' state can be trainable"));
}

TEST_F(BuilderTest, VerifierRejectsInitializerForType) {
  OwningOpRef<ModuleOp> module = newModule();
  // A rank-1 tensor has no computed fan_in.
  addParameter("fc.bias", f32({8}), linearWeightInit());
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_TRUE(sawDiagnostic("computes fans from a tensor of rank >= 2"));
}

TEST_F(BuilderTest, VerifierRejectsUnmarkedLossArgument) {
  OwningOpRef<ModuleOp> module = newModule();
  auto func = func::FuncOp::create(
      builder, loc, "loss",
      builder.getFunctionType({f32({4}), f32({4})}, {f32({})}));
  func->setAttr(MLOptDialect::kLossAttrName, builder.getUnitAttr());
  func.setArgAttr(0, MLOptDialect::kInputAttrName, builder.getUnitAttr());
  builder.setInsertionPointToStart(func.addEntryBlock());
  auto loss =
      MseLossOp::create(builder, loc, func.getArgument(0), func.getArgument(1));
  func::ReturnOp::create(builder, loc, ValueRange{loss});
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_TRUE(sawDiagnostic("argument #1 of the loss function must be marked "
                            "either 'mlopt.input' or 'mlopt.label'"));
}

} // namespace
