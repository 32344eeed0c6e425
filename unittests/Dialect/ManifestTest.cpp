//===- ManifestTest.cpp - the typed state manifest and state kinds --------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

class ManifestTest : public ::testing::Test {
protected:
  ManifestTest()
      : handler(&context, [this](Diagnostic &diag) {
          messages.push_back(diag.str());
          return success();
        }) {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
  }

  OwningOpRef<ModuleOp> parse(StringRef source) {
    return parseSourceString<ModuleOp>(source, &context);
  }

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type elementType) {
    return RankedTensorType::get(shape, elementType);
  }

  /// `StateEntryAttr::getChecked`, reporting into `messages`.
  StateEntryAttr entry(StringRef name, StateKind kind, RankedTensorType type,
                       bool trainable = false) {
    return StateEntryAttr::getChecked(
        [&]() { return emitError(UnknownLoc::get(&context)); }, &context, name,
        kind, type, trainable);
  }

  MLIRContext context;
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler;
};

constexpr StringLiteral kModel = R"mlir(
  mlopt.state @fc.weight : tensor<10x784xf32> parameter trainable
      init #mlopt.kaiming_uniform<a = 2.23606797749979>
  mlopt.state @fc.weight.mask : tensor<10x784xi1> mask init #mlopt.ones
  mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
  mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros
)mlir";

TEST_F(ManifestTest, TrainingStateKindsAreTheOptimizersAndCounters) {
  std::vector<std::string> model, training;
  for (uint32_t i = 0; i <= getMaxEnumValForStateKind(); ++i) {
    std::optional<StateKind> kind = symbolizeStateKind(i);
    ASSERT_TRUE(kind);
    (isTrainingStateKind(*kind) ? training : model)
        .push_back(stringifyStateKind(*kind).str());
  }
  EXPECT_THAT(
      model, ElementsAre("parameter", "buffer", "mask", "observer", "teacher"));
  EXPECT_THAT(training,
              ElementsAre("optimizer_state", "loss_scale", "step", "rng"));
}

TEST_F(ManifestTest, BuildsOneEntryPerStateInDeclarationOrder) {
  OwningOpRef<ModuleOp> module = parse(kModel);
  ASSERT_TRUE(module);
  FailureOr<ManifestAttr> manifest = buildStateManifest(*module);
  ASSERT_TRUE(succeeded(manifest));
  std::vector<std::string> names;
  for (StateEntryAttr state : *manifest)
    names.push_back(state.getName().str());
  EXPECT_THAT(names, ElementsAre("fc.weight", "fc.weight.mask", "rng",
                                 "optimizer.step"));
  EXPECT_EQ(manifest->size(), 4u);

  StateEntryAttr weight = manifest->lookup("fc.weight");
  ASSERT_TRUE(weight);
  EXPECT_EQ(weight.getKind(), StateKind::Parameter);
  EXPECT_TRUE(weight.getTrainable());
  EXPECT_THAT(weight.getShape(), ElementsAre(10, 784));
  EXPECT_TRUE(weight.getElementType().isF32());
  EXPECT_FALSE(weight.isTrainingState());

  StateEntryAttr mask = manifest->lookup("fc.weight.mask");
  ASSERT_TRUE(mask);
  EXPECT_EQ(mask.getKind(), StateKind::Mask);
  EXPECT_FALSE(mask.getTrainable());
  EXPECT_TRUE(mask.getElementType().isInteger(1));
  EXPECT_FALSE(mask.isTrainingState());

  StateEntryAttr step = manifest->lookup("optimizer.step");
  ASSERT_TRUE(step);
  EXPECT_TRUE(step.getShape().empty());
  EXPECT_TRUE(step.isTrainingState());
  EXPECT_TRUE(manifest->lookup("rng").isTrainingState());

  EXPECT_FALSE(manifest->lookup("fc.bias"));

  // The module verifies with the manifest attached, and the printed form
  // parses back to the same attribute.
  (*module)->setAttr(MLOptDialect::kManifestAttrName, *manifest);
  EXPECT_TRUE(succeeded(verify(*module))) << llvm::join(messages, "\n");
  std::string text;
  llvm::raw_string_ostream os(text);
  Attribute(*manifest).print(os);
  EXPECT_EQ(text, "#mlopt.manifest<[<\"fc.weight\", parameter, "
                  "tensor<10x784xf32>, trainable>, <\"fc.weight.mask\", mask, "
                  "tensor<10x784xi1>>, <\"rng\", rng, tensor<i64>>, "
                  "<\"optimizer.step\", step, tensor<i64>>]>");
  EXPECT_EQ(parseAttribute(text, &context), *manifest);
}

TEST_F(ManifestTest, AModuleWithoutStateHasAnEmptyManifest) {
  OwningOpRef<ModuleOp> module = parse("");
  ASSERT_TRUE(module);
  FailureOr<ManifestAttr> manifest = buildStateManifest(*module);
  ASSERT_TRUE(succeeded(manifest));
  EXPECT_TRUE(manifest->empty());
}

TEST_F(ManifestTest, AStateTheRuntimeCannotHoldFailsAtTheState) {
  OwningOpRef<ModuleOp> module =
      parse("mlopt.state @h : tensor<2xi16> buffer init #mlopt.zeros");
  ASSERT_TRUE(module);
  EXPECT_TRUE(failed(buildStateManifest(*module)));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages[0], HasSubstr("state entry 'h' has element type 'i16'"));
}

TEST_F(ManifestTest, EntryVerifierRejectsWhatTheRuntimeCannotUse) {
  Builder b(&context);
  EXPECT_TRUE(entry("w", StateKind::Parameter, tensor({2}, b.getF32Type()),
                    /*trainable=*/true));
  EXPECT_TRUE(messages.empty());

  EXPECT_FALSE(entry("", StateKind::Parameter, tensor({2}, b.getF32Type())));
  EXPECT_FALSE(entry("w", StateKind::Parameter,
                     tensor({ShapedType::kDynamic}, b.getF32Type())));
  EXPECT_FALSE(
      entry("w", StateKind::Buffer, tensor({2}, b.getIntegerType(16))));
  EXPECT_FALSE(entry("w", StateKind::OptimizerState,
                     tensor({2}, b.getF32Type()), /*trainable=*/true));
  EXPECT_FALSE(entry("w", StateKind::Parameter,
                     tensor({2}, b.getIntegerType(8)), /*trainable=*/true));
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_THAT(messages[0], HasSubstr("non-empty name"));
  EXPECT_THAT(messages[1], HasSubstr("static shape"));
  EXPECT_THAT(messages[2], HasSubstr("element type 'i16'"));
  EXPECT_THAT(messages[3],
              HasSubstr("only 'parameter' state can be trainable"));
  EXPECT_THAT(messages[4], HasSubstr("floating-point element type"));
}

TEST_F(ManifestTest, ManifestVerifierRejectsDuplicateNames) {
  Builder b(&context);
  StateEntryAttr w =
      entry("w", StateKind::Parameter, tensor({2}, b.getF32Type()));
  StateEntryAttr alsoW =
      entry("w", StateKind::Buffer, tensor({3}, b.getF32Type()));
  ASSERT_TRUE(w && alsoW);
  EXPECT_FALSE(ManifestAttr::getChecked(
      [&]() { return emitError(UnknownLoc::get(&context)); }, &context,
      ArrayRef<StateEntryAttr>{w, alsoW}));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages[0], HasSubstr("manifest lists state 'w' twice"));
}

TEST_F(ManifestTest, ModuleVerifierChecksTheManifestAgainstTheStates) {
  OwningOpRef<ModuleOp> module = parse(kModel);
  ASSERT_TRUE(module);
  FailureOr<ManifestAttr> manifest = buildStateManifest(*module);
  ASSERT_TRUE(succeeded(manifest));
  (*module)->setAttr(MLOptDialect::kManifestAttrName, *manifest);
  ASSERT_TRUE(succeeded(verify(*module)));

  // A state added after the manifest was written is reported at the state.
  auto builder = OpBuilder::atBlockEnd(module->getBody());
  auto extra = StateOp::create(
      builder, FileLineColLoc::get(&context, "model", 7, 3), "extra",
      RankedTensorType::get({2}, builder.getF32Type()), StateKind::Buffer,
      /*trainable=*/false, ZerosInitAttr::get(&context));
  EXPECT_TRUE(failed(verify(*module)));
  ASSERT_FALSE(messages.empty());
  EXPECT_THAT(messages.back(),
              HasSubstr("is missing from the module's 'mlopt.manifest'"));

  // Once the states are gone (externalized), the manifest is their record.
  messages.clear();
  extra.erase();
  for (StateOp state : llvm::make_early_inc_range(module->getOps<StateOp>()))
    state.erase();
  EXPECT_TRUE(succeeded(verify(*module))) << llvm::join(messages, "\n");
}

} // namespace
