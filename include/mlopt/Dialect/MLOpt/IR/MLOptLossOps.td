//===- MLOptLossOps.td - losses and metrics ----------------*- tablegen -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTLOSSOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTLOSSOPS_TD

class MLOpt_LossOp<string mnemonic, list<Trait> traits = []>
    : MLOpt_ComputeOp<mnemonic, !listconcat([InferTypeOpAdaptor,
        MLOpt_KeepF32,
        DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
        DeclareOpInterfaceMethods<MLOpt_LossOpInterface>],
        traits)> {
  let results = (outs MLOpt_FloatScalar:$result);
  let assemblyFormat = [{
    operands attr-dict `:` functional-type(operands, results)
  }];
}

def MLOpt_MseLossOp : MLOpt_LossOp<"mse_loss", [
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "mean squared error (torch.nn.functional.mse_loss)";
  let description = [{
    `mean((input - target)^2)` over all elements; both operands have the
    same type; the result is a 0-d tensor of their element type.

    ```mlir
    %l = mlopt.mse_loss %pred, %target : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_FloatTensor:$target);
}

def MLOpt_CrossEntropyOp : MLOpt_LossOp<"cross_entropy", [
    DeclareOpInterfaceMethods<MLOpt_IndexOperandOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "softmax cross-entropy over class labels (mean reduction)";
  let description = [{
    `logits` is `[N, C]`, `labels` holds `N` integer classes in `[0, C)`.
    Computes `mean_n(logsumexp(logits[n]) - logits[n, labels[n]])`, PyTorch's
    `F.cross_entropy` with the default mean reduction. A label outside
    `[0, C)` is a runtime error.

    ```mlir
    %l = mlopt.cross_entropy %logits, %y : (tensor<128x10xf32>, tensor<128xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$logits, MLOpt_IntTensor:$labels);
}

def MLOpt_NllLossOp : MLOpt_LossOp<"nll_loss", [
    DeclareOpInterfaceMethods<MLOpt_IndexOperandOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "negative log-likelihood over class labels (mean reduction)";
  let description = [{
    `input` is `[N, C]` log-probabilities, `labels` holds `N` integer classes.
    Computes `-mean_n(input[n, labels[n]])` (PyTorch's `F.nll_loss`).

    ```mlir
    %l = mlopt.nll_loss %logp, %y : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_IntTensor:$labels);
}

def MLOpt_KLDivOp : MLOpt_LossOp<"kl_div", [
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "Kullback-Leibler divergence (torch.nn.functional.kl_div)";
  let description = [{
    PyTorch's convention: `input` holds log-probabilities; `target` holds
    probabilities, or log-probabilities with `log_target`. The pointwise term
    is `target * (log(target) - input)` (0 where `target` is 0) or
    `exp(target) * (target - input)` with `log_target`. `reduction` is
    `mean` over all elements (PyTorch's default), `batchmean` (sum divided
    by the first dimension, the mathematically correct KL) or `sum`.

    ```mlir
    %l = mlopt.kl_div %student_logp, %teacher_p reduction = batchmean
        : (tensor<128x10xf32>, tensor<128x10xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_FloatTensor:$target,
                       DefaultValuedAttr<MLOpt_KLDivReduction,
                         "::mlir::mlopt::KLDivReduction::Mean">:$reduction,
                       UnitAttr:$log_target);
  let assemblyFormat = [{
    $input `,` $target (`reduction` `=` $reduction^)?
    (`log_target` $log_target^)? attr-dict `:` functional-type(operands, results)
  }];
}

def MLOpt_AccuracyOp : MLOpt_LossOp<"accuracy", [
    DeclareOpInterfaceMethods<MLOpt_IndexOperandOpInterface>]> {
  let summary = "fraction of rows whose argmax equals the label";
  let description = [{
    `logits` is `[N, C]`, `labels` holds `N` integer classes; the result is
    `count(argmax(logits[n]) == labels[n]) / N`. It has no gradient and is
    meant for metrics.

    ```mlir
    %a = mlopt.accuracy %logits, %y : (tensor<128x10xf32>, tensor<128xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$logits, MLOpt_IntTensor:$labels);
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTLOSSOPS_TD
