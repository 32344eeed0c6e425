//===- MLOptNNOps.td - layers, reductions, normalization ---*- tablegen -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTNNOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTNNOPS_TD

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

def MLOpt_LinearOp : MLOpt_ComputeOp<"linear", [InferTypeOpAdaptor,
    MLOpt_LowPrecision,
    DeclareOpInterfaceMethods<MLOpt_QuantizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>], ["getFlops"]> {
  let summary = "affine layer y = x W^T + b (torch.nn.functional.linear)";
  let description = [{
    `input` is `[..., in]`, `weight` is `[out, in]` (PyTorch's layout), the
    optional `bias` is `[out]`; the result is `[..., out]`.

    ```mlir
    %y = mlopt.linear %x, %w, %b
        : (tensor<128x784xf32>, tensor<256x784xf32>, tensor<256xf32>) -> tensor<128x256xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_FloatTensor:$weight,
                       Optional<MLOpt_FloatTensor>:$bias);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def MLOpt_MatmulOp : MLOpt_ComputeOp<"matmul", [InferTypeOpAdaptor,
    MLOpt_LowPrecision,
    DeclareOpInterfaceMethods<MLOpt_QuantizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>], ["getFlops"]> {
  let summary = "matrix product of [M, K] and [K, N]";
  let description = [{
    ```mlir
    %c = mlopt.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$lhs, MLOpt_FloatTensor:$rhs);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def MLOpt_BatchMatmulOp : MLOpt_ComputeOp<"batch_matmul", [InferTypeOpAdaptor,
    MLOpt_LowPrecision,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>], ["getFlops"]> {
  let summary = "batched matrix product of [B..., M, K] and [B..., K, N]";
  let description = [{
    Both operands have the same rank (at least 3) and the same leading batch
    dimensions.

    ```mlir
    %s = mlopt.batch_matmul %q, %kt
        : (tensor<2x4x128x64xf32>, tensor<2x4x64x128xf32>) -> tensor<2x4x128x128xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$lhs, MLOpt_FloatTensor:$rhs);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

class MLOpt_SoftmaxLikeOp<string mnemonic, string formula>
    : MLOpt_ComputeOp<mnemonic, [SameOperandsAndResultType, MLOpt_KeepF32,
        DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
        DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = formula # " along one dimension";
  let description = [{
    Computes `}] # formula # [{` along `dim` (negative values count from the
    end), with the usual max subtraction for stability.

    ```mlir
    %p = mlopt.}] # mnemonic # [{ %logits dim = -1 : tensor<128x10xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, I64Attr:$dim);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = "$input `dim` `=` $dim attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `dim` in [0, rank).
    int64_t getNormalizedDim();
  }];
}

def MLOpt_SoftmaxOp : MLOpt_SoftmaxLikeOp<"softmax", "exp(x) / sum(exp(x))">;
def MLOpt_LogSoftmaxOp
    : MLOpt_SoftmaxLikeOp<"log_softmax", "x - log(sum(exp(x)))">;

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class MLOpt_ReductionOp<string mnemonic, string what,
                        list<Trait> traits = []>
    : MLOpt_ComputeOp<mnemonic, !listconcat([InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
        DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>], traits)> {
  let summary = what # " over dimensions";
  let description = [{
    Reduces `dims` (distinct, negative values count from the end) with
    }] # what # [{. With `keepdim` the reduced dimensions stay as size 1,
    otherwise they are removed.

    ```mlir
    %r = mlopt.}] # mnemonic # [{ %x dims = [1] keepdim : tensor<4x8xf32> -> tensor<4x1xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, DenseI64ArrayAttr:$dims,
                       UnitAttr:$keepdim);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `dims` `=` $dims (`keepdim` $keepdim^)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The reduced dimensions, in [0, rank), sorted.
    ::llvm::SmallVector<int64_t> getNormalizedDims();
  }];
}

def MLOpt_SumOp : MLOpt_ReductionOp<"sum", "the sum", [MLOpt_KeepF32]>;
def MLOpt_MeanOp
    : MLOpt_ReductionOp<"mean", "the arithmetic mean", [MLOpt_KeepF32]>;
def MLOpt_MaxOp : MLOpt_ReductionOp<"max", "the maximum">;

def MLOpt_ArgmaxOp : MLOpt_ComputeOp<"argmax", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>]> {
  let summary = "index of the maximum along a dimension (torch.argmax)";
  let description = [{
    The result holds i64 indices of the first maximal element along `dim`;
    with `keepdim` that dimension stays as size 1.

    ```mlir
    %i = mlopt.argmax %logits dim = 1 : tensor<128x10xf32> -> tensor<128xi64>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, I64Attr:$dim,
                       UnitAttr:$keepdim);
  let results = (outs StaticShapeTensorOf<[I64]>:$result);
  let assemblyFormat = [{
    $input `dim` `=` $dim (`keepdim` $keepdim^)? attr-dict `:`
    type($input) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Embedding, normalization, dropout
//===----------------------------------------------------------------------===//

def MLOpt_EmbeddingOp : MLOpt_ComputeOp<"embedding", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    DeclareOpInterfaceMethods<MLOpt_IndexOperandOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "gathers rows of a table (torch.nn.functional.embedding)";
  let description = [{
    `indices` (any integer tensor `[...]`) selects rows of `weight`
    (`[num_embeddings, dim]`); the result is `[..., dim]`. An index outside
    `[0, num_embeddings)` is a runtime error.

    ```mlir
    %e = mlopt.embedding %tokens, %table
        : (tensor<8x128xi64>, tensor<1000x256xf32>) -> tensor<8x128x256xf32>
    ```
  }];
  let arguments = (ins MLOpt_IntTensor:$indices, MLOpt_FloatTensor:$weight);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $indices `,` $weight attr-dict `:` functional-type(operands, results)
  }];
}

def MLOpt_OneHotOp : MLOpt_ComputeOp<"one_hot", [
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    DeclareOpInterfaceMethods<MLOpt_IndexOperandOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>]> {
  let summary = "one-hot encoding of class indices (F.one_hot)";
  let description = [{
    The result type appends a dimension of size `C` (the number of classes)
    to the indices' shape: `result[..., c]` is 1 where `indices[...] == c`
    and 0 elsewhere (all 0 for an index outside `[0, C)`, which the runtime
    rejects in its data, as PyTorch does: the indices are bounded by `C`
    through `IndexOperandOpInterface`).

    ```mlir
    %h = mlopt.one_hot %y : tensor<128xi32> -> tensor<128x10xf32>
    ```
  }];
  let arguments = (ins MLOpt_IntTensor:$indices);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = "$indices attr-dict `:` type($indices) `->` type($result)";
  let hasVerifier = 1;
}

def MLOpt_EmbeddingGradOp : MLOpt_ComputeOp<"embedding_grad",
    [InferTypeOpAdaptor, MLOpt_KeepF32,
     DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
     DeclareOpInterfaceMethods<MLOpt_IndexOperandOpInterface>]> {
  let summary = "scatter-adds rows into a zero table (embedding's VJP)";
  let description = [{
    The inverse of `mlopt.embedding`: `result[indices[i], :] += grad[i, :]`
    over all positions `i` of `indices`, starting from a zero
    `[num_embeddings, dim]` table.

    ```mlir
    %dw = mlopt.embedding_grad %tokens, %dy num_embeddings = 1000
        : (tensor<8x128xi64>, tensor<8x128x256xf32>) -> tensor<1000x256xf32>
    ```
  }];
  let arguments = (ins MLOpt_IntTensor:$indices, MLOpt_FloatTensor:$grad,
                       I64Attr:$num_embeddings);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $indices `,` $grad `num_embeddings` `=` $num_embeddings attr-dict `:`
    functional-type(operands, results)
  }];
}

def MLOpt_LayerNormOp : MLOpt_ComputeOp<"layer_norm", [
    InferTypeOpAdaptor, AttrSizedOperandSegments, MLOpt_KeepF32,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "layer normalization (torch.nn.functional.layer_norm)";
  let description = [{
    Normalizes over the last `normalized_rank` dimensions:
    `y = (x - mean) / sqrt(var + eps) * weight + bias` with the biased
    variance, as PyTorch. `weight` and `bias` are optional and, when present,
    have the shape of the normalized dimensions.

    ```mlir
    %y = mlopt.layer_norm %x weight %g bias %b {eps = 1.0e-05 : f64}
        : (tensor<8x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<8x128x256xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input,
                       Optional<MLOpt_FloatTensor>:$weight,
                       Optional<MLOpt_FloatTensor>:$bias,
                       DefaultValuedAttr<I64Attr, "1">:$normalized_rank,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? (`bias` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def MLOpt_TapOp : MLOpt_ComputeOp<"tap", [
    Elementwise, SameOperandsAndResultType, MLOpt_ElementwiseShardingRule,
    MLOpt_PreservesZero, MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "names an intermediate value (the identity)";
  let description = [{
    Returns its input unchanged and gives it a name, so that a pass can find
    an intermediate tensor of the model: `mlopt-distill{mode=feature}`
    matches the student's and the teacher's hidden layers by these names
    (FitNets hints, docs/Distillation.md). Its gradient is the identity, and
    the lowering removes it. Tap names must be non-empty and, within one
    function, unique (the verifier of the function's ops checks the first,
    `mlopt-distill` reports a duplicate or missing name).

    ```mlir
    %h = mlopt.relu %z : tensor<128x256xf32>
    %hidden = mlopt.tap "hidden" %h : tensor<128x256xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, MLOpt_Tensor:$input);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = "$name $input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def MLOpt_ModeSelectOp : MLOpt_ComputeOp<"mode_select", [
    AllTypesMatch<["training", "evaluation", "result"]>, MLOpt_Unshardable,
    MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_EvalModeOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "one value in training, another in evaluation";
  let description = [{
    Is `training` in the training step and `evaluation` in `@eval_step`
    (its evaluation form, `EvalModeOpInterface`): a loss that training
    optimizes but evaluation should not report, such as distillation's
    combined loss, whose evaluation value is the student's own loss (the
    teacher's forward then has no use in `@eval_step` and goes). The
    gradient flows to `training` only. It forwards an operand's elements
    (no arithmetic, `ElementForwardingOpInterface`), follows its operands'
    precision, has no sharding rule (`MLOpt_Unshardable`), and lowers to
    its `training` operand: a lowered function is the training form.

    ```mlir
    %loss = mlopt.mode_select %total, %student_loss : tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$training, MLOpt_Tensor:$evaluation);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = "$training `,` $evaluation attr-dict `:` type($result)";
}

def MLOpt_DropoutOp : MLOpt_ComputeOp<"dropout", [
    AllTypesMatch<["input", "result"]>, MLOpt_Unshardable, MLOpt_PreservesZero,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_EvalModeOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "seeded inverted dropout (torch.nn.functional.dropout)";
  let description = [{
    Zeroes each element with probability `p` and scales the others by
    `1 / (1 - p)`. The randomness is explicit and counter-based: with `s`
    the value of `seed`, element `i` (row-major) is dropped when
    `uniform(splitmix64(s), stream, i) < p`, with the generator of
    docs/TrainingIR.md ("Random numbers"). The same seed value, stream and
    shape give the same mask on every backend.

    In a model the seed is read from a state of kind `rng`: `@init` draws
    it from the run's seed (`#mlopt.from_seed`) and `train_step` advances
    it by one per step, so the masks change every step and with `--seed`.
    The verifier enforces both halves of that contract:

    - a seed read with `mlopt.state_read` must read an `rng` state (any
      other state is neither seeded nor advanced: a frozen mask);
    - two dropouts of one function that draw from the same `rng` state (or
      the same seed value) must have different `stream`s, since the same
      seed and stream draw the same mask. `@train_step` is the exception:
      `mlopt-autodiff` replays each forward mask on its cotangent there.

    `eval_step` treats dropout as the identity.

    ```mlir
    mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
    ...
    %s = mlopt.state_read @rng : tensor<i64>
    %y = mlopt.dropout %x, %s p = 1.000000e-01 stream = 1 : tensor<8x256xf32>
    %z = mlopt.dropout %h, %s p = 1.000000e-01 stream = 2 : tensor<8x256xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_Seed:$seed,
                       F64Attr:$p, DefaultValuedAttr<I64Attr, "0">:$stream);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $seed `p` `=` $p (`stream` `=` $stream^)? attr-dict `:`
    type($input)
  }];
  let hasVerifier = 1;
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTNNOPS_TD
