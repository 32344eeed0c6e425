//===- DistillDifferentialTest.cpp - distillation losses, compiled
//---------===//
//
// The three losses of mlopt-distill (Passes.td, docs/Distillation.md),
// written by hand as the pass writes them, through mlopt-autodiff:
// - soft: alpha * T^2 * kl_div(log_softmax(s / T), softmax(t / T))
//   (batchmean) + (1 - alpha) * cross_entropy(s, y);
// - regression: alpha * mse_loss(s, t) + (1 - alpha) * mse_loss(s, y);
// - feature: cross_entropy(s, y) + hint_weight * mse_loss(a P^T, b) on the
//   tapped (mlopt.tap) student feature a and teacher feature b, with the
//   learned projection P;
// each returned as mode_select(total, student_loss) with the metrics
// student_loss and distill_loss. The student's tensors are trainable
// parameters, the teacher's of kind teacher. @train_step compiled for the
// CPU must agree with the reference evaluator (loss, metrics, every
// gradient), and the reference's loss and gradients with the closed forms
// computed here in double:
//   soft:       d/ds = alpha T (softmax(s/T) - softmax(t/T)) / N
//                      + (1 - alpha) (softmax(s) - onehot(y)) / N
//   regression: d/ds = 2 alpha (s - t) / (N K) + 2 (1 - alpha) (s - y) / (N K)
//   feature:    d/ds = (softmax(s) - onehot(y)) / N,
//               d/da = 2 w (a P^T - b) P / (N W),
//               d/dP = 2 w (a P^T - b)^T a / (N W).
// The teacher gets no gradient. Through the whole training pipeline,
// @eval_step returns the student's own loss (mode_select's evaluation
// value). f64 (the closed forms to 1e-12) and f32 (1e-5).
//
//===----------------------------------------------------------------------===//

#include "CompiledTestFixture.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"
#include "mlopt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include "gtest/gtest.h"

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using reference::Tensor;
using testutil::copyToHost;
using testutil::hostElement;

namespace {

constexpr int64_t kRows = 4;
constexpr double kAlpha = 0.7, kTemperature = 2.5, kHintWeight = 0.6;

/// A row-major matrix of doubles.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> values;
  double &at(int64_t i, int64_t j) { return values[i * cols + j]; }
  double at(int64_t i, int64_t j) const { return values[i * cols + j]; }
};

Matrix zeros(int64_t rows, int64_t cols) {
  return {rows, cols, std::vector<double>(rows * cols, 0.0)};
}

/// softmax(x / scale) of every row.
Matrix softmaxRows(const Matrix &x, double scale) {
  Matrix result = zeros(x.rows, x.cols);
  for (int64_t i = 0; i < x.rows; ++i) {
    double max = -INFINITY;
    for (int64_t j = 0; j < x.cols; ++j)
      max = std::max(max, x.at(i, j) / scale);
    double sum = 0;
    for (int64_t j = 0; j < x.cols; ++j)
      sum += result.at(i, j) = std::exp(x.at(i, j) / scale - max);
    for (int64_t j = 0; j < x.cols; ++j)
      result.at(i, j) /= sum;
  }
  return result;
}

/// Mean over the rows of -log softmax(s)[y].
double crossEntropy(const Matrix &s, const std::vector<int64_t> &y) {
  Matrix p = softmaxRows(s, 1.0);
  double sum = 0;
  for (int64_t i = 0; i < s.rows; ++i)
    sum -= std::log(p.at(i, y[i]));
  return sum / s.rows;
}

/// d crossEntropy / d s = (softmax(s) - onehot(y)) / N.
Matrix crossEntropyGrad(const Matrix &s, const std::vector<int64_t> &y) {
  Matrix g = softmaxRows(s, 1.0);
  for (int64_t i = 0; i < s.rows; ++i) {
    g.at(i, y[i]) -= 1.0;
    for (int64_t j = 0; j < s.cols; ++j)
      g.at(i, j) /= s.rows;
  }
  return g;
}

double meanSquaredError(const Matrix &a, const Matrix &b) {
  double sum = 0;
  for (size_t i = 0; i < a.values.size(); ++i)
    sum += (a.values[i] - b.values[i]) * (a.values[i] - b.values[i]);
  return sum / a.values.size();
}

/// The closed forms of one case: the total loss, the two metrics and the
/// gradient of each student tensor.
struct ClosedForm {
  double loss = 0, studentLoss = 0, distillLoss = 0;
  std::map<std::string, Matrix> gradients;
};

/// A distillation loss written by hand and its closed forms.
struct LossCase {
  std::string label;
  /// The loss function's body after the state reads, defining %student,
  /// %distill and %total; `E` stands for the element type.
  std::string body;
  /// The trainable (student) and teacher matrices, with their values.
  std::map<std::string, Matrix> students, teachers;
  /// Class labels (soft, feature) or float targets (regression).
  std::vector<int64_t> labels;
  Matrix targets;
  std::function<ClosedForm(const LossCase &)> closedForm;
};

/// `count` multiples of 1/32 in [-2, 2]: exact in f32, printed exactly.
std::vector<double> sampleValues(int64_t count, std::mt19937_64 &rng) {
  std::uniform_int_distribution<int> dist(-64, 64);
  std::vector<double> values(count);
  for (double &value : values)
    value = dist(rng) / 32.0;
  return values;
}

Matrix sampleMatrix(int64_t rows, int64_t cols, std::mt19937_64 &rng) {
  return {rows, cols, sampleValues(rows * cols, rng)};
}

/// `text` with every `from` replaced by `to`.
std::string replaceAll(std::string text, llvm::StringRef from,
                       llvm::StringRef to) {
  for (size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to.str());
  return text;
}

std::string number(double value) {
  return llvm::formatv("{0:e16}", value).str();
}

LossCase softCase(std::mt19937_64 &rng) {
  LossCase c;
  c.label = "soft";
  c.students["s"] = sampleMatrix(kRows, 5, rng);
  c.teachers["teacher.t"] = sampleMatrix(kRows, 5, rng);
  c.labels = {1, 4, 0, 2};
  c.body = R"(
  %student = mlopt.cross_entropy %s, %y : (tensor<4x5xE>, tensor<4xi64>) -> tensor<E>
  %temp = mlopt.constant dense<TEMP> : tensor<E>
  %s_t = mlopt.div %s, %temp : (tensor<4x5xE>, tensor<E>) -> tensor<4x5xE>
  %t_t = mlopt.div %teacher.t, %temp : (tensor<4x5xE>, tensor<E>) -> tensor<4x5xE>
  %logp = mlopt.log_softmax %s_t dim = -1 : tensor<4x5xE>
  %q = mlopt.softmax %t_t dim = -1 : tensor<4x5xE>
  %distill = mlopt.kl_div %logp, %q reduction = batchmean
      : (tensor<4x5xE>, tensor<4x5xE>) -> tensor<E>
  %wd = mlopt.constant dense<WD> : tensor<E>
  %ws = mlopt.constant dense<WS> : tensor<E>
  %d_w = mlopt.mul %wd, %distill : tensor<E>
  %s_w = mlopt.mul %ws, %student : tensor<E>
  %total = mlopt.add %d_w, %s_w : tensor<E>
)";
  c.body = replaceAll(c.body, "TEMP", number(kTemperature));
  c.body =
      replaceAll(c.body, "WD", number(kAlpha * kTemperature * kTemperature));
  c.body = replaceAll(c.body, "WS", number(1 - kAlpha));
  c.closedForm = [](const LossCase &c) {
    const Matrix &s = c.students.at("s");
    const Matrix &t = c.teachers.at("teacher.t");
    Matrix ps = softmaxRows(s, kTemperature), pt = softmaxRows(t, kTemperature);
    ClosedForm e;
    double kl = 0;
    for (int64_t i = 0; i < s.rows; ++i)
      for (int64_t j = 0; j < s.cols; ++j)
        kl += pt.at(i, j) * (std::log(pt.at(i, j)) - std::log(ps.at(i, j)));
    e.distillLoss = kl / s.rows;
    e.studentLoss = crossEntropy(s, c.labels);
    e.loss = kAlpha * kTemperature * kTemperature * e.distillLoss +
             (1 - kAlpha) * e.studentLoss;
    Matrix g = crossEntropyGrad(s, c.labels);
    for (int64_t i = 0; i < s.rows; ++i)
      for (int64_t j = 0; j < s.cols; ++j)
        g.at(i, j) =
            kAlpha * kTemperature * (ps.at(i, j) - pt.at(i, j)) / s.rows +
            (1 - kAlpha) * g.at(i, j);
    e.gradients["s"] = g;
    return e;
  };
  return c;
}

LossCase regressionCase(std::mt19937_64 &rng) {
  LossCase c;
  c.label = "regression";
  c.students["s"] = sampleMatrix(kRows, 3, rng);
  c.teachers["teacher.t"] = sampleMatrix(kRows, 3, rng);
  c.targets = sampleMatrix(kRows, 3, rng);
  c.body = R"(
  %student = mlopt.mse_loss %s, %y : (tensor<4x3xE>, tensor<4x3xE>) -> tensor<E>
  %distill = mlopt.mse_loss %s, %teacher.t : (tensor<4x3xE>, tensor<4x3xE>) -> tensor<E>
  %wd = mlopt.constant dense<WD> : tensor<E>
  %ws = mlopt.constant dense<WS> : tensor<E>
  %d_w = mlopt.mul %wd, %distill : tensor<E>
  %s_w = mlopt.mul %ws, %student : tensor<E>
  %total = mlopt.add %d_w, %s_w : tensor<E>
)";
  c.body = replaceAll(c.body, "WD", number(kAlpha));
  c.body = replaceAll(c.body, "WS", number(1 - kAlpha));
  c.closedForm = [](const LossCase &c) {
    const Matrix &s = c.students.at("s");
    const Matrix &t = c.teachers.at("teacher.t");
    ClosedForm e;
    e.distillLoss = meanSquaredError(s, t);
    e.studentLoss = meanSquaredError(s, c.targets);
    e.loss = kAlpha * e.distillLoss + (1 - kAlpha) * e.studentLoss;
    Matrix g = zeros(s.rows, s.cols);
    double n = static_cast<double>(s.values.size());
    for (size_t i = 0; i < g.values.size(); ++i)
      g.values[i] = 2 * kAlpha * (s.values[i] - t.values[i]) / n +
                    2 * (1 - kAlpha) * (s.values[i] - c.targets.values[i]) / n;
    e.gradients["s"] = g;
    return e;
  };
  return c;
}

LossCase featureCase(std::mt19937_64 &rng) {
  LossCase c;
  c.label = "feature";
  c.students["s"] = sampleMatrix(kRows, 5, rng);
  c.students["a"] = sampleMatrix(kRows, 3, rng);
  c.students["p"] = sampleMatrix(6, 3, rng);
  c.teachers["teacher.b"] = sampleMatrix(kRows, 6, rng);
  c.labels = {3, 0, 4, 4};
  c.body = R"(
  %a_tap = mlopt.tap "hidden" %a : tensor<4x3xE>
  %b_tap = mlopt.tap "hidden" %teacher.b : tensor<4x6xE>
  %student = mlopt.cross_entropy %s, %y : (tensor<4x5xE>, tensor<4xi64>) -> tensor<E>
  %proj = mlopt.linear %a_tap, %p : (tensor<4x3xE>, tensor<6x3xE>) -> tensor<4x6xE>
  %distill = mlopt.mse_loss %proj, %b_tap : (tensor<4x6xE>, tensor<4x6xE>) -> tensor<E>
  %w = mlopt.constant dense<HW> : tensor<E>
  %d_w = mlopt.mul %w, %distill : tensor<E>
  %total = mlopt.add %student, %d_w : tensor<E>
)";
  c.body = replaceAll(c.body, "HW", number(kHintWeight));
  c.closedForm = [](const LossCase &c) {
    const Matrix &s = c.students.at("s"), &a = c.students.at("a"),
                 &p = c.students.at("p"), &b = c.teachers.at("teacher.b");
    Matrix diff = zeros(a.rows, p.rows); // a P^T - b
    for (int64_t i = 0; i < a.rows; ++i)
      for (int64_t j = 0; j < p.rows; ++j) {
        double sum = 0;
        for (int64_t k = 0; k < a.cols; ++k)
          sum += a.at(i, k) * p.at(j, k);
        diff.at(i, j) = sum - b.at(i, j);
      }
    ClosedForm e;
    e.studentLoss = crossEntropy(s, c.labels);
    e.distillLoss = meanSquaredError(diff, zeros(diff.rows, diff.cols));
    e.loss = e.studentLoss + kHintWeight * e.distillLoss;
    double scale = 2 * kHintWeight / static_cast<double>(diff.values.size());
    Matrix ga = zeros(a.rows, a.cols), gp = zeros(p.rows, p.cols);
    for (int64_t i = 0; i < a.rows; ++i)
      for (int64_t j = 0; j < p.rows; ++j)
        for (int64_t k = 0; k < a.cols; ++k) {
          ga.at(i, k) += scale * diff.at(i, j) * p.at(j, k);
          gp.at(j, k) += scale * diff.at(i, j) * a.at(i, k);
        }
    e.gradients["s"] = crossEntropyGrad(s, c.labels);
    e.gradients["a"] = ga;
    e.gradients["p"] = gp;
    return e;
  };
  return c;
}

std::string tensorType(const Matrix &m, llvm::StringRef element) {
  return llvm::formatv("tensor<{0}x{1}x{2}>", m.rows, m.cols, element).str();
}

std::string denseValue(const Matrix &m, llvm::StringRef element) {
  std::vector<std::string> rows;
  for (int64_t i = 0; i < m.rows; ++i) {
    std::vector<std::string> row;
    for (int64_t j = 0; j < m.cols; ++j)
      row.push_back(number(m.at(i, j)));
    rows.push_back("[" + llvm::join(row, ", ") + "]");
  }
  return "#mlopt.value<dense<[" + llvm::join(rows, ", ") +
         "]> : " + tensorType(m, element) + ">";
}

/// The model of `c` with element type `element`: every tensor a state with
/// its value, the loss returning mode_select(total, student) and the two
/// metrics.
std::string buildModule(const LossCase &c, llvm::StringRef element) {
  std::string text;
  std::string reads;
  auto addState = [&](const std::string &name, const Matrix &m,
                      llvm::StringRef kind) {
    text += "mlopt.state @" + name + " : " + tensorType(m, element) + " " +
            kind.str() + " init " + denseValue(m, element) + "\n";
    reads += "  %" + name + " = mlopt.state_read @" + name + " : " +
             tensorType(m, element) + "\n";
  };
  for (const auto &[name, m] : c.students)
    addState(name, m, "parameter trainable");
  for (const auto &[name, m] : c.teachers)
    addState(name, m, "teacher");
  if (c.labels.empty()) {
    addState("y", c.targets, "buffer");
  } else {
    std::vector<std::string> labels;
    for (int64_t label : c.labels)
      labels.push_back(std::to_string(label));
    text += llvm::formatv("mlopt.state @y : tensor<{0}xi64> buffer init "
                          "#mlopt.value<dense<[{1}]> : tensor<{0}xi64>>\n",
                          c.labels.size(), llvm::join(labels, ", "))
                .str();
    reads += llvm::formatv("  %y = mlopt.state_read @y : tensor<{0}xi64>\n",
                           c.labels.size())
                 .str();
  }
  std::string scalar = "tensor<" + element.str() + ">";
  text += "func.func @loss() -> (" + scalar + ", " + scalar +
          " {mlopt.metric = \"student_loss\"}, " + scalar +
          " {mlopt.metric = \"distill_loss\"}) attributes {mlopt.loss} {\n";
  text += reads;
  text += replaceAll(c.body, "xE>", "x" + element.str() + ">");
  text = replaceAll(text, "tensor<E>", scalar);
  text += "  %loss = mlopt.mode_select %total, %student : " + scalar + "\n";
  text += "  return %loss, %student, %distill : " + scalar + ", " + scalar +
          ", " + scalar + "\n}\n";
  return text;
}

struct Param {
  std::string label;
  std::function<LossCase(std::mt19937_64 &)> make;
  std::string element;
};

class DistillDifferentialTest
    : public testutil::CompiledTest<::testing::TestWithParam<Param>> {
protected:
  DistillDifferentialTest() : CompiledTest("mlopt-distill-differential") {}

  /// The relative tolerance of `element` (and the absolute one, the same).
  static double tolerance(llvm::StringRef element) {
    return element == "f64" ? 1e-12 : 1e-5;
  }

  static void expectClose(double actual, double expected, double tol,
                          const std::string &what) {
    EXPECT_LE(std::fabs(actual - expected), tol + tol * std::fabs(expected))
        << what << ": " << actual << " vs " << expected;
  }
};

TEST_P(DistillDifferentialTest, LossAndGradientMatchReferenceAndFormula) {
  const Param &param = GetParam();
  std::mt19937_64 rng(20261201);
  LossCase c = param.make(rng);
  std::string source = buildModule(c, param.element);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(module) << messages << source;
  OwningOpRef<ModuleOp> pipelined(module->clone());

  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createMLOptAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module))) << messages << source;

  reference::Evaluator evaluator(*module);
  reference::StateMap state;
  ASSERT_TRUE(succeeded(evaluator.initializeState(0, state))) << messages;
  std::unique_ptr<CpuExecutable> exec = compile(*module);
  ASSERT_TRUE(exec);
  for (const auto &[name, tensor] : state) {
    HostBuffer *buffer = exec->getState(name);
    ASSERT_TRUE(buffer) << "no state buffer @" << name;
    copyToHost(tensor, *buffer);
  }
  FailureOr<SmallVector<Tensor>> expected =
      evaluator.call("train_step", {}, state);
  ASSERT_TRUE(succeeded(expected)) << messages << source;
  auto actual = exec->call("train_step", {});
  ASSERT_TRUE(bool(actual)) << llvm::toString(actual.takeError());
  ASSERT_EQ(actual->size(), expected->size());

  // What each result of @train_step is: the loss, the metrics by name, the
  // gradients by the state they belong to.
  auto trainStep = module->lookupSymbol<func::FuncOp>("train_step");
  ASSERT_TRUE(trainStep);
  std::map<std::string, unsigned> results;
  for (unsigned i = 1; i < trainStep.getNumResults(); ++i) {
    if (auto of = trainStep.getResultAttrOfType<FlatSymbolRefAttr>(
            i, MLOptDialect::kGradOfAttrName))
      results["d/d " + of.getValue().str()] = i;
    else if (auto metric = trainStep.getResultAttrOfType<StringAttr>(
                 i, MLOptDialect::kMetricAttrName))
      results[metric.str()] = i;
  }
  ClosedForm formula = c.closedForm(c);
  ASSERT_EQ(results.size(), 2 + formula.gradients.size())
      << "the metrics and one gradient per student tensor, none for the "
         "teacher";
  ASSERT_TRUE(results.count("student_loss") && results.count("distill_loss"));

  double tol = tolerance(param.element);
  // Compiled against the reference, every element of every result.
  for (unsigned i = 0, e = expected->size(); i < e; ++i) {
    const Tensor &ref = (*expected)[i];
    ASSERT_EQ((*actual)[i].getType(), ref.getType()) << "result #" << i;
    for (int64_t k = 0, n = ref.getNumElements(); k < n; ++k)
      expectClose(hostElement((*actual)[i], k), ref.getAsDouble(k), tol,
                  "result #" + std::to_string(i) + " element " +
                      std::to_string(k) + " (cpu vs reference)");
  }
  // The reference against the closed forms.
  expectClose((*expected)[0].getAsDouble(0), formula.loss, tol, "loss");
  expectClose((*expected)[results["student_loss"]].getAsDouble(0),
              formula.studentLoss, tol, "student_loss");
  expectClose((*expected)[results["distill_loss"]].getAsDouble(0),
              formula.distillLoss, tol, "distill_loss");
  for (const auto &[name, gradient] : formula.gradients) {
    auto it = results.find("d/d " + name);
    ASSERT_NE(it, results.end()) << "no gradient of @" << name;
    const Tensor &ref = (*expected)[it->second];
    ASSERT_EQ(ref.getNumElements(),
              static_cast<int64_t>(gradient.values.size()));
    for (size_t k = 0; k < gradient.values.size(); ++k)
      expectClose(ref.getAsDouble(k), gradient.values[k], tol,
                  "d loss / d " + name + " element " + std::to_string(k));
  }

  // Through the whole pipeline, @eval_step's loss is the student's own.
  PassManager full(&context, ModuleOp::getOperationName());
  full.addPass(createMLOptAutodiff());
  full.addPass(createMLOptOptimizer());
  full.addPass(createMLOptEntryPoints());
  ASSERT_TRUE(succeeded(full.run(*pipelined))) << messages << source;
  reference::Evaluator pipelinedEvaluator(*pipelined);
  reference::StateMap evalState;
  ASSERT_TRUE(succeeded(pipelinedEvaluator.initializeState(0, evalState)))
      << messages;
  FailureOr<SmallVector<Tensor>> evaluated =
      pipelinedEvaluator.call("eval_step", {}, evalState);
  ASSERT_TRUE(succeeded(evaluated)) << messages;
  expectClose((*evaluated)[0].getAsDouble(0), formula.studentLoss, tol,
              "eval_step loss");
  std::unique_ptr<CpuExecutable> pipelinedExec = compile(*pipelined);
  ASSERT_TRUE(pipelinedExec);
  for (const auto &[name, tensor] : evalState)
    if (HostBuffer *buffer = pipelinedExec->getState(name))
      copyToHost(tensor, *buffer);
  auto compiledEval = pipelinedExec->call("eval_step", {});
  ASSERT_TRUE(bool(compiledEval)) << llvm::toString(compiledEval.takeError());
  expectClose(hostElement((*compiledEval)[0], 0), formula.studentLoss, tol,
              "compiled eval_step loss");
}

std::vector<Param> allParams() {
  std::vector<Param> params;
  for (const char *element : {"f64", "f32"}) {
    params.push_back({std::string("Soft_") + element, softCase, element});
    params.push_back(
        {std::string("Regression_") + element, regressionCase, element});
    params.push_back({std::string("Feature_") + element, featureCase, element});
  }
  return params;
}

INSTANTIATE_TEST_SUITE_P(Losses, DistillDifferentialTest,
                         ::testing::ValuesIn(allParams()),
                         [](const ::testing::TestParamInfo<Param> &info) {
                           return info.param.label;
                         });

} // namespace
