//===- MLOptCompressionOps.td - pruning masks and schedules -*- tablegen -*-===//
//
// The ops `mlopt-prune` builds: a mask applied in the forward pass, the mask
// computed from scores, and the sparsity schedule that says when.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTCOMPRESSIONOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTCOMPRESSIONOPS_TD

def MLOpt_ApplyMaskOp : MLOpt_ComputeOp<"apply_mask", [
    AllTypesMatch<["input", "mask", "result"]>, MLOpt_ElementwiseShardingRule,
    MLOpt_PreservesZero,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "zeroes the pruned elements of a weight (y = x * mask)";
  let description = [{
    Multiplies `input` elementwise by `mask`, whose elements are 0 (pruned)
    or 1 (kept): PyTorch's `weight = weight_orig * weight_mask` of
    `torch.nn.utils.prune`. The gradient flows to `input` only, masked the
    same way, so pruned weights get no gradient; the mask is not
    differentiated (it is piecewise constant).

    `mlopt-prune` applies the mask where the model reads the weight, and
    `mlopt-optimizer` applies it again to the updated value of a state whose
    `mlopt.masked_by` names the mask, so momentum cannot revive a pruned
    weight.

    ```mlir
    %wm = mlopt.apply_mask %w, %mask : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_FloatTensor:$mask);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = "$input `,` $mask attr-dict `:` type($input)";
}

def MLOpt_PruneMaskOp : MLOpt_ComputeOp<"prune_mask", [
    AllTypesMatch<["scores", "previous", "result"]>,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    DeclareOpInterfaceMethods<MLOpt_EvalModeOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>],
    ["getFlops"]> {
  let summary = "a 0/1 mask that prunes the lowest scores of each group";
  let description = [{
    When `update` holds, returns a mask of the shape of `scores` that, in
    every group (every 1-D slice along the last dimension, of length `L`),
    is 0 at the `k = round(sparsity * L)` elements with the smallest scores
    and 1 elsewhere. `round` rounds half to even, as Python's `round` in
    `torch.nn.utils.prune` does. Equal scores are pruned in index order
    (lower index first), so `k` is exact whatever the ties: a weight that
    is already zero does not protect another. A NaN score counts as the
    smallest. When `update` does not hold, returns `previous` unchanged.

    `mlopt-prune` gets every method from this one rule by what it passes as
    scores and how it groups them:

    - `l1` (PyTorch `l1_unstructured`): `|w|`, flattened into one group;
    - `random` (`random_unstructured`): uniform numbers from the
      counter-based generator, so the mask is the same on every machine;
    - `ln` (`ln_structured`): the L_n norm of every row (or column), one
      score per neuron, broadcast back to the weight afterwards;
    - `nm` (n:m semi-structured): `|w|` in groups of `m` consecutive
      elements along the reduction dimension, with `sparsity = (m - n) / m`;
    - `scope=global` (`global_unstructured`): the scores of all the weights
      concatenated into one group.

    The op has no gradient with respect to any operand. In `@eval_step` it
    returns `previous`: evaluation never changes a mask.

    ```mlir
    %m = mlopt.prune_mask %scores, %sparsity, %update, %previous
        : tensor<1x200704xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$scores, MLOpt_F64Scalar:$sparsity,
                       MLOpt_BoolScalar:$update, MLOpt_FloatTensor:$previous);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $scores `,` $sparsity `,` $update `,` $previous attr-dict `:`
    type($scores)
  }];
  let hasVerifier = 1;
}

def MLOpt_SparsityScheduleOp : MLOpt_ComputeOp<"sparsity_schedule", [
    MLOpt_Unshardable]> {
  let summary = "the target sparsity at a step, and whether to prune then";
  let description = [{
    Evaluates the gradual pruning schedule of Zhu & Gupta 2017 ("To prune,
    or not to prune") at step `t` (the value of `step`):

    ```
    s(t) = final + (initial - final) * (1 - (t - start) / (end - start))^3
    ```

    for `start <= t <= end`, `initial` before `start` and `final` after
    `end`. `update` holds at `t = start, start + frequency, ..., end`: the
    steps at which the masks are recomputed. With `start = end` the
    schedule is one-shot: `s = final` and `update` holds at `t = start`
    only.

    `end - start` must be a multiple of `frequency`, so the last update
    reaches `final`. Both sparsities lie in [0, 1]; `start >= 0`,
    `end >= start`, `frequency >= 1`.

    ```mlir
    %sparsity, %update = mlopt.sparsity_schedule %step initial = 0.0
        final = 0.9 start = 100 end = 1000 frequency = 100 : tensor<i64>
    ```
  }];
  let arguments = (ins MLOpt_I64Scalar:$step, F64Attr:$initial,
                       F64Attr:$final, I64Attr:$start, I64Attr:$end,
                       I64Attr:$frequency);
  let results = (outs MLOpt_F64Scalar:$sparsity, MLOpt_BoolScalar:$update);
  let assemblyFormat = [{
    $step `initial` `=` $initial `final` `=` $final `start` `=` $start
    `end` `=` $end `frequency` `=` $frequency attr-dict `:` type($step)
  }];
  let hasVerifier = 1;
  let builders = [OpBuilder<(ins "::mlir::Value":$step, "double":$initial,
      "double":$final, "int64_t":$start, "int64_t":$end,
      "int64_t":$frequency), [{
    auto f64 = ::mlir::RankedTensorType::get({}, $_builder.getF64Type());
    auto i1 = ::mlir::RankedTensorType::get({}, $_builder.getI1Type());
    build($_builder, $_state, f64, i1, step,
          $_builder.getF64FloatAttr(initial), $_builder.getF64FloatAttr(final),
          $_builder.getI64IntegerAttr(start), $_builder.getI64IntegerAttr(end),
          $_builder.getI64IntegerAttr(frequency));
  }]>];
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTCOMPRESSIONOPS_TD
