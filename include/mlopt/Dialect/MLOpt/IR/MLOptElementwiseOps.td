//===- MLOptElementwiseOps.td - elementwise ops ------------*- tablegen -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTELEMENTWISEOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTELEMENTWISEOPS_TD

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

class MLOpt_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : MLOpt_ComputeOp<mnemonic,
        !listconcat([Elementwise, SameOperandsAndResultType,
                     MLOpt_ElementwiseShardingRule,
                     DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>], traits)> {
  let summary = "elementwise " # formula;
  let description = [{
    Computes `}] # formula # [{` elementwise; the result has the input's type.

    ```mlir
    %y = mlopt.}] # mnemonic # [{ %x : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def MLOpt_NegOp : MLOpt_UnaryOp<"neg", "y = -x",
    [MLOpt_PreservesZero]>;
def MLOpt_ExpOp : MLOpt_UnaryOp<"exp", "y = exp(x)", [MLOpt_KeepF32]>;
def MLOpt_LogOp : MLOpt_UnaryOp<"log", "y = log(x)", [MLOpt_KeepF32]>;
def MLOpt_SqrtOp : MLOpt_UnaryOp<"sqrt", "y = sqrt(x)",
    [MLOpt_PreservesZero]>;
def MLOpt_RsqrtOp : MLOpt_UnaryOp<"rsqrt", "y = 1 / sqrt(x)", [MLOpt_KeepF32]>;
def MLOpt_ReluOp : MLOpt_UnaryOp<"relu", "y = max(x, 0)",
    [MLOpt_PreservesZero]>;
def MLOpt_SigmoidOp : MLOpt_UnaryOp<"sigmoid", "y = 1 / (1 + exp(-x))">;
def MLOpt_TanhOp : MLOpt_UnaryOp<"tanh", "y = tanh(x)",
    [MLOpt_PreservesZero]>;
def MLOpt_AbsOp : MLOpt_UnaryOp<"abs", "y = |x|",
    [MLOpt_PreservesZero]>;
def MLOpt_CosOp : MLOpt_UnaryOp<"cos", "y = cos(x)">;
// gelu's VJP needs the Gaussian CDF, 0.5 * (1 + erf(x / sqrt(2))).
def MLOpt_ErfOp : MLOpt_UnaryOp<"erf", "y = erf(x)",
    [MLOpt_PreservesZero]>;

def MLOpt_GeluOp : MLOpt_ComputeOp<"gelu",
    [Elementwise, SameOperandsAndResultType, MLOpt_ElementwiseShardingRule,
     MLOpt_PreservesZero,
     DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "Gaussian error linear unit (torch.nn.functional.gelu)";
  let description = [{
    `approximate = none` (the default) computes
    `x * 0.5 * (1 + erf(x / sqrt(2)))`; `approximate = tanh` computes
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`, as PyTorch.

    ```mlir
    %y = mlopt.gelu %x approximate = tanh : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input,
                       DefaultValuedAttr<MLOpt_GeluApproximation,
                         "::mlir::mlopt::GeluApproximation::None">:$approximate);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Binary, with NumPy broadcasting
//===----------------------------------------------------------------------===//

class MLOpt_BinaryOp<string mnemonic, string formula,
                     list<Trait> traits = []>
    : MLOpt_ComputeOp<mnemonic, !listconcat([InferTypeOpAdaptor,
        MLOpt_ElementwiseShardingRule,
        DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>], traits)> {
  let summary = "elementwise " # formula # " with NumPy broadcasting";
  let description = [{
    Computes `}] # formula # [{` elementwise after broadcasting both operands
    to a common shape with NumPy's rules (dimensions aligned from the right;
    each pair equal or one of them 1). Both operands have the same element
    type. When all types agree a single type is written; otherwise the
    functional type.

    ```mlir
    %c = mlopt.}] # mnemonic # [{ %a, %b : tensor<4x8xf32>
    %d = mlopt.}] # mnemonic # [{ %a, %bias : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$lhs, MLOpt_FloatTensor:$rhs);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:`
    custom<BroadcastTypes>(type($lhs), type($rhs), type($result))
  }];
}

def MLOpt_AddOp : MLOpt_BinaryOp<"add", "z = x + y">;
def MLOpt_SubOp : MLOpt_BinaryOp<"sub", "z = x - y">;
def MLOpt_MulOp : MLOpt_BinaryOp<"mul", "z = x * y">;
def MLOpt_DivOp : MLOpt_BinaryOp<"div", "z = x / y">;
def MLOpt_PowOp : MLOpt_BinaryOp<"pow", "z = x ^ y", [MLOpt_KeepF32]>;
def MLOpt_MaximumOp : MLOpt_BinaryOp<"maximum", "z = max(x, y)">;
def MLOpt_MinimumOp : MLOpt_BinaryOp<"minimum", "z = min(x, y)">;

def MLOpt_CompareOp : MLOpt_ComputeOp<"compare", [InferTypeOpAdaptor,
    MLOpt_ElementwiseShardingRule]> {
  let summary = "elementwise comparison with NumPy broadcasting";
  let description = [{
    Compares the broadcast operands (same element type, float or integer)
    and yields an `i1` tensor; comparisons with NaN are false except `ne`.

    ```mlir
    %m = mlopt.compare gt, %x, %zero : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
    ```
  }];
  let arguments = (ins MLOpt_ComparePredicate:$predicate, MLOpt_Tensor:$lhs,
                       MLOpt_Tensor:$rhs);
  let results = (outs MLOpt_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:`
    functional-type(operands, results)
  }];
}

def MLOpt_SelectOp : MLOpt_ComputeOp<"select", [InferTypeOpAdaptor,
    MLOpt_ElementwiseShardingRule,
    DeclareOpInterfaceMethods<MLOpt_ElementForwardingOpInterface,
                              ["forwardsOperandElements"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "elementwise choice with NumPy broadcasting (torch.where)";
  let description = [{
    Yields `on_true` where `condition` holds and `on_false` elsewhere, after
    broadcasting all three operands to a common shape. `on_true` and
    `on_false` have the same element type.

    ```mlir
    %g = mlopt.select %m, %dy, %zero
        : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins MLOpt_BoolTensor:$condition, MLOpt_Tensor:$on_true,
                       MLOpt_Tensor:$on_false);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:`
    functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Casts
//===----------------------------------------------------------------------===//

def MLOpt_CastOp : MLOpt_ComputeOp<"cast", [
    Elementwise, SameOperandsAndResultShape, MLOpt_ElementwiseShardingRule,
    MLOpt_PreservesZero, DeclareOpInterfaceMethods<CastOpInterface>,
    MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "converts the element type (f64/f32/f16/bf16/integers)";
  let description = [{
    Converts every element to the result's element type with the same shape:
    float to float rounds to nearest even, float to integer truncates toward
    zero (as `tensor.to(dtype)` in PyTorch), integer to float is exact where
    representable.

    ```mlir
    %h = mlopt.cast %x : tensor<4x8xf32> to tensor<4x8xbf16>
    ```

    Folding (canonicalization) removes only casts that change no value:
    - a cast to its own type is its input;
    - `cast(cast(x : A -> B) : B -> C)` becomes `cast(x : A -> C)`, and `x`
      itself when C is A, if the float type B represents every value of
      the float type A exactly (f16 or bf16 in f32 or f64, f32 in f64):
      the first cast is then exact, so the pair rounds once, as the direct
      cast does. `f32 -> bf16 -> f32` stays (it rounds to bf16's 8-bit
      significand), as do `f64 -> f32 -> bf16` (rounding twice can differ
      from rounding once), `f16 -> bf16` chains (neither type holds the
      other) and chains through integers.
  }];
  let arguments = (ins MLOpt_Tensor:$input);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTELEMENTWISEOPS_TD
