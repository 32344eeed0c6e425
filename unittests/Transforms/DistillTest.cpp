//===- DistillTest.cpp - the C++ API of mlopt-distill ---------------------===//
//
// distillModel merges a teacher whose tensors are given as attributes (no
// files), exactly like the pass: teacher states holding the given values,
// the loss terms as train-only metrics, and one error listing every
// mismatch of the given tensors; the teacher module is left unchanged and
// a failed call leaves the student unchanged. readTeacherCheckpoint reads
// the same tensors from a safetensors file.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Transforms/Distill.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Runtime/Checkpoint.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;

namespace {

constexpr const char *kTeacher = R"mlir(
mlopt.state @fc.weight : tensor<1x3xf32> parameter trainable init #mlopt.zeros
mlopt.state @fc.bias : tensor<1xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<4x3xf32>, tensor<1x3xf32>, tensor<1xf32>) -> tensor<4x1xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<4x1xf32>, tensor<4x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
)mlir";

// The same model as the student.
constexpr const char *kStudent = kTeacher;

class DistillTest : public ::testing::Test {
protected:
  DistillTest() {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        &context, [this](Diagnostic &diag) {
          diagnostics += diag.str() + "\n";
          return success();
        });
  }

  OwningOpRef<ModuleOp> parse(const char *text) {
    return parseSourceString<ModuleOp>(text, &context);
  }

  static std::string print(Operation *op) {
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os);
    return text;
  }

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, Float32Type::get(&context));
  }

  MLIRContext context;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::string diagnostics;
};

TEST_F(DistillTest, MergesATeacherFromAttributes) {
  OwningOpRef<ModuleOp> student = parse(kStudent);
  OwningOpRef<ModuleOp> teacher = parse(kTeacher);
  ASSERT_TRUE(student && teacher);
  std::string teacherBefore = print(*teacher);

  TeacherTensors tensors;
  auto weight = DenseElementsAttr::get(f32({1, 3}), ArrayRef<float>{1, 2, 3});
  auto bias = DenseElementsAttr::get(f32({1}), ArrayRef<float>{0.5f});
  tensors["fc.weight"] = weight;
  tensors["fc.bias"] = bias;
  DistillOptions options;
  options.mode = DistillMode::Regression;
  options.alpha = 1.0;
  ASSERT_TRUE(succeeded(distillModel(*student, *teacher, tensors, options)))
      << diagnostics;
  EXPECT_TRUE(succeeded(verify(*student)));
  EXPECT_EQ(print(*teacher), teacherBefore);

  SymbolTable symbols(*student);
  auto teacherWeight = symbols.lookup<StateOp>("teacher.fc.weight");
  ASSERT_TRUE(teacherWeight);
  EXPECT_EQ(teacherWeight.getKind(), StateKind::Teacher);
  EXPECT_FALSE(teacherWeight.getTrainable());
  EXPECT_EQ(cast<ValueInitAttr>(teacherWeight.getInitializer()).getValue(),
            weight);
  auto teacherBias = symbols.lookup<StateOp>("teacher.fc.bias");
  ASSERT_TRUE(teacherBias);
  EXPECT_EQ(cast<ValueInitAttr>(teacherBias.getInitializer()).getValue(), bias);

  auto loss = symbols.lookup<func::FuncOp>("loss");
  ASSERT_EQ(loss.getNumResults(), 3u);
  auto metric = [&](unsigned i) {
    return loss.getResultAttrOfType<StringAttr>(i,
                                                MLOptDialect::kMetricAttrName);
  };
  EXPECT_EQ(metric(1).getValue(), "student_loss");
  EXPECT_EQ(metric(2).getValue(), "distill_loss");
  EXPECT_TRUE(loss.getResultAttr(1, MLOptDialect::kTrainOnlyAttrName));
  EXPECT_TRUE(loss.getResultAttr(2, MLOptDialect::kTrainOnlyAttrName));
  auto ret = cast<func::ReturnOp>(loss.front().getTerminator());
  auto select = ret.getOperand(0).getDefiningOp<ModeSelectOp>();
  ASSERT_TRUE(select);
  // alpha = 1: the total is the distillation term itself.
  EXPECT_EQ(select.getTraining(), ret.getOperand(2));
  EXPECT_EQ(select.getEvaluation(), ret.getOperand(1));
  EXPECT_TRUE(ret.getOperand(2).getDefiningOp<MseLossOp>());
}

TEST_F(DistillTest, ListsEveryMismatchOfTheTensorsAndLeavesTheStudent) {
  OwningOpRef<ModuleOp> student = parse(kStudent);
  OwningOpRef<ModuleOp> teacher = parse(kTeacher);
  ASSERT_TRUE(student && teacher);
  std::string studentBefore = print(*student);
  TeacherTensors tensors;
  tensors["fc.weight"] =
      DenseElementsAttr::get(f32({3, 1}), ArrayRef<float>{1, 2, 3});
  DistillOptions options;
  options.mode = DistillMode::Regression;
  EXPECT_TRUE(failed(distillModel(*student, *teacher, tensors, options)));
  EXPECT_NE(diagnostics.find("(2 mismatches)"), std::string::npos)
      << diagnostics;
  EXPECT_NE(diagnostics.find("the value of @fc.weight is tensor<3x1xf32>, "
                             "expected tensor<1x3xf32>"),
            std::string::npos)
      << diagnostics;
  EXPECT_NE(diagnostics.find("no value for @fc.bias (tensor<1xf32>)"),
            std::string::npos)
      << diagnostics;
  EXPECT_EQ(print(*student), studentBefore);
}

TEST_F(DistillTest, RejectsBadOptionsAtTheModule) {
  OwningOpRef<ModuleOp> student = parse(kStudent);
  OwningOpRef<ModuleOp> teacher = parse(kTeacher);
  ASSERT_TRUE(student && teacher);
  DistillOptions options;
  options.temperature = -1.0;
  EXPECT_TRUE(failed(distillModel(*student, *teacher, {}, options)));
  EXPECT_NE(diagnostics.find("temperature must be > 0, got -1"),
            std::string::npos)
      << diagnostics;
  EXPECT_EQ(parseDistillMode("feature"), DistillMode::Feature);
  EXPECT_EQ(parseDistillMode("hard"), std::nullopt);
  EXPECT_EQ(parseDistillProjection("never"), DistillProjection::Never);
  EXPECT_EQ(parseDistillProjection("maybe"), std::nullopt);
}

TEST_F(DistillTest, ReadsTheTeachersTensorsFromACheckpoint) {
  OwningOpRef<ModuleOp> teacher = parse(kTeacher);
  ASSERT_TRUE(teacher);
  llvm::SmallString<128> path;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("distill", "safetensors", path));
  std::vector<float> weight = {1, 2, 3}, bias = {0.5f};
  std::vector<float> extra = {7};
  auto bytes = [](const std::vector<float> &values) {
    return ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(values.data()),
                             values.size() * sizeof(float));
  };
  std::vector<runtime::TensorRef> refs = {
      {{"fc.weight", runtime::DType::F32, {1, 3}}, bytes(weight)},
      {{"fc.bias", runtime::DType::F32, {1}}, bytes(bias)},
      // Not the teacher's: ignored.
      {{"optimizer.fc.bias.exp_avg", runtime::DType::F32, {1}}, bytes(extra)},
  };
  if (llvm::Error error = runtime::writeSafetensors(path, refs, {}))
    FAIL() << llvm::toString(std::move(error));
  FailureOr<TeacherTensors> tensors =
      readTeacherCheckpoint(*teacher, path, UnknownLoc::get(&context));
  llvm::sys::fs::remove(path);
  ASSERT_TRUE(succeeded(tensors)) << diagnostics;
  EXPECT_EQ(tensors->size(), 2u);
  EXPECT_EQ(tensors->lookup("fc.weight"),
            DenseElementsAttr::get(f32({1, 3}), ArrayRef<float>{1, 2, 3}));
  EXPECT_EQ(tensors->lookup("fc.bias"),
            DenseElementsAttr::get(f32({1}), ArrayRef<float>{0.5f}));
}

} // namespace
