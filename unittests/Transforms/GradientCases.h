//===- GradientCases.h - Gradient test cases for every differentiable op -===//
//
// The case table shared by GradientCheckTest (VJPs against finite
// differences) and GradientDifferentialTest (VJPs compiled for the CPU
// against the reference evaluator): for every differentiable op, a tiny model
// whose trainable f64 states are the op's float inputs and whose loss is
// sum(op(...) * weights), with @weights a non-trainable buffer.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_UNITTESTS_TRANSFORMS_GRADIENTCASES_H
#define MLOPT_UNITTESTS_TRANSFORMS_GRADIENTCASES_H

#include "mlopt/Reference/Evaluator.h"

#include "mlir/AsmParser/AsmParser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace mlir::mlopt::gradient_cases {

using llvm::StringRef;

using Shape = std::vector<int64_t>;

/// `tensor<2x3xf64>`.
inline std::string tensorType(const Shape &shape,
                              StringRef elementType = "f64") {
  std::string text = "tensor<";
  for (int64_t size : shape)
    text += std::to_string(size) + "x";
  return text + elementType.str() + ">";
}

inline std::string T(const Shape &shape) { return tensorType(shape); }

/// One trainable state: an input of the op under test.
struct Input {
  std::string name;
  Shape shape;
  double low = -1.0, high = 1.0;
  /// Magnitude in [low, high] with a random sign: keeps away from kinks at 0.
  bool randomSign = false;
  std::string elementType = "f64";
};

struct GradCase {
  /// The test's name.
  std::string label;
  /// The op whose VJP is checked, e.g. "mlopt.add".
  std::string op;
  std::vector<Input> inputs;
  /// Lines computing `%y` from `%<input name>`.
  std::string body;
  Shape resultShape;
  /// Finite-difference step; values are multiples of `quantum` when set
  /// (so f32 states and their perturbations are exact).
  double step = 1e-6;
  double quantum = 0.0;
};

inline std::ostream &operator<<(std::ostream &os, const GradCase &c) {
  return os << c.label;
}

/// The model: the inputs and the weights as states, loss = sum(y * weights).
inline std::string buildModule(const GradCase &c) {
  std::string text;
  for (const Input &input : c.inputs)
    text += "mlopt.state @" + input.name + " : " +
            tensorType(input.shape, input.elementType) +
            " parameter trainable init #mlopt.zeros\n";
  std::string resultType = T(c.resultShape);
  text +=
      "mlopt.state @weights : " + resultType + " buffer init #mlopt.zeros\n";
  text += "func.func @loss() -> tensor<f64> attributes {mlopt.loss} {\n";
  for (const Input &input : c.inputs)
    text += "  %" + input.name + " = mlopt.state_read @" + input.name + " : " +
            tensorType(input.shape, input.elementType) + "\n";
  text += c.body + "\n";
  text += "  %weights = mlopt.state_read @weights : " + resultType + "\n";
  text += "  %weighted = mlopt.mul %y, %weights : " + resultType + "\n";
  if (c.resultShape.empty()) {
    text += "  return %weighted : tensor<f64>\n}\n";
    return text;
  }
  std::vector<std::string> dims;
  for (size_t i = 0; i < c.resultShape.size(); ++i)
    dims.push_back(std::to_string(i));
  text += "  %loss = mlopt.sum %weighted dims = [" + llvm::join(dims, ", ") +
          "] : " + resultType + " -> tensor<f64>\n";
  text += "  return %loss : tensor<f64>\n}\n";
  return text;
}

inline int64_t numElements(const Shape &shape) {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  return count;
}

//===----------------------------------------------------------------------===//
// The cases
//===----------------------------------------------------------------------===//

inline std::vector<GradCase> unaryCases() {
  struct Unary {
    const char *mnemonic;
    double low, high;
    bool randomSign;
  };
  const Unary unaries[] = {
      {"neg", -1, 1, false},     {"exp", -1, 1, false},
      {"log", 0.5, 2, false},    {"sqrt", 0.5, 2, false},
      {"rsqrt", 0.5, 2, false},  {"relu", 0.1, 1, true},
      {"sigmoid", -2, 2, false}, {"tanh", -2, 2, false},
      {"abs", 0.1, 1, true},     {"cos", -3, 3, false},
      {"erf", -2, 2, false},
  };
  std::vector<GradCase> cases;
  for (const Unary &u : unaries) {
    Shape shape{2, 3};
    cases.push_back(
        {std::string(u.mnemonic),
         std::string("mlopt.") + u.mnemonic,
         {{"a", shape, u.low, u.high, u.randomSign}},
         std::string("  %y = mlopt.") + u.mnemonic + " %a : " + T(shape),
         shape});
  }
  for (const char *approximate : {"none", "tanh"})
    cases.push_back({std::string("gelu_") + approximate,
                     "mlopt.gelu",
                     {{"a", {2, 3}, -3, 3}},
                     std::string("  %y = mlopt.gelu %a approximate = ") +
                         approximate + " : " + T({2, 3}),
                     {2, 3}});
  return cases;
}

inline std::vector<GradCase> binaryCases() {
  struct Binary {
    const char *mnemonic;
    double lhsLow, lhsHigh, rhsLow, rhsHigh;
  };
  const Binary binaries[] = {
      {"add", -1, 1, -1, 1},      {"sub", -1, 1, -1, 1},
      {"mul", -1, 1, -1, 1},      {"div", -1, 1, 0.5, 2},
      {"pow", 0.5, 2, -1.5, 1.5}, {"maximum", -1, 1, -1, 1},
      {"minimum", -1, 1, -1, 1},
  };
  struct Shapes {
    const char *suffix;
    Shape lhs, rhs, result;
  };
  const Shapes shapes[] = {
      {"same", {2, 3}, {2, 3}, {2, 3}},
      {"row", {2, 3}, {3}, {2, 3}},
      {"outer", {2, 1}, {1, 3}, {2, 3}},
      {"scalar_lhs", {}, {2, 3}, {2, 3}},
  };
  std::vector<GradCase> cases;
  for (const Binary &op : binaries) {
    for (const Shapes &s : shapes) {
      std::string types = s.lhs == s.rhs ? T(s.lhs)
                                         : "(" + T(s.lhs) + ", " + T(s.rhs) +
                                               ") -> " + T(s.result);
      cases.push_back(
          {std::string(op.mnemonic) + "_" + s.suffix,
           std::string("mlopt.") + op.mnemonic,
           {{"a", s.lhs, op.lhsLow, op.lhsHigh},
            {"b", s.rhs, op.rhsLow, op.rhsHigh}},
           std::string("  %y = mlopt.") + op.mnemonic + " %a, %b : " + types,
           s.result});
    }
  }
  const char *condition = "  %c = mlopt.constant dense<[[true, false, true], "
                          "[false, true, true]]> : tensor<2x3xi1>\n";
  cases.push_back({"select_same",
                   "mlopt.select",
                   {{"a", {2, 3}}, {"b", {2, 3}}},
                   std::string(condition) +
                       "  %y = mlopt.select %c, %a, %b : (tensor<2x3xi1>, " +
                       T({2, 3}) + ", " + T({2, 3}) + ") -> " + T({2, 3}),
                   {2, 3}});
  cases.push_back({"select_broadcast",
                   "mlopt.select",
                   {{"a", {3}}, {"b", {2, 1}}},
                   std::string(condition) +
                       "  %y = mlopt.select %c, %a, %b : (tensor<2x3xi1>, " +
                       T({3}) + ", " + T({2, 1}) + ") -> " + T({2, 3}),
                   {2, 3}});
  cases.push_back({"cast_f64_f64",
                   "mlopt.cast",
                   {{"a", {2, 3}}},
                   "  %y = mlopt.cast %a : " + T({2, 3}) + " to " + T({2, 3}),
                   {2, 3}});
  // An f32 state: dyadic values and step keep the perturbation exact.
  GradCase fromF32{"cast_f32_f64",
                   "mlopt.cast",
                   {{"a", {2, 3}, -1, 1, false, "f32"}},
                   "  %y = mlopt.cast %a : tensor<2x3xf32> to " + T({2, 3}),
                   {2, 3}};
  fromF32.step = 1.0 / 256;
  fromF32.quantum = 1.0 / 1024;
  cases.push_back(fromF32);
  return cases;
}

inline std::vector<GradCase> shapeCases() {
  std::vector<GradCase> cases;
  cases.push_back(
      {"reshape_2d",
       "mlopt.reshape",
       {{"a", {2, 3}}},
       "  %y = mlopt.reshape %a : " + T({2, 3}) + " to " + T({3, 2}),
       {3, 2}});
  cases.push_back(
      {"reshape_flatten",
       "mlopt.reshape",
       {{"a", {2, 3, 2}}},
       "  %y = mlopt.reshape %a : " + T({2, 3, 2}) + " to " + T({12}),
       {12}});
  for (auto [suffix, from] : {std::pair<const char *, Shape>{"row", {3}},
                              {"column", {2, 1}},
                              {"scalar", {}}}) {
    cases.push_back(
        {std::string("broadcast_to_") + suffix,
         "mlopt.broadcast_to",
         {{"a", from}},
         "  %y = mlopt.broadcast_to %a : " + T(from) + " to " + T({2, 3}),
         {2, 3}});
  }
  cases.push_back(
      {"transpose_2d",
       "mlopt.transpose",
       {{"a", {2, 3}}},
       "  %y = mlopt.transpose %a, [1, 0] : " + T({2, 3}) + " -> " + T({3, 2}),
       {3, 2}});
  cases.push_back({"transpose_3d",
                   "mlopt.transpose",
                   {{"a", {2, 3, 4}}},
                   "  %y = mlopt.transpose %a, [2, 0, 1] : " + T({2, 3, 4}) +
                       " -> " + T({4, 2, 3}),
                   {4, 2, 3}});
  cases.push_back({"slice_step",
                   "mlopt.slice",
                   {{"a", {4, 5}}},
                   "  %y = mlopt.slice %a start [1, 0] limit [3, 5] step "
                   "[1, 2] : " +
                       T({4, 5}) + " -> " + T({2, 3}),
                   {2, 3}});
  cases.push_back({"slice_overhang",
                   "mlopt.slice",
                   {{"a", {7}}},
                   "  %y = mlopt.slice %a start [0] limit [7] step [3] : " +
                       T({7}) + " -> " + T({3}),
                   {3}});
  cases.push_back({"slice_both_steps",
                   "mlopt.slice",
                   {{"a", {5, 6}}},
                   "  %y = mlopt.slice %a start [1, 2] limit [5, 6] step "
                   "[2, 3] : " +
                       T({5, 6}) + " -> " + T({2, 2}),
                   {2, 2}});
  cases.push_back({"slice_inner",
                   "mlopt.slice",
                   {{"a", {4, 5}}},
                   "  %y = mlopt.slice %a start [1, 1] limit [3, 4] step "
                   "[1, 1] : " +
                       T({4, 5}) + " -> " + T({2, 3}),
                   {2, 3}});
  cases.push_back({"concat_dim1",
                   "mlopt.concat",
                   {{"a", {2, 3}}, {"b", {2, 2}}},
                   "  %y = mlopt.concat %a, %b dim = 1 : (" + T({2, 3}) + ", " +
                       T({2, 2}) + ") -> " + T({2, 5}),
                   {2, 5}});
  cases.push_back({"concat_dim0",
                   "mlopt.concat",
                   {{"a", {1, 3}}, {"b", {2, 3}}},
                   "  %y = mlopt.concat %a, %b dim = 0 : (" + T({1, 3}) + ", " +
                       T({2, 3}) + ") -> " + T({3, 3}),
                   {3, 3}});
  cases.push_back({"concat_three_negative_dim",
                   "mlopt.concat",
                   {{"a", {2, 1}}, {"b", {2, 2}}, {"c", {2, 1}}},
                   "  %y = mlopt.concat %a, %b, %c dim = -1 : (" + T({2, 1}) +
                       ", " + T({2, 2}) + ", " + T({2, 1}) + ") -> " +
                       T({2, 4}),
                   {2, 4}});
  return cases;
}

inline std::vector<GradCase> nnCases() {
  std::vector<GradCase> cases;
  cases.push_back({"linear_bias",
                   "mlopt.linear",
                   {{"x", {2, 3}}, {"w", {4, 3}}, {"b", {4}}},
                   "  %y = mlopt.linear %x, %w, %b : (" + T({2, 3}) + ", " +
                       T({4, 3}) + ", " + T({4}) + ") -> " + T({2, 4}),
                   {2, 4}});
  cases.push_back({"linear_no_bias",
                   "mlopt.linear",
                   {{"x", {2, 3}}, {"w", {4, 3}}},
                   "  %y = mlopt.linear %x, %w : (" + T({2, 3}) + ", " +
                       T({4, 3}) + ") -> " + T({2, 4}),
                   {2, 4}});
  cases.push_back({"linear_rank3",
                   "mlopt.linear",
                   {{"x", {2, 2, 3}}, {"w", {4, 3}}, {"b", {4}}},
                   "  %y = mlopt.linear %x, %w, %b : (" + T({2, 2, 3}) + ", " +
                       T({4, 3}) + ", " + T({4}) + ") -> " + T({2, 2, 4}),
                   {2, 2, 4}});
  cases.push_back({"linear_vector",
                   "mlopt.linear",
                   {{"x", {3}}, {"w", {2, 3}}, {"b", {2}}},
                   "  %y = mlopt.linear %x, %w, %b : (" + T({3}) + ", " +
                       T({2, 3}) + ", " + T({2}) + ") -> " + T({2}),
                   {2}});
  cases.push_back({"matmul",
                   "mlopt.matmul",
                   {{"a", {2, 3}}, {"b", {3, 4}}},
                   "  %y = mlopt.matmul %a, %b : (" + T({2, 3}) + ", " +
                       T({3, 4}) + ") -> " + T({2, 4}),
                   {2, 4}});
  cases.push_back({"batch_matmul_rank3",
                   "mlopt.batch_matmul",
                   {{"a", {2, 2, 3}}, {"b", {2, 3, 4}}},
                   "  %y = mlopt.batch_matmul %a, %b : (" + T({2, 2, 3}) +
                       ", " + T({2, 3, 4}) + ") -> " + T({2, 2, 4}),
                   {2, 2, 4}});
  cases.push_back({"batch_matmul_rank4",
                   "mlopt.batch_matmul",
                   {{"a", {2, 1, 2, 3}}, {"b", {2, 1, 3, 2}}},
                   "  %y = mlopt.batch_matmul %a, %b : (" + T({2, 1, 2, 3}) +
                       ", " + T({2, 1, 3, 2}) + ") -> " + T({2, 1, 2, 2}),
                   {2, 1, 2, 2}});
  for (const char *op : {"softmax", "log_softmax"})
    for (int dim : {0, 1, 2, -1})
      cases.push_back({std::string(op) + "_dim" +
                           (dim < 0 ? "_minus1" : std::to_string(dim)),
                       std::string("mlopt.") + op,
                       {{"a", {2, 3, 4}, -2, 2}},
                       std::string("  %y = mlopt.") + op + " %a dim = " +
                           std::to_string(dim) + " : " + T({2, 3, 4}),
                       {2, 3, 4}});
  const Shape input{2, 3, 4};
  const std::vector<std::vector<int64_t>> reductions = {
      {0}, {1}, {2}, {0, 2}, {-1}, {0, 1, 2}};
  for (const char *op : {"sum", "mean", "max"}) {
    for (const std::vector<int64_t> &dims : reductions) {
      for (bool keepdim : {false, true}) {
        Shape result;
        std::vector<std::string> dimText;
        for (int64_t d : dims)
          dimText.push_back(std::to_string(d));
        for (int64_t i = 0; i < 3; ++i) {
          bool reduced = false;
          for (int64_t d : dims)
            reduced |= (d < 0 ? d + 3 : d) == i;
          if (!reduced)
            result.push_back(input[i]);
          else if (keepdim)
            result.push_back(1);
        }
        std::string label = std::string(op) + "_dims";
        for (int64_t d : dims)
          label += d < 0 ? "_minus1" : "_" + std::to_string(d);
        if (keepdim)
          label += "_keepdim";
        cases.push_back({label,
                         std::string("mlopt.") + op,
                         {{"a", input, -2, 2}},
                         std::string("  %y = mlopt.") + op + " %a dims = [" +
                             llvm::join(dimText, ", ") + "]" +
                             (keepdim ? " keepdim" : "") + " : " + T(input) +
                             " -> " + T(result),
                         result});
      }
    }
  }
  // Index 2 appears twice: its rows' cotangents add up.
  cases.push_back({"embedding",
                   "mlopt.embedding",
                   {{"w", {5, 3}}},
                   "  %i = mlopt.constant dense<[[0, 2], [4, 2]]> : "
                   "tensor<2x2xi64>\n"
                   "  %y = mlopt.embedding %i, %w : (tensor<2x2xi64>, " +
                       T({5, 3}) + ") -> " + T({2, 2, 3}),
                   {2, 2, 3}});
  struct Norm {
    const char *label;
    bool weight, bias;
    int normalizedRank;
  };
  for (const Norm &n : {Norm{"layer_norm_affine", true, true, 1},
                        Norm{"layer_norm_plain", false, false, 1},
                        Norm{"layer_norm_weight_rank2", true, false, 2},
                        Norm{"layer_norm_bias_rank2", false, true, 2},
                        Norm{"layer_norm_affine_rank3", true, true, 3}}) {
    Shape x{2, 3, 4};
    Shape normalized(x.end() - n.normalizedRank, x.end());
    GradCase c{n.label, "mlopt.layer_norm", {{"x", x, -2, 2}}, "", x};
    std::string operands = "%x", types = T(x);
    if (n.weight) {
      c.inputs.push_back({"w", normalized, 0.5, 1.5});
      operands += " weight %w";
      types += ", " + T(normalized);
    }
    if (n.bias) {
      c.inputs.push_back({"b", normalized});
      operands += " bias %b";
      types += ", " + T(normalized);
    }
    c.body = "  %y = mlopt.layer_norm " + operands +
             " {eps = 1.0e-05 : f64, normalized_rank = " +
             std::to_string(n.normalizedRank) + " : i64} : (" + types +
             ") -> " + T(x);
    cases.push_back(c);
  }
  cases.push_back({"dropout",
                   "mlopt.dropout",
                   {{"a", {4, 8}}},
                   "  %s = mlopt.constant dense<7> : tensor<i64>\n"
                   "  %y = mlopt.dropout %a, %s p = 0.25 stream = 3 : " +
                       T({4, 8}),
                   {4, 8}});
  cases.push_back({"tap",
                   "mlopt.tap",
                   {{"a", {3, 4}}},
                   "  %y = mlopt.tap \"hidden\" %a : " + T({3, 4}),
                   {3, 4}});
  // Training differentiates the training operand only: were the cotangent
  // also sent to the evaluation operand a * a, the gradient would gain
  // 2 * a * weights, which the finite differences of the training form
  // (the evaluator's) do not show.
  cases.push_back({"mode_select",
                   "mlopt.mode_select",
                   {{"a", {3, 4}}},
                   "  %e = mlopt.mul %a, %a : " + T({3, 4}) +
                       "\n"
                       "  %y = mlopt.mode_select %a, %e : " +
                       T({3, 4}),
                   {3, 4}});
  return cases;
}

inline std::vector<GradCase> lossCases() {
  std::vector<GradCase> cases;
  cases.push_back({"mse_loss",
                   "mlopt.mse_loss",
                   {{"a", {2, 3}}, {"b", {2, 3}}},
                   "  %y = mlopt.mse_loss %a, %b : (" + T({2, 3}) + ", " +
                       T({2, 3}) + ") -> tensor<f64>",
                   {}});
  for (const char *labelType : {"i64", "i32"}) {
    std::string labels = std::string("  %l = mlopt.constant dense<[0, 3, "
                                     "1]> : tensor<3x") +
                         labelType + ">\n";
    cases.push_back({std::string("cross_entropy_") + labelType,
                     "mlopt.cross_entropy",
                     {{"a", {3, 4}, -2, 2}},
                     labels + "  %y = mlopt.cross_entropy %a, %l : (" +
                         T({3, 4}) + ", tensor<3x" + labelType +
                         ">) -> tensor<f64>",
                     {}});
    cases.push_back({std::string("nll_loss_") + labelType,
                     "mlopt.nll_loss",
                     {{"a", {3, 4}, -2, 2}},
                     labels + "  %y = mlopt.nll_loss %a, %l : (" + T({3, 4}) +
                         ", tensor<3x" + labelType + ">) -> tensor<f64>",
                     {}});
  }
  for (const char *reduction : {"mean", "batchmean", "sum"}) {
    for (bool logTarget : {false, true}) {
      Input target{"t", {2, 3}, 0.1, 1.0};
      if (logTarget)
        target = {"t", {2, 3}, -2.0, -0.1};
      cases.push_back(
          {std::string("kl_div_") + reduction + (logTarget ? "_log" : ""),
           "mlopt.kl_div",
           {{"a", {2, 3}, -2, -0.1}, target},
           std::string("  %y = mlopt.kl_div %a, %t reduction = ") + reduction +
               (logTarget ? " log_target" : "") + " : (" + T({2, 3}) + ", " +
               T({2, 3}) + ") -> tensor<f64>",
           {}});
    }
  }
  return cases;
}

/// The pruning ops. prune_mask has no differentiable operand: its case
/// computes the mask from the trainable scores themselves, so the finite
/// differences (the mask is locally constant) check that nothing flows
/// through it.
inline std::vector<GradCase> compressionCases() {
  std::vector<GradCase> cases;
  cases.push_back({"apply_mask",
                   "mlopt.apply_mask",
                   {{"a", {2, 3}}},
                   "  %m = mlopt.constant dense<[[1.0, 0.0, 1.0], "
                   "[0.0, 0.0, 1.0]]> : " +
                       T({2, 3}) +
                       "\n  %y = mlopt.apply_mask %a, %m : " + T({2, 3}),
                   {2, 3}});
  // Two groups of five: k = round(0.4 * 5) = 2 scores pruned in each.
  cases.push_back({"prune_mask_of_the_weights",
                   "mlopt.prune_mask",
                   {{"a", {2, 5}, 0.1, 1.0, /*randomSign=*/true}},
                   "  %s = mlopt.constant dense<0.4> : tensor<f64>\n"
                   "  %u = mlopt.constant dense<true> : tensor<i1>\n"
                   "  %p = mlopt.constant dense<1.0> : " +
                       T({2, 5}) +
                       "\n"
                       "  %scores = mlopt.abs %a : " +
                       T({2, 5}) +
                       "\n"
                       "  %m = mlopt.prune_mask %scores, %s, %u, %p : " +
                       T({2, 5}) + "\n  %y = mlopt.mul %a, %m : " + T({2, 5}),
                   {2, 5}});
  return cases;
}

/// The quantization ops. fake_quant's gradient is the straight-through
/// estimator, not the derivative of its staircase; on inputs and
/// finite-difference steps that are multiples of the scale, inside the
/// integer range, fake_quant is the identity at x and x +- step, and where
/// it clamps (with the neighbours clamped too) it is constant, so the finite
/// differences give exactly what the estimator says (1 inside, 0 where
/// clamped). The other ops have no differentiable operand: their cases
/// compute from the trainable input through them and multiply the input by
/// the (locally constant) outcome, so the finite differences check that
/// nothing flows through them.
inline std::vector<GradCase> quantCases() {
  std::vector<GradCase> cases;
  std::string t23 = T({2, 3}), t33 = T({3, 3});
  // Row 0 (scale 1/64) is inside [-128, 127], row 1 (scale 1/1024) clamps
  // at |x| >= 0.5.
  GradCase perChannel{
      "fake_quant_per_channel",
      "mlopt.fake_quant",
      {{"a", {2, 3}, 0.5, 1.0, /*randomSign=*/true}},
      "  %s = mlopt.constant dense<[0.015625, 0.0009765625]> : "
      "tensor<2xf32>\n"
      "  %z = mlopt.constant dense<[3, -2]> : tensor<2xi32>\n"
      "  %y = mlopt.fake_quant %a, %s, %z {axis = 0 : i64, quant_min = -128 : "
      "i64, quant_max = 127 : i64} : " +
          t23 + ", tensor<2xf32>",
      {2, 3}};
  perChannel.step = 1.0 / 64;
  perChannel.quantum = 1.0 / 64;
  cases.push_back(perChannel);
  // Levels within [-13, 13] of [-16, 15] (4 bits).
  GradCase perTensor{
      "fake_quant_per_tensor_4_bits",
      "mlopt.fake_quant",
      {{"a", {2, 3}, 0.0, 0.375, /*randomSign=*/true}},
      "  %s = mlopt.constant dense<0.03125> : tensor<f32>\n"
      "  %z = mlopt.constant dense<0> : tensor<i32>\n"
      "  %y = mlopt.fake_quant %a, %s, %z {quant_min = -16 : i64, quant_max = "
      "15 : i64} : " +
          t23 + ", tensor<f32>",
      {2, 3}};
  perTensor.step = 1.0 / 32;
  perTensor.quantum = 1.0 / 32;
  cases.push_back(perTensor);
  // Column 2 (scale 1/1024) clamps at |x| >= 0.5: a gradient mask of 1, 1,
  // 0 per row.
  GradCase grad{
      "fake_quant_grad_mask",
      "mlopt.fake_quant_grad",
      {{"a", {2, 3}, 0.5, 1.0, /*randomSign=*/true}},
      "  %dy = mlopt.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : " +
          t23 +
          "\n"
          "  %s = mlopt.constant dense<[0.015625, 0.015625, 0.0009765625]> : "
          "tensor<3xf32>\n"
          "  %z = mlopt.constant dense<[0, 1, 0]> : tensor<3xi32>\n"
          "  %m = mlopt.fake_quant_grad %dy, %a, %s, %z {axis = 1 : i64, "
          "quant_min = -128 : i64, quant_max = 127 : i64} : " +
          t23 + ", tensor<3xf32>\n  %y = mlopt.mul %a, %m : " + t23,
      {2, 3}};
  grad.quantum = 1.0 / 64;
  cases.push_back(grad);
  // The previous range [-4, 4] holds every input: the observed range is
  // locally constant.
  std::string observe =
      "  %min = mlopt.constant dense<-4.0> : tensor<3xf32>\n"
      "  %max = mlopt.constant dense<4.0> : tensor<3xf32>\n"
      "  %u = mlopt.constant dense<true> : tensor<i1>\n"
      "  %lo, %hi = mlopt.observe %a, %min, %max, %u {axis = 1 : i64} : " +
      t23 + ", tensor<3xf32>\n";
  cases.push_back({"observe_min_max",
                   "mlopt.observe",
                   {{"a", {2, 3}}},
                   observe +
                       "  %r = mlopt.sub %hi, %lo : tensor<3xf32>\n"
                       "  %rd = mlopt.cast %r : tensor<3xf32> to " +
                       T({3}) + "\n  %y = mlopt.mul %a, %rd : (" + t23 + ", " +
                       T({3}) + ") -> " + t23,
                   {2, 3}});
  cases.push_back({"quant_params_of_the_observed_range",
                   "mlopt.quant_params",
                   {{"a", {2, 3}}},
                   observe +
                       "  %s, %z = mlopt.quant_params %lo, %hi {quant_min = "
                       "-128 : i64, quant_max = 127 : i64} : tensor<3xf32>\n"
                       "  %sd = mlopt.cast %s : tensor<3xf32> to " +
                       T({3}) + "\n  %zd = mlopt.cast %z : tensor<3xi32> to " +
                       T({3}) + "\n  %p = mlopt.mul %a, %sd : (" + t23 + ", " +
                       T({3}) + ") -> " + t23 +
                       "\n  %y = mlopt.add %p, %zd : (" + t23 + ", " + T({3}) +
                       ") -> " + t23,
                   {2, 3}});
  // Inputs on the grid of the scale: x +- step rounds to the same level.
  std::string quantize =
      "  %s = mlopt.constant dense<0.015625> : tensor<f32>\n"
      "  %z = mlopt.constant dense<5> : tensor<i32>\n"
      "  %q = mlopt.quantize %a, %s, %z {quant_min = -128 : i64, quant_max = "
      "127 : i64} : ";
  GradCase roundTrip{
      "quantize_round_trip",
      "mlopt.quantize",
      {{"a", {2, 3}}},
      quantize + t23 + ", tensor<f32> -> tensor<2x3xi8>\n" +
          "  %d = mlopt.dequantize %q, %s, %z : tensor<2x3xi8>, tensor<f32> "
          "-> tensor<2x3xf32>\n"
          "  %dd = mlopt.cast %d : tensor<2x3xf32> to " +
          t23 + "\n  %y = mlopt.mul %a, %dd : " + t23,
      {2, 3}};
  roundTrip.quantum = 1.0 / 64;
  cases.push_back(roundTrip);
  GradCase dequantize{
      "dequantize_per_channel",
      "mlopt.dequantize",
      {{"a", {2, 3}}},
      "  %s = mlopt.constant dense<[0.015625, 0.125]> : tensor<2xf32>\n"
      "  %z = mlopt.constant dense<[-3, 7]> : tensor<2xi32>\n"
      "  %q = mlopt.quantize %a, %s, %z {axis = 0 : i64, quant_min = -128 : "
      "i64, quant_max = 127 : i64} : " +
          t23 +
          ", tensor<2xf32> -> tensor<2x3xi8>\n"
          "  %d = mlopt.dequantize %q, %s, %z {axis = 0 : i64} : "
          "tensor<2x3xi8>, tensor<2xf32> -> tensor<2x3xf32>\n"
          "  %dd = mlopt.cast %d : tensor<2x3xf32> to " +
          t23 + "\n  %y = mlopt.mul %a, %dd : " + t23,
      {2, 3}};
  dequantize.quantum = 1.0 / 64;
  cases.push_back(dequantize);
  // The int8 products of the quantized input, dequantized per output
  // channel (linear) or per tensor (matmul).
  std::string weights = "dense<[[1, -2, 3], [127, -128, 0], [5, 6, -7]]> : "
                        "tensor<3x3xi8>";
  GradCase linear{
      "quantized_linear",
      "mlopt.quantized_linear",
      {{"a", {3, 3}}},
      quantize + t33 + ", tensor<f32> -> tensor<3x3xi8>\n" +
          "  %w = mlopt.constant " + weights +
          "\n"
          "  %acc = mlopt.quantized_linear %q, %z, %w : (tensor<3x3xi8>, "
          "tensor<i32>, tensor<3x3xi8>) -> tensor<3x3xi32>\n"
          "  %as = mlopt.constant dense<[0.001, 0.002, 0.004]> : "
          "tensor<3xf32>\n"
          "  %az = mlopt.constant dense<0> : tensor<3xi32>\n"
          "  %d = mlopt.dequantize %acc, %as, %az {axis = 1 : i64} : "
          "tensor<3x3xi32>, tensor<3xf32> -> tensor<3x3xf32>\n"
          "  %dd = mlopt.cast %d : tensor<3x3xf32> to " +
          t33 + "\n  %y = mlopt.mul %a, %dd : " + t33,
      {3, 3}};
  linear.quantum = 1.0 / 64;
  cases.push_back(linear);
  GradCase matmul{
      "quantized_matmul",
      "mlopt.quantized_matmul",
      {{"a", {3, 3}}},
      quantize + t33 + ", tensor<f32> -> tensor<3x3xi8>\n" +
          "  %w = mlopt.constant " + weights +
          "\n"
          "  %wz = mlopt.constant dense<-9> : tensor<i32>\n"
          "  %acc = mlopt.quantized_matmul %q, %z, %w, %wz : (tensor<3x3xi8>, "
          "tensor<i32>, tensor<3x3xi8>, tensor<i32>) -> tensor<3x3xi32>\n"
          "  %as = mlopt.constant dense<0.001> : tensor<f32>\n"
          "  %az = mlopt.constant dense<0> : tensor<i32>\n"
          "  %d = mlopt.dequantize %acc, %as, %az : tensor<3x3xi32>, "
          "tensor<f32> -> tensor<3x3xf32>\n"
          "  %dd = mlopt.cast %d : tensor<3x3xf32> to " +
          t33 + "\n  %y = mlopt.mul %a, %dd : " + t33,
      {3, 3}};
  matmul.quantum = 1.0 / 64;
  cases.push_back(matmul);
  return cases;
}

/// The collectives in a world of one rank (ranks = 1), where the reference
/// evaluator runs them as the identity: their VJPs (the mirrored collective,
/// the division by the ranks for `mean`, the routing to the extremum for
/// `max`/`min`) must give the identity's gradient. Not in allCases(): the
/// CPU differential test compiles those cases, and the collectives lower to
/// the runtime's communicator. send/recv need two ranks
/// (test/Transforms/autodiff-collectives.mlir, the MPI tests).
inline std::vector<GradCase> collectiveCases() {
  std::vector<GradCase> cases;
  const Shape matrix{2, 3}, row{3};
  std::string pair = T(matrix) + ", " + T(row);
  std::string addPair =
      "  %y = mlopt.add %r#0, %r#1 : (" + pair + ") -> " + T(matrix);
  for (const char *kind : {"sum", "mean", "max", "min"})
    cases.push_back({std::string("all_reduce_") + kind,
                     "mlopt.all_reduce",
                     {{"a", matrix}, {"b", row}},
                     std::string("  %r:2 = mlopt.all_reduce ") + kind +
                         " %a, %b ranks = 1 : " + pair + "\n" + addPair,
                     matrix});
  cases.push_back({"all_gather_bucket",
                   "mlopt.all_gather",
                   {{"a", matrix}, {"b", row}},
                   "  %r:2 = mlopt.all_gather %a, %b dim = 0 ranks = 1 : (" +
                       pair + ") -> (" + pair + ")\n" + addPair,
                   matrix});
  for (const char *kind : {"sum", "mean"})
    cases.push_back({std::string("reduce_scatter_") + kind,
                     "mlopt.reduce_scatter",
                     {{"a", matrix}},
                     std::string("  %y = mlopt.reduce_scatter ") + kind +
                         " %a dim = 1 ranks = 1 : (" + T(matrix) + ") -> " +
                         T(matrix),
                     matrix});
  cases.push_back(
      {"broadcast",
       "mlopt.broadcast",
       {{"a", matrix}},
       "  %y = mlopt.broadcast %a root = 0 ranks = 1 : " + T(matrix),
       matrix});
  for (const char *kind : {"sum", "mean", "max", "min"})
    cases.push_back({std::string("reduce_") + kind,
                     "mlopt.reduce",
                     {{"a", matrix}},
                     std::string("  %y = mlopt.reduce ") + kind +
                         " %a root = 0 ranks = 1 : " + T(matrix),
                     matrix});
  return cases;
}

inline std::vector<GradCase> allCases() {
  std::vector<GradCase> cases;
  for (auto family : {unaryCases, binaryCases, shapeCases, nnCases, lossCases,
                      compressionCases, quantCases})
    for (GradCase &c : family())
      cases.push_back(std::move(c));
  return cases;
}

/// Models that exercise the pass itself: fan-out, a state read twice,
/// broadcasting, and chains of layers.
inline std::vector<GradCase> compositeCases() {
  std::vector<GradCase> cases;
  cases.push_back({"fan_out_and_second_read",
                   "",
                   {{"x", {2, 3}}, {"w", {3}}},
                   "  %w2 = mlopt.state_read @w : " + T({3}) +
                       "\n"
                       "  %h = mlopt.mul %x, %w : (" +
                       T({2, 3}) + ", " + T({3}) + ") -> " + T({2, 3}) +
                       "\n"
                       "  %t = mlopt.tanh %h : " +
                       T({2, 3}) +
                       "\n"
                       "  %sq = mlopt.mul %t, %t : " +
                       T({2, 3}) +
                       "\n"
                       "  %y = mlopt.add %sq, %w2 : (" +
                       T({2, 3}) + ", " + T({3}) + ") -> " + T({2, 3}),
                   {2, 3}});
  cases.push_back({"mlp_classifier",
                   "",
                   {{"x", {5, 3}},
                    {"w1", {4, 3}},
                    {"b1", {4}},
                    {"g", {4}, 0.5, 1.5},
                    {"w2", {2, 4}},
                    {"b2", {2}}},
                   "  %h = mlopt.linear %x, %w1, %b1 : (" + T({5, 3}) + ", " +
                       T({4, 3}) + ", " + T({4}) + ") -> " + T({5, 4}) +
                       "\n"
                       "  %a = mlopt.gelu %h : " +
                       T({5, 4}) +
                       "\n"
                       "  %n = mlopt.layer_norm %a weight %g : (" +
                       T({5, 4}) + ", " + T({4}) + ") -> " + T({5, 4}) +
                       "\n"
                       "  %logits = mlopt.linear %n, %w2, %b2 : (" +
                       T({5, 4}) + ", " + T({2, 4}) + ", " + T({2}) + ") -> " +
                       T({5, 2}) +
                       "\n"
                       "  %labels = mlopt.constant dense<[0, 1, 1, 0, 1]> : "
                       "tensor<5xi64>\n"
                       "  %y = mlopt.cross_entropy %logits, %labels : (" +
                       T({5, 2}) + ", tensor<5xi64>) -> tensor<f64>",
                   {}});
  cases.push_back(
      {"attention",
       "",
       {{"q", {1, 2, 3}}, {"k", {1, 4, 3}}, {"v", {1, 4, 3}}},
       "  %kt = mlopt.transpose %k, [0, 2, 1] : " + T({1, 4, 3}) + " -> " +
           T({1, 3, 4}) +
           "\n"
           "  %s = mlopt.batch_matmul %q, %kt : (" +
           T({1, 2, 3}) + ", " + T({1, 3, 4}) + ") -> " + T({1, 2, 4}) +
           "\n"
           "  %p = mlopt.softmax %s dim = -1 : " +
           T({1, 2, 4}) +
           "\n"
           "  %y = mlopt.batch_matmul %p, %v : (" +
           T({1, 2, 4}) + ", " + T({1, 4, 3}) + ") -> " + T({1, 2, 3}),
       {1, 2, 3}});
  return cases;
}

/// The states of case `c` (its inputs, then the loss weights), each drawn by
/// `sample(input, quantum)`.
template <typename Sampler>
reference::StateMap sampleCaseState(const GradCase &c, MLIRContext &context,
                                    Sampler &&sample) {
  reference::StateMap state;
  for (const Input &input : c.inputs) {
    auto type = cast<RankedTensorType>(
        parseType(tensorType(input.shape, input.elementType), &context));
    state[input.name] =
        reference::Tensor::fromDoubles(type, sample(input, c.quantum));
  }
  Input weights{"weights", c.resultShape, 0.5, 1.5, /*randomSign=*/true};
  state["weights"] = reference::Tensor::fromDoubles(
      cast<RankedTensorType>(parseType(T(c.resultShape), &context)),
      sample(weights, 0.0));
  return state;
}

} // namespace mlir::mlopt::gradient_cases

#endif // MLOPT_UNITTESTS_TRANSFORMS_GRADIENTCASES_H
