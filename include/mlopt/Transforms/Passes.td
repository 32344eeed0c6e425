//===- Passes.td - mlopt training-step passes --------------*- tablegen -*-===//

#ifndef MLOPT_TRANSFORMS_PASSES_TD
#define MLOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MLOptSetBatchSize : Pass<"mlopt-set-batch-size", "::mlir::ModuleOp"> {
  let summary = "rewrites the batch dimension of the model to a given size";
  let description = [{
    Sets dimension 0 of every `mlopt.input` and `mlopt.label` argument of the
    function marked `mlopt.loss` (the batch, docs/TrainingIR.md) to `size`
    and propagates it through the function: ops with `InferTypeOpInterface`
    infer their result types again; the others follow their
    `BatchResizableOpInterface` rule (`reshape`, `broadcast_to`, `cast`,
    `one_hot`, and splat `constant`s and broadcasts of biases that an op
    needs at the new batch). Losses and metrics stay 0-d. It runs on the
    model, before `mlopt-autodiff`; `size` equal to the current batch changes
    nothing.

    Before, with `size=64`:
    ```mlir
    func.func @loss(%x: tensor<128x784xf32> {mlopt.input},
                    %y: tensor<128xi64> {mlopt.label}) -> tensor<f32>
        attributes {mlopt.loss} {
      %f = mlopt.reshape %x : tensor<128x784xf32> to tensor<128x28x28xf32>
      ...
      %loss = mlopt.cross_entropy %logits, %y
          : (tensor<128x10xf32>, tensor<128xi64>) -> tensor<f32>
      return %loss : tensor<f32>
    }
    ```
    After:
    ```mlir
    func.func @loss(%x: tensor<64x784xf32> {mlopt.input},
                    %y: tensor<64xi64> {mlopt.label}) -> tensor<f32>
        attributes {mlopt.loss} {
      %f = mlopt.reshape %x : tensor<64x784xf32> to tensor<64x28x28xf32>
      ...
      %loss = mlopt.cross_entropy %logits, %y
          : (tensor<64x10xf32>, tensor<64xi64>) -> tensor<f32>
      return %loss : tensor<f32>
    }
    ```

    Errors, located: no loss function, inputs and labels that disagree on
    dimension 0, `size <= 0`, a function other than the loss that already
    takes batched arguments (the pass ran after `mlopt-autodiff`), and an op
    that cannot follow the batch (a non-splat constant, a reshape that mixes
    the batch into other dimensions), named with its reason.
  }];
  let options = [
    Option<"size", "size", "int64_t", /*default=*/"0",
           "the new batch size (> 0)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptAutodiff : Pass<"mlopt-autodiff", "::mlir::ModuleOp"> {
  let summary = "reverse-mode differentiation of the loss into @train_step";
  let description = [{
    Differentiates the function marked `mlopt.loss` with respect to every
    trainable `mlopt.state` it reads, using each op's
    `DifferentiableOpInterface`. Adds `func.func @train_step` with the loss
    function's arguments, returning the loss, the metrics, then one gradient
    per reached trainable state (result attribute `mlopt.grad_of = @name`,
    in declaration order of the states). See docs/TrainingIR.md.

    Before:
    ```mlir
    func.func @loss(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x1xf32> {mlopt.label})
        -> tensor<f32> attributes {mlopt.loss} { ... }
    ```
    After, in addition:
    ```mlir
    func.func @train_step(%x: tensor<4x3xf32> {mlopt.input}, %y: tensor<4x1xf32> {mlopt.label})
        -> (tensor<f32>, tensor<1x3xf32> {mlopt.grad_of = @fc.weight})
        attributes {mlopt.train_step} { ... }
    ```
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptOptimizer : Pass<"mlopt-optimizer", "::mlir::ModuleOp"> {
  let summary = "writes the optimizer update of @train_step as ops";
  let description = [{
    Consumes the gradient results of `@train_step` (from `mlopt-autodiff`)
    and writes PyTorch's update (torch.optim SGD, Adam, AdamW) with
    `mlopt.state_write`, adding the optimizer state as named `mlopt.state`
    symbols (`optimizer.<param>.momentum_buffer`, `optimizer.<param>.exp_avg`,
    `optimizer.<param>.exp_avg_sq`, `optimizer.step`). Optional gradient
    clipping by global norm and a learning-rate schedule driven by
    `optimizer.step`.

    A parameter with `mlopt.masked_by = @mask` (`mlopt-prune`) is written as
    `mlopt.apply_mask` of its updated value and the current `@mask`, so
    momentum and weight decay never revive a pruned weight.

    The learning rate the step applied (after warm-up and the schedule) is
    appended to `@train_step`'s results as a 0-d `f64` tensor marked
    `{mlopt.metric = "lr"}`, so the runtime reports the compiled schedule
    rather than a second copy of its formula; a `@train_step` that already
    returns a metric named `lr` is an error.
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "sgd, adam or adamw">,
    Option<"lr", "lr", "double", /*default=*/"1e-3", "learning rate">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "SGD momentum">,
    Option<"dampening", "dampening", "double", /*default=*/"0.0",
           "SGD dampening">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false",
           "SGD Nesterov momentum">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam beta2">,
    Option<"eps", "eps", "double", /*default=*/"1e-8", "Adam epsilon">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"-1.0",
           "L2 penalty (SGD, Adam) or decoupled decay (AdamW); negative "
           "means the optimizer's PyTorch default (0, or 0.01 for AdamW)">,
    Option<"maxGradNorm", "max-grad-norm", "double", /*default=*/"0.0",
           "clip gradients to this global L2 norm; 0 disables">,
    Option<"schedule", "schedule", "std::string", /*default=*/"\"constant\"",
           "learning-rate schedule: constant, step or cosine">,
    Option<"stepSize", "step-size", "int64_t", /*default=*/"1",
           "step schedule: decay every this many steps">,
    Option<"gamma", "gamma", "double", /*default=*/"0.1",
           "step schedule: decay factor">,
    Option<"totalSteps", "total-steps", "int64_t", /*default=*/"0",
           "cosine schedule: steps from the end of warm-up to lr = min-lr">,
    Option<"minLr", "min-lr", "double", /*default=*/"0.0",
           "cosine schedule: final learning rate">,
    Option<"warmupSteps", "warmup-steps", "int64_t", /*default=*/"0",
           "linear warm-up from 0 over this many steps before the schedule">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptDataParallel : Pass<"mlopt-data-parallel", "::mlir::ModuleOp"> {
  let summary = "data parallelism: bucketed gradient all-reduce, ZeRO-1";
  let description = [{
    A post-autodiff pass (between `mlopt-autodiff` and `mlopt-optimizer`,
    before `mlopt-loss-scaling`) that makes `@train_step` one rank of a
    data-parallel group of `ranks` processes, each running the step on its
    own shard of the global batch (PyTorch's `DistributedDataParallel`;
    the model's batch is the per-rank batch, docs/DataParallel.md):

    - the gradients are averaged across ranks by `mlopt.all_reduce mean`
      ops over buckets, as DDP's `bucket_cap_mb`: the gradients in the
      order the backward pass produces them, the first bucket closing once
      it holds `first-bucket-mb` MiB, each later one at `bucket-mb` MiB; each
      bucket's all-reduce sits right after the op that makes its last
      gradient, so it is reduced as soon as it exists;
    - the loss and the metrics are averaged across ranks by one more
      all-reduce, so every rank reports the global figures;
    - `@train_step` is marked `mlopt.data_parallel_ranks = ranks`, which the
      runtime checks against the world it runs in.

    With `zero=1` (ZeRO stage 1, optimizer-state sharding) the buckets are
    `mlopt.reduce_scatter mean` ops instead: each gradient is flattened and
    zero-padded to a multiple of `ranks` elements, and the gradient result
    becomes this rank's chunk, marked `mlopt.grad_shard = ranks`;
    `mlopt-optimizer` then updates only that chunk of the parameter with
    optimizer state of the chunk's size and all-gathers the parameters.
    `mlopt-loss-scaling`'s finite check is then all-reduced, so every rank
    skips the same steps.

    Errors (located): `ranks < 1`, `bucket-mb` or `first-bucket-mb` not
    positive, `zero` not 0 or 1; no `@train_step` or one without gradients
    (`mlopt-autodiff` did not run, or `mlopt-optimizer` already consumed
    them), or a gradient that is not a statically shaped float tensor; a
    second run (`@train_step` is already marked); a step that
    `mlopt-loss-scaling` already checked (its finite check must see the
    averaged gradients, so every rank skips the same steps).
  }];
  let options = [
    Option<"ranks", "ranks", "int64_t", /*default=*/"0",
           "the number of data-parallel ranks (the world size; >= 1, "
           "required)">,
    Option<"bucketMb", "bucket-mb", "double", /*default=*/"25.0",
           "the size in MiB at which a gradient bucket closes (DDP's "
           "bucket_cap_mb)">,
    Option<"firstBucketMb", "first-bucket-mb", "double", /*default=*/"1.0",
           "the size in MiB of the first bucket, which the backward pass "
           "fills first">,
    Option<"zero", "zero", "int64_t", /*default=*/"0",
           "1: shard the optimizer state across ranks (ZeRO stage 1)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptLossScaling : Pass<"mlopt-loss-scaling", "::mlir::ModuleOp"> {
  let summary = "loss scaling with a finite check that skips bad steps";
  let description = [{
    A post-autodiff pass (between `mlopt-autodiff` and `mlopt-optimizer`)
    for low-precision training, PyTorch's `torch.cuda.amp.GradScaler` with
    DeepSpeed's `hysteresis` and `min_loss_scale`, compiled into the step:

    - the state `@loss_scaler.scale` (kind `loss_scale`, `tensor<f32>`,
      initialized to `init-scale`) seeds the reverse sweep in place of 1,
      i.e. the backward computes the gradients of `scale * loss` (the
      `mlopt.constant` that `mlopt-autodiff` marks `mlopt.loss_cotangent`);
      the returned loss stays unscaled;
    - every gradient is unscaled, `g * (1 / scale)` (the reciprocal in f64,
      cast to the gradient's type, as GradScaler's `inv_scale`);
    - one finite check covers all the unscaled gradients: `sum(g * 0)` is
      0 for a finite tensor and NaN for one holding an inf or a NaN; the
      sum over the gradients goes through `agreeOnNonFiniteAcrossRanks`
      (include/mlopt/Transforms/LossScaling.h, the hook of the distributed
      agreement) and is compared with 0;
    - the verdict is appended to `@train_step`'s results as a `tensor<i1>`
      marked `mlopt.grads_finite`: `mlopt-optimizer` then writes
      `select(finite, new, old)` to every state it updates, so that on a
      skipped step the parameters, moments and `@optimizer.step` (and with
      it the learning-rate schedule) stay bit for bit as they were; state
      that `@train_step` wrote before this pass (pruning masks and step,
      `rng` states) is restored to its value at the start of the step;
    - the scale is updated (mode `dynamic`): on a finite step the growth
      tracker counts up and, at `growth-interval`, the scale is multiplied
      by `growth-factor` (and the hysteresis refilled); on a skipped step
      the tracker restarts and, once `hysteresis` overflows in a row have
      used up the hysteresis, the scale is multiplied by `backoff-factor`,
      never below `min-scale`. Mode `static` keeps `init-scale`.

    States (kind `loss_scale`): `@loss_scaler.scale`,
    `@loss_scaler.growth_tracker` (dynamic), `@loss_scaler.hysteresis`
    (dynamic, `hysteresis > 1`), `@loss_scaler.skipped_steps`. Metrics
    (0-d f64 results): `loss_scale` (the scale this step applied),
    `skipped`, `nonfinite_grad` (the index in the function attribute
    `mlopt.checked_grads`, the gradients' states in order, of the first
    non-finite gradient; -1) and `scale_at_floor` (the step was skipped and
    the scale cannot back off further: `min-scale` reached with the
    hysteresis used up, or any skipped step in `static` mode), on which
    the runtime stops naming the step and the gradient.

    Before (from `mlopt-autodiff`):
    ```mlir
    func.func @train_step(...) -> (tensor<f32>,
        tensor<4x3xf32> {mlopt.grad_of = @fc.weight}) attributes {mlopt.train_step} {
      ...
      %seed = mlopt.constant {mlopt.loss_cotangent} dense<1.0> : tensor<f32>
      ... (the reverse sweep from %seed)
      return %loss, %gw : tensor<f32>, tensor<4x3xf32>
    }
    ```
    After:
    ```mlir
    mlopt.state @loss_scaler.scale : tensor<f32> loss_scale
        init #mlopt.constant<value = 65536.0>
    func.func @train_step(...) -> (tensor<f32>,
        tensor<4x3xf32> {mlopt.grad_of = @fc.weight},
        tensor<i1> {mlopt.grads_finite},
        tensor<f64> {mlopt.metric = "loss_scale"}, ...)
        attributes {mlopt.checked_grads = [@fc.weight], mlopt.train_step} {
      %scale = mlopt.state_read @loss_scaler.scale : tensor<f32>
      ... (the reverse sweep from %scale)
      %g = mlopt.mul %gw, %inv_scale : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xf32>
      %z = mlopt.mul %g, %zero : ...
      %s = mlopt.sum %z dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
      %finite = mlopt.compare eq, %s, %zero : (tensor<f32>, tensor<f32>) -> tensor<i1>
      ... (the scale update, state_write @loss_scaler.*)
      return %loss, %g, %finite, %applied, ...
    }
    ```

    Errors, located: bad options (`init-scale`, `min-scale` not positive
    and finite or `min-scale > init-scale`, `growth-factor <= 1`,
    `backoff-factor` outside (0, 1), `growth-interval < 1`,
    `hysteresis < 1`, an unknown `mode`); no `@train_step`, or one without
    gradients (`mlopt-autodiff` did not run, or `mlopt-optimizer` already
    consumed them) or without the marked seed; a second run (the states or
    metrics exist).
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"dynamic\"",
           "dynamic (GradScaler's updates) or static (the scale stays "
           "init-scale)">,
    Option<"initScale", "init-scale", "double", /*default=*/"65536.0",
           "the initial scale (> 0)">,
    Option<"growthFactor", "growth-factor", "double", /*default=*/"2.0",
           "dynamic: the scale's factor after growth-interval finite steps "
           "(> 1)">,
    Option<"backoffFactor", "backoff-factor", "double", /*default=*/"0.5",
           "dynamic: the scale's factor after a skipped step (in (0, 1))">,
    Option<"growthInterval", "growth-interval", "int64_t",
           /*default=*/"2000",
           "dynamic: consecutive finite steps before the scale grows (>= 1)">,
    Option<"hysteresis", "hysteresis", "int64_t", /*default=*/"1",
           "dynamic: overflows in a row before the scale backs off "
           "(DeepSpeed's; 1: every overflow, as GradScaler)">,
    Option<"minScale", "min-scale", "double", /*default=*/"1.0",
           "dynamic: the floor of the scale (DeepSpeed's min_loss_scale; "
           "> 0, <= init-scale); a skipped step at the floor stops the run">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptEntryPoints : Pass<"mlopt-entry-points", "::mlir::ModuleOp"> {
  let summary =
      "adds the init, eval_step and predict_step entry points and the manifest";
  let description = [{
    Adds `func.func @init(%seed: tensor<i64>)`, which writes every state from
    its initializer (`mlopt.initial_value`), and `func.func @eval_step`, the
    loss function with each op in its evaluation form (`EvalModeOpInterface`;
    dropout is the identity, `mlopt.mode_select` its evaluation operand) and
    no state writes. Attaches the state manifest as the module attribute
    `mlopt.manifest`, a `#mlopt.manifest` (name, kind, type and trainable
    flag of every state, in declaration order).

    The results of the loss function marked `mlopt.train_only` (metrics that
    only training reports, such as `mlopt-distill`'s `student_loss` and
    `distill_loss`) are left out of `@eval_step` and `@calibrate_step`: the
    result and its return operand go, then every op that nothing uses any
    more and that has no effect but reads (a distillation teacher's forward,
    the training value of a `mode_select`, a dropout's seed read).
    `@train_step` keeps them:

    ```mlir
    func.func @loss(%x: tensor<128x784xf32> {mlopt.input},
                    %y: tensor<128xi64> {mlopt.label})
        -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"},
            tensor<f32> {mlopt.metric = "distill_loss", mlopt.train_only})
        attributes {mlopt.loss} {
      ...
      %loss = mlopt.mode_select %total, %student_loss : tensor<f32>
      return %loss, %acc, %kd : tensor<f32>, tensor<f32>, tensor<f32>
    }
    // becomes, without the teacher's states read or its forward:
    func.func @eval_step(%x: tensor<128x784xf32> {mlopt.input},
                         %y: tensor<128xi64> {mlopt.label})
        -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
        attributes {mlopt.eval_step} {
      ...
      return %student_loss, %acc : tensor<f32>, tensor<f32>
    }
    ```

    When `@eval_step`'s loss (result #0) is the result of an op with
    `LossOpInterface` (`cross_entropy`, `nll_loss`, `mse_loss`, `kl_div`),
    also adds `func.func @predict_step`, marked `mlopt.predict_step`: the
    computation of that op's prediction (`getPrediction`: the logits of
    `cross_entropy`) in evaluation form, taking the `mlopt.input` arguments
    only and returning the prediction:

    ```mlir
    func.func @predict_step(%x: tensor<128x784xf32> {mlopt.input})
        -> tensor<128x10xf32> attributes {mlopt.predict_step} {
      %w = mlopt.state_read @fc.weight : tensor<10x784xf32>
      %logits = mlopt.linear %x, %w : ... -> tensor<128x10xf32>
      return %logits : tensor<128x10xf32>
    }
    ```

    A loss computed otherwise (a sum of losses) has no single prediction: no
    `@predict_step` is built and that is not an error. (A distillation's
    combined loss is a `mode_select` whose evaluation operand is the
    student's loss: `@predict_step` computes the student's prediction.) A
    prediction that depends on an `mlopt.label` argument is an error at the
    loss op.

    When the module has state of kind `observer` (`mlopt-quantize`), also
    adds `func.func @calibrate_step`: the loss function in evaluation form
    as `@eval_step`, except that `mlopt.observe` keeps its training form and
    the writes of observer states stay (no other state changes), taking what
    the loss function does and returning what `@eval_step` does, without
    argument and result attributes; the runtime runs it to calibrate static
    quantization (`Session::calibrateStep`, docs/Quantization.md).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptPrune : Pass<"mlopt-prune", "::mlir::ModuleOp"> {
  let summary = "pruning masks as state, applied in the forward pass";
  let description = [{
    A model-level pass (before `mlopt-autodiff`) that prunes weights the way
    `torch.nn.utils.prune` does, with the masks as training state. For each
    pruned weight `@W` it adds the state `@W.mask` (kind `mask`, the type of
    `@W`, initialized to ones) and marks `@W` with
    `mlopt.masked_by = @W.mask`; one state `@pruning.step` (kind `step`,
    `tensor<i64>`) counts the training steps. At the start of the loss
    function the masks are recomputed:

    - `mlopt.sparsity_schedule` on `@pruning.step` gives the target sparsity
      and whether this step updates the masks (`schedule=oneshot`: sparsity
      `amount` at step `start-step` only; `schedule=gradual`: the cubic
      schedule of Zhu & Gupta 2017 from `initial-sparsity` at `start-step` to
      `final-sparsity` at `end-step`, every `frequency` steps);
    - every weight's scores are grouped and passed to `mlopt.prune_mask`
      with the current mask as `previous`; entries the current mask already
      prunes score -1, below every real score, so a later update never
      revives them;
    - the new mask is written to `@W.mask`, then `@pruning.step` + 1 to
      `@pruning.step`.

    Every other read of `@W` in the loss function is replaced by
    `mlopt.apply_mask` of the read and the new mask, so pruned weights get
    no gradient, and `mlopt-optimizer` masks their updated value too (it
    reads `mlopt.masked_by`). In `@eval_step` (`mlopt-entry-points`) the
    masks are read as they are.

    Methods (`method=`), with PyTorch's names:

    - `l1` (`l1_unstructured`): scores `|w|`, one group per weight;
    - `random` (`random_unstructured`): scores drawn from the counter-based
      generator, `uniform(seed, fnv1a64("<W>.mask"), i)` in [0, 1) through
      `mlopt.initial_value` of the constant `seed`, so every machine and
      every rank draws the same mask;
    - `ln` (`ln_structured`): one score per slice along `dim` (`dim=0`: the
      rows, i.e. the output neurons of a linear weight `[out, in]`; `dim=1`:
      the input columns), `sum(|w|^norm)` over the other dimensions (the
      `norm`-th power of the L_n norm, which orders the slices as the norm
      does; `norm=inf`: `max |w|`). With `dim=0`, the bias that the op
      consuming the weight adds to those outputs (a post-reduction operand
      of its sharding rule, linear's bias) is masked with the rows
      (`@B.mask`, `@B` marked `masked_by`), so a pruned neuron outputs
      exactly 0; the pass then checks that `mlopt-prune-finalize` can remove
      the neurons physically (`checkStructuredShrink`) and reports the op
      that prevents it otherwise;
    - `nm` (n:m semi-structured): scores `|w|` in groups of `m` consecutive
      elements along the weight's reduction dimension (the dimension its op
      contracts: dim 1 of linear's `[out, in]`, dim 0 of matmul's rhs
      `[k, n]`; the last dimension for a weight that no op contracts), with
      sparsity `(m - n) / m`: at most `n` non-zeros in every group of `m`.

    `amount` is a fraction in [0, 1] when it contains `.`, `e` or `E`
    (`0.5`, `1e-1`, `1.`), and otherwise a count of entries (`l1`, `random`)
    or of slices (`ln`) to prune, `0 <= count <= ` the group's length `L`;
    a count becomes the fraction `count / L`, which `prune_mask`'s
    `round(sparsity * L)` (half to even, as PyTorch's `round(amount * n)`)
    turns back into exactly `count`. `nm` takes no `amount`. With
    `schedule=gradual`, `final-sparsity` is the final fraction; when it is
    not given, `amount` is.

    `scope=global` (`global_unstructured`, methods `l1` and `random`)
    flattens and concatenates the scores of all targets into one group, so
    the `round(amount * total)` smallest scores over all of them are pruned,
    whatever tensor holds them; the masks are sliced back out.

    `targets` is a regular expression (POSIX extended) that must match the
    whole state name (`fc1\.weight`, `fc[0-9]+\.weight`). By default the
    targets are the weights of linear and matmul-like ops: the
    floating-point parameters that some op of the loss function reads as an
    operand it contracts (a dimension of the operand maps to a reduction
    factor of the op's sharding rule that another operand shares, and the
    op has a non-scalar result), never biases, norms or embedding tables.
    Every target must be a floating-point `parameter` without a mask.

    Before, with `method=l1 amount=0.5 targets=fc\.weight`:
    ```mlir
    mlopt.state @fc.weight : tensor<4x3xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, ...) -> tensor<f32>
        attributes {mlopt.loss} {
      %w = mlopt.state_read @fc.weight : tensor<4x3xf32>
      %y = mlopt.linear %x, %w : (tensor<8x3xf32>, tensor<4x3xf32>)
          -> tensor<8x4xf32>
      ...
    }
    ```
    After:
    ```mlir
    mlopt.state @fc.weight : tensor<4x3xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.2360679774997898>
        {mlopt.masked_by = @fc.weight.mask}
    mlopt.state @fc.weight.mask : tensor<4x3xf32> mask init #mlopt.ones
    mlopt.state @pruning.step : tensor<i64> step init #mlopt.zeros
    func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, ...) -> tensor<f32>
        attributes {mlopt.loss} {
      %t = mlopt.state_read @pruning.step : tensor<i64>
      %s, %u = mlopt.sparsity_schedule %t initial = 5.000000e-01
          final = 5.000000e-01 start = 0 end = 0 frequency = 1 : tensor<i64>
      %w0 = mlopt.state_read @fc.weight : tensor<4x3xf32>
      %m0 = mlopt.state_read @fc.weight.mask : tensor<4x3xf32>
      %abs = mlopt.abs %w0 : tensor<4x3xf32>
      %pruned = mlopt.compare eq, %m0, %zero
          : (tensor<4x3xf32>, tensor<f32>) -> tensor<4x3xi1>
      %scores = mlopt.select %pruned, %minus_one, %abs : ...
      %g = mlopt.reshape %scores : tensor<4x3xf32> to tensor<1x12xf32>
      %p = mlopt.reshape %m0 : tensor<4x3xf32> to tensor<1x12xf32>
      %mg = mlopt.prune_mask %g, %s, %u, %p : tensor<1x12xf32>
      %mask = mlopt.reshape %mg : tensor<1x12xf32> to tensor<4x3xf32>
      mlopt.state_write %mask, @fc.weight.mask : tensor<4x3xf32>
      ... (@pruning.step + 1, through f64)
      mlopt.state_write %next, @pruning.step : tensor<i64>
      %w = mlopt.state_read @fc.weight : tensor<4x3xf32>
      %wm = mlopt.apply_mask %w, %mask : tensor<4x3xf32>
      %y = mlopt.linear %x, %wm : (tensor<8x3xf32>, tensor<4x3xf32>)
          -> tensor<8x4xf32>
      ...
    }
    ```

    A second `mlopt-prune` (other targets, another method) shares
    `@pruning.step` and the increment of the first.

    Errors, located at the module for options and at the state or op
    otherwise: an unknown `method`, `scope` or `schedule`; a missing or
    malformed `amount`, a fraction outside [0, 1], a count above the
    group's length; `amount` with `nm`; `n < 0`, `m < 1`, `n > m`, a
    reduction dimension that `m` does not divide; `scope=global` with `ln`
    or `nm`; an invalid `targets` regex or one that matches no state (or,
    by default, no weight of a contracting op); a target that is not a
    parameter, not floating-point or already masked; `dim` out of range;
    `norm <= 0` or NaN; for `schedule=gradual`: `nm`, `end-step <
    start-step`, `start-step < 0`, `frequency < 1`, `end-step - start-step`
    not a multiple of `frequency`, sparsities outside [0, 1], `final` below
    `initial`, both `amount` and `final-sparsity`; structured pruning (`ln`,
    `dim=0`) of a weight whose consumer cannot be shrunk; a bias that is a
    target too; names that already exist (`@W.mask`, a `@pruning.step` that
    is not a `tensor<i64>` step state).
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"l1\"",
           "l1, random, ln or nm">,
    Option<"amount", "amount", "std::string", /*default=*/"\"\"",
           "what to prune: a fraction in [0, 1] when it contains '.' or 'e', "
           "otherwise a count of entries (ln: of slices); nm takes none">,
    Option<"scope", "scope", "std::string", /*default=*/"\"tensor\"",
           "tensor (each weight on its own) or global (l1, random: all "
           "targets ranked together)">,
    Option<"targets", "targets", "std::string", /*default=*/"\"\"",
           "regular expression over whole state names; empty: the weights "
           "of linear and matmul-like ops">,
    Option<"norm", "norm", "double", /*default=*/"2.0",
           "ln: the n of the L_n norm (> 0, or inf)">,
    Option<"dim", "dim", "int64_t", /*default=*/"0",
           "ln: the dimension whose slices are pruned (0: rows / output "
           "neurons, 1: input columns; negative counts from the end)">,
    Option<"n", "n", "int64_t", /*default=*/"2",
           "nm: the non-zeros kept in every group of m">,
    Option<"m", "m", "int64_t", /*default=*/"4",
           "nm: the group length along the reduction dimension">,
    Option<"schedule", "schedule", "std::string", /*default=*/"\"oneshot\"",
           "oneshot (prune at start-step) or gradual (Zhu & Gupta's cubic "
           "schedule)">,
    Option<"startStep", "start-step", "int64_t", /*default=*/"0",
           "the first step that prunes (oneshot: the only one)">,
    Option<"initialSparsity", "initial-sparsity", "double", /*default=*/"0.0",
           "gradual: the sparsity at start-step">,
    Option<"finalSparsity", "final-sparsity", "double", /*default=*/"-1.0",
           "gradual: the sparsity from end-step on; negative: amount">,
    Option<"endStep", "end-step", "int64_t", /*default=*/"-1",
           "gradual: the last step that updates the masks">,
    Option<"frequency", "frequency", "int64_t", /*default=*/"100",
           "gradual: steps between mask updates (TF Model Optimization's "
           "default); end-step - start-step must be a multiple">,
    Option<"seed", "seed", "int64_t", /*default=*/"0",
           "random: the seed of the scores">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptPruneFinalize : Pass<"mlopt-prune-finalize", "::mlir::ModuleOp"> {
  let summary = "folds the pruning masks into the weights and removes pruned "
                "neurons";
  let description = [{
    Finalizes pruning on the model (PyTorch's `torch.nn.utils.prune.remove`,
    plus the physical removal that structured pruning allows):

    - every `mlopt.apply_mask` of a mask is replaced by the weight it masks;
      the mask updates of `mlopt-prune` (the state writes of the masks and
      of `@pruning.step`, and the schedule, scores and `prune_mask` that
      only they use) are erased, then the mask states, `@pruning.step` and
      the `mlopt.masked_by` attributes;
    - a weight whose mask is structured along a dimension (every slice all
      zero or all kept, as `ln` pruning makes them) loses its zero slices,
      together with the slices of every state that shares the dimension.
      Which states do is read from the ops' sharding rules, never from
      their names:
      - output neurons (the dimension is a pass-through factor of the op that
        contracts the weight, `dim=0` of `linear`): the layer's bias (a
        post-reduction operand, which must be masked to zero there too,
        otherwise the neurons output their bias and the layer stays whole)
        and, after ops that map zero to zero (`MLOpt_PreservesZero`: relu,
        gelu, tanh, dropout, cast, ...), the operands of the op that sums
        over them: the next layer's input columns;
      - input columns (a sum-reduction factor, `dim=1` of `linear`): the
        rows and bias of the layer that produces the matching input, through
        any elementwise ops, when nothing else uses that input.
      The result types of the ops in between are inferred again.
    - every state initialized with `#mlopt.value` gets its masked and
      shrunk value, so a model with its weights embedded finalizes
      completely here. The masks' values come from their `#mlopt.value`
      initializers; `mlopt-run --load=CHECKPOINT --finalize-pruning
      --save-model=OUT.mlir --save=OUT.safetensors` supplies them from a
      checkpoint instead and transforms the checkpoint's tensors the same
      way (`finalizePruning` and `applyStateChange` in
      include/mlopt/Transforms/PruneFinalize.h).

    An unstructured mask only folds: the types stay. A mask that prunes
    every slice folds too (no layer is left without neurons).

    Before (fc1's rows 1 and 3 pruned, with their bias entries):
    ```mlir
    mlopt.state @fc1.weight : tensor<4x3xf32> parameter trainable
        init #mlopt.value<...> {mlopt.masked_by = @fc1.weight.mask}
    mlopt.state @fc1.bias : tensor<4xf32> parameter trainable
        init #mlopt.value<...> {mlopt.masked_by = @fc1.bias.mask}
    mlopt.state @fc2.weight : tensor<2x4xf32> parameter trainable
        init #mlopt.value<...>
    mlopt.state @fc1.weight.mask : tensor<4x3xf32> mask
        init #mlopt.value<dense<[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0],
                                 [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]> : tensor<4x3xf32>>
    mlopt.state @fc1.bias.mask : tensor<4xf32> mask
        init #mlopt.value<dense<[1.0, 0.0, 1.0, 0.0]> : tensor<4xf32>>
    mlopt.state @pruning.step : tensor<i64> step init #mlopt.zeros
    func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, ...) -> tensor<f32>
        attributes {mlopt.loss} {
      ... (the mask updates of mlopt-prune)
      %w1 = mlopt.state_read @fc1.weight : tensor<4x3xf32>
      %w1m = mlopt.apply_mask %w1, %mask1 : tensor<4x3xf32>
      %b1 = mlopt.state_read @fc1.bias : tensor<4xf32>
      %b1m = mlopt.apply_mask %b1, %bmask1 : tensor<4xf32>
      %h = mlopt.linear %x, %w1m, %b1m
          : (tensor<8x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x4xf32>
      %a = mlopt.relu %h : tensor<8x4xf32>
      %w2 = mlopt.state_read @fc2.weight : tensor<2x4xf32>
      %y = mlopt.linear %a, %w2 : (tensor<8x4xf32>, tensor<2x4xf32>) -> tensor<8x2xf32>
      ...
    }
    ```
    After:
    ```mlir
    mlopt.state @fc1.weight : tensor<2x3xf32> parameter trainable
        init #mlopt.value<...rows 0 and 2...>
    mlopt.state @fc1.bias : tensor<2xf32> parameter trainable
        init #mlopt.value<...entries 0 and 2...>
    mlopt.state @fc2.weight : tensor<2x2xf32> parameter trainable
        init #mlopt.value<...columns 0 and 2...>
    func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, ...) -> tensor<f32>
        attributes {mlopt.loss} {
      %w1 = mlopt.state_read @fc1.weight : tensor<2x3xf32>
      %b1 = mlopt.state_read @fc1.bias : tensor<2xf32>
      %h = mlopt.linear %x, %w1, %b1
          : (tensor<8x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<8x2xf32>
      %a = mlopt.relu %h : tensor<8x2xf32>
      %w2 = mlopt.state_read @fc2.weight : tensor<2x2xf32>
      %y = mlopt.linear %a, %w2 : (tensor<8x2xf32>, tensor<2x2xf32>) -> tensor<8x2xf32>
      ...
    }
    ```

    Errors, located: a mask without a `#mlopt.value` initializer (its
    trained value lives in a checkpoint); no loss function; pruning state
    used outside the loss function (the pass runs on the model, before
    `mlopt-autodiff`) or by ops other than `apply_mask` and the mask
    updates; and, for a structured mask, whatever prevents the removal, at
    the op responsible: an op between the layers that does not map zero to
    zero (`sigmoid`, `exp`, `softmax`, an added constant), outputs of the
    removed neurons that are returned or reach a loss or an op that does
    not sum over them, a reshape that mixes the dimension, a weight or
    input used elsewhere too, input columns that come from the loss
    function's arguments, and states that two pruned weights would shrink
    differently.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptAmp : Pass<"mlopt-amp", "::mlir::ModuleOp"> {
  let summary = "mixed precision: low-precision casts by op class";
  let description = [{
    A model-level pass (before `mlopt-autodiff`) that makes the loss
    function compute in `dtype` (`bf16` or `f16`) where it pays, as PyTorch's
    `torch.autocast` does. Each op's class comes from its
    `PrecisionOpInterface` (docs/DialectRationale.md, "Precision classes"):

    - `low_precision` (`linear`, `matmul`, `batch_matmul`): every float
      operand is cast to `dtype`, and the op computes in `dtype` (the
      lowering accumulates in f32);
    - `keep_f32` (softmax, log-like and exp-like functions, norms,
      reductions, losses, metrics): low-precision operands are cast back to
      f32;
    - `follow_input` (other elementwise ops, shape ops, ...): the op
      computes in the widest type of its float operands, casting the others
      to it (`relu` of a low-precision `linear` stays low precision; `add` of
      an f32 and a bf16 value computes in f32).

    Only the f32 computation changes: an op with a float operand or result
    of another type in the input (f64, or an f16/bf16 the model chose) and
    every op that produces nothing (`state_write`) or that has no
    `PrecisionOpInterface` (`func.return`, calls) gets its operands in their
    original types back, so the loss and the metrics stay f32, and states are
    written in their own types. A cast is inserted only where a value's type
    changes, once per value and type, right after the value's definition.

    Master weights stay f32: the states keep their types; a parameter that a
    low-precision op reads is cast after its `state_read`, inside the step,
    so `mlopt-autodiff` (the VJP of `cast` casts the cotangent back to the
    input's type) gives f32 gradients and `mlopt-optimizer` updates the f32
    state. `@eval_step` and `@predict_step` (`mlopt-entry-points`) compute
    like the loss function. Redundant cast pairs fold away in
    canonicalization (`mlopt.cast`).

    Before, with `dtype=bf16`:
    ```mlir
    func.func @loss(%x: tensor<8x3xf32> {mlopt.input},
                    %y: tensor<8xi64> {mlopt.label}) -> tensor<f32>
        attributes {mlopt.loss} {
      %w = mlopt.state_read @fc.weight : tensor<4x3xf32>
      %h = mlopt.linear %x, %w : (tensor<8x3xf32>, tensor<4x3xf32>)
          -> tensor<8x4xf32>
      %a = mlopt.relu %h : tensor<8x4xf32>
      %loss = mlopt.cross_entropy %a, %y
          : (tensor<8x4xf32>, tensor<8xi64>) -> tensor<f32>
      return %loss : tensor<f32>
    }
    ```
    After:
    ```mlir
    func.func @loss(%x: tensor<8x3xf32> {mlopt.input},
                    %y: tensor<8xi64> {mlopt.label}) -> tensor<f32>
        attributes {mlopt.loss} {
      %xl = mlopt.cast %x : tensor<8x3xf32> to tensor<8x3xbf16>
      %w = mlopt.state_read @fc.weight : tensor<4x3xf32>
      %wl = mlopt.cast %w : tensor<4x3xf32> to tensor<4x3xbf16>
      %h = mlopt.linear %xl, %wl : (tensor<8x3xbf16>, tensor<4x3xbf16>)
          -> tensor<8x4xbf16>
      %a = mlopt.relu %h : tensor<8x4xbf16>
      %af = mlopt.cast %a : tensor<8x4xbf16> to tensor<8x4xf32>
      %loss = mlopt.cross_entropy %af, %y
          : (tensor<8x4xf32>, tensor<8xi64>) -> tensor<f32>
      return %loss : tensor<f32>
    }
    ```

    Errors, located: a `dtype` other than `bf16` and `f16` (at the module);
    no loss function with a body; a module that already has `@train_step`
    (the pass runs before `mlopt-autodiff`, whose gradients would miss the
    casts); a trainable state of type f16 or bf16 (the master weights must
    be f32 for the optimizer to update them in f32; declare it f32 and let
    the pass make the low-precision copy).
  }];
  let options = [
    Option<"dtype", "dtype", "std::string", /*default=*/"\"bf16\"",
           "the low-precision type: bf16 or f16">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptQuantize : Pass<"mlopt-quantize", "::mlir::ModuleOp"> {
  let summary = "quantization-aware training, calibration observers and the "
                "int8 model";
  let description = [{
    A model-level pass (before `mlopt-autodiff`, after `mlopt-prune`) for the
    quantization of PyTorch's `torch.ao.quantization`. The ops it quantizes
    and how come from their `QuantizableOpInterface` (`linear`: the input
    affine per tensor, the weight symmetric per output channel; `matmul`:
    both operands affine per tensor); `ops` restricts them to the named ops.
    Integer ranges are signed: `[-2^(b-1), 2^(b-1) - 1]` for `b` bits
    (weights symmetric, activations affine), stored in `i8` for `b` < 8 in
    the int8 model. Activations default to 7 bits, PyTorch's x86
    `reduce_range` (also `quantize_dynamic`'s): the AVX2 int8 kernel's exact
    fast path, and one model on every CPU. `static` and `dynamic` use
    `weight-bits`/`activation-bits`; `convert` takes each operand's range
    from the `fake_quant` it removes (a QAT model converts to the bits it
    trained with) and, after `static`, from its own
    `weight-bits`/`activation-bits` (`mlopt-run` converts a calibrated
    model with the `static` pass's bits).

    Each quantized op is a layer: the weight-like operand's state `P.weight`
    (read through `apply_mask`, `fake_quant` or `cast`) names it `P`,
    otherwise `<mnemonic>_<n>` in walk order (`matmul_0`), made unique. The
    op is stamped `mlopt.quant_layer = "<layer>"`. Each quantized operand
    `<role>` (`input`, `weight`, `lhs`, `rhs`) gets the observer states
    `@<layer>.<role>_observer.min_val` and `.max_val` (kind `observer`, f32,
    0-d or `[C]` per channel, initialized to `+inf` and `-inf`).

    Modes (`mode=`):

    - `qat`: quantization-aware training. Every quantized operand `x` is
      observed (`mlopt.observe`, the new range written back to the
      observers), its parameters computed (`mlopt.quant_params`) and the op
      uses `mlopt.fake_quant` of `x`, whose gradient is the straight-through
      estimator. Fake quantization works in `x`'s type (under `mlopt-amp`),
      and keeps a pruning mask: `fake_quant(0) = 0` for symmetric weights.
      With `freeze-observers-after=N`, the state `@quantization.step` (kind
      `step`, `tensor<i64>`) counts the steps and the observers update while
      it is below `N`. In `@eval_step` the observers return their range.
    - `static`: post-training calibration (PyTorch's `prepare`): the
      observers only (`minmax` by default); the float forward is unchanged.
      `mlopt-run --calibrate=N` runs batches through them, then converts.
    - `convert`: the int8 inference model from the observers of `qat` or
      `static`: observers, `fake_quant` and `@quantization.step` are removed;
      a weight read from a state becomes that state in `i8` (a parameter,
      not trainable), with the buffers `@<layer>.<role>.scale` (f32) and
      `@<layer>.<role>.zero_point` (i32); other operands are quantized in the
      graph (`mlopt.quantize`) with their own scale and zero point buffers;
      the op is replaced by its int8 form (`mlopt.quantized_linear` or
      `mlopt.quantized_matmul`, int32 sums, `mlopt.dequantize`).
    - `dynamic`: PyTorch's `quantize_dynamic` on a float model: int8 weights
      with parameters from their own range (per output channel), and
      activations quantized per batch in the graph (`observe` of an
      unobserved range, `quant_params`, `quantize`).

    `convert` and `dynamic` compute the new states' values where the float
    model has them (`#mlopt.value` initializers); otherwise the runtime
    computes them from a checkpoint (`convertToInt8` and
    `computeQuantizedStateValue` in `mlopt/Transforms/Quantize.h`).

    Before, with `mode=qat`:
    ```mlir
    mlopt.state @fc.weight : tensor<4x3xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.2360679774997898>
    func.func @loss(%x: tensor<8x3xf32> {mlopt.input}, ...) -> tensor<f32>
        attributes {mlopt.loss} {
      %w = mlopt.state_read @fc.weight : tensor<4x3xf32>
      %y = mlopt.linear %x, %w : (tensor<8x3xf32>, tensor<4x3xf32>)
          -> tensor<8x4xf32>
      ...
    }
    ```
    After:
    ```mlir
    mlopt.state @fc.input_observer.min_val : tensor<f32> observer
        init #mlopt.value<dense<0x7F800000> : tensor<f32>>
    mlopt.state @fc.input_observer.max_val : tensor<f32> observer
        init #mlopt.value<dense<0xFF800000> : tensor<f32>>
    mlopt.state @fc.weight_observer.min_val : tensor<4xf32> observer ...
    mlopt.state @fc.weight_observer.max_val : tensor<4xf32> observer ...
    func.func @loss(...) attributes {mlopt.loss} {
      %w = mlopt.state_read @fc.weight : tensor<4x3xf32>
      %true = mlopt.constant dense<true> : tensor<i1>
      %min = mlopt.state_read @fc.input_observer.min_val : tensor<f32>
      %max = mlopt.state_read @fc.input_observer.max_val : tensor<f32>
      %min1, %max1 = mlopt.observe %x, %min, %max, %true
          {averaging_constant = 1.000000e-02 : f64}
          : tensor<8x3xf32>, tensor<f32>
      mlopt.state_write %min1, @fc.input_observer.min_val : tensor<f32>
      mlopt.state_write %max1, @fc.input_observer.max_val : tensor<f32>
      %s, %zp = mlopt.quant_params %min1, %max1
          {quant_max = 127 : i64, quant_min = -128 : i64} : tensor<f32>
      %xq = mlopt.fake_quant %x, %s, %zp
          {quant_max = 127 : i64, quant_min = -128 : i64}
          : tensor<8x3xf32>, tensor<f32>
      ... (the same for %w, per channel: axis = 0, symmetric)
      %y = mlopt.linear %xq, %wq {mlopt.quant_layer = "fc"} ...
    }
    ```
    After `mode=convert`:
    ```mlir
    mlopt.state @fc.weight : tensor<4x3xi8> parameter init #mlopt.zeros
    mlopt.state @fc.input.scale : tensor<f32> buffer init ...
    mlopt.state @fc.input.zero_point : tensor<i32> buffer init ...
    mlopt.state @fc.weight.scale : tensor<4xf32> buffer init ...
    mlopt.state @fc.weight.zero_point : tensor<4xi32> buffer init ...
    func.func @loss(...) attributes {mlopt.loss} {
      %s = mlopt.state_read @fc.input.scale : tensor<f32>
      %zp = mlopt.state_read @fc.input.zero_point : tensor<i32>
      %xq = mlopt.quantize %x, %s, %zp {quant_max = 127 : i64,
          quant_min = -128 : i64} : tensor<8x3xf32>, tensor<f32>
          -> tensor<8x3xi8>
      %wq = mlopt.state_read @fc.weight : tensor<4x3xi8>
      %acc = mlopt.quantized_linear %xq, %zp, %wq
          : (tensor<8x3xi8>, tensor<i32>, tensor<4x3xi8>) -> tensor<8x4xi32>
      %y = mlopt.dequantize %acc, ... {axis = 1 : i64}
          : tensor<8x4xi32>, tensor<4xf32> -> tensor<8x4xf32>
      ...
    }
    ```

    Errors, located (options at the module): an unknown `mode` or
    `observer`; bit widths outside 2..8 ("is not supported"); an
    `averaging-constant` outside (0, 1] for `moving-average`;
    `freeze-observers-after < -1`; an op in `ops` that is unknown or has no
    int8 form, or any `ops` with `convert` (it converts the layers that
    `qat` or `static` prepared); no loss function with a body; a module that already has
    `@train_step`; no op to quantize; a quantized operand that is not
    floating-point; names that already exist; `qat`/`static` on a model
    that is quantized already; `convert` on a model without the observers
    of `qat` or `static`, with observer states of the wrong type, or with
    a `fake_quant` range that `i8` does not hold; `convert` or `dynamic` on
    a model with pruning masks ("finalize pruning first"), `dynamic` on a
    model with observers. (A weight state that is read elsewhere too stays float
    and is quantized in the graph like an activation.)
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"\"",
           "qat, static, dynamic or convert (required)">,
    Option<"weightBits", "weight-bits", "int64_t", /*default=*/"8",
           "bits of the weights, 2..8 (int8 modes: stored in i8)">,
    Option<"activationBits", "activation-bits", "int64_t", /*default=*/"7",
           "bits of the activations, 2..8 (7, PyTorch's x86 reduce_range: "
           "the AVX2 int8 kernel's exact fast path)">,
    Option<"perChannel", "per-channel", "bool", /*default=*/"true",
           "weights per output channel (else per tensor)">,
    Option<"observer", "observer", "std::string", /*default=*/"\"\"",
           "minmax or moving-average (default: qat moving-average, static "
           "minmax)">,
    Option<"averagingConstant", "averaging-constant", "double",
           /*default=*/"0.01",
           "the moving average's constant c: min += c * (batch_min - min)">,
    Option<"freezeObserversAfter", "freeze-observers-after", "int64_t",
           /*default=*/"-1",
           "observers update while @quantization.step < N (-1: never "
           "frozen)">,
    ListOption<"ops", "ops", "std::string",
               "qat, static, dynamic: the op names to quantize (default: "
               "every op with an int8 form)">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def MLOptDistill : Pass<"mlopt-distill", "::mlir::ModuleOp"> {
  let summary = "knowledge distillation: a frozen teacher's forward in the "
                "student's loss";
  let description = [{
    A model-level pass (before `mlopt-autodiff`; after `mlopt-prune` and
    `mlopt-quantize{mode=qat}`, before `mlopt-amp`) that merges a teacher,
    another mlopt model (`teacher=FILE.mlir`, its tensors from
    `teacher-checkpoint=FILE.safetensors`), into the student's loss
    function. The teacher runs forward only, on the same batch, in its
    evaluation form (dropout is the identity): its states become states of
    kind `teacher` named `teacher.<name>`, holding the checkpoint's values
    (`#mlopt.value`), never trainable, so autodiff computes no gradient for
    them, the optimizer keeps no state for them, and checkpoints of the
    student leave them out. The teacher's inputs are the student's
    (`mlopt.input` arguments, in order, of the same types; a teacher written
    for another batch size is first brought to the student's, as
    `mlopt-set-batch-size` does); its output is the prediction of its loss
    (`LossOpInterface::getPrediction`: logits). Only the slice of the
    teacher that computes it (or its tapped tensor) is cloned, without the
    teacher's own `mlopt.tap`s. The checkpoint's tensors that are not the
    teacher's (a training checkpoint's optimizer state) are ignored; the C++
    API (Distill.h: `distillModel`) takes the tensors as attributes.

    Modes (`mode=`), with `s`/`t` the student's and the teacher's outputs:

    - `soft` (Hinton et al. 2015): `loss = alpha * T^2 *
      KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * student_loss`,
      the KL divergence averaged over the batch (`kl_div` `batchmean`) with
      `T = temperature`.
    - `regression`: `loss = alpha * MSE(s, t) + (1 - alpha) *
      student_loss`; `alpha=1` trains on the teacher's outputs alone.
    - `feature` (FitNets hints): `loss = student_loss + hint-weight *
      MSE(proj(a), b)` for the student's tensor tapped `student-tap`
      (`mlopt.tap`) and the teacher's tapped `teacher-tap` (the same name by
      default). `proj` is a learned linear map without bias
      (`distill.projection.weight`, trainable, `[teacher width, student
      width]`, nn.Linear's initialization) when the last dimensions differ
      (`projection=auto`), always (`always`) or never (`never`: the widths
      must match).

    The loss function returns `mlopt.mode_select(total, student_loss)` as its
    loss, and the metrics `student_loss` and `distill_loss` (`hint_loss` in
    `feature` mode) after its own, marked `mlopt.train_only`: `@eval_step`
    reports the student's own loss and metrics, without the teacher.

    Errors, located (options at the module): an unknown `mode` or
    `projection`; `temperature <= 0`; `alpha` outside [0, 1]; a negative
    `hint-weight`; a teacher file that cannot be read or parsed, or has no
    loss function; a checkpoint that cannot be read or does not match the
    teacher (every mismatch listed: missing tensors, dtypes, shapes); no
    loss function with a body; a module that already has `@train_step` or
    a teacher; inputs that differ; a student loss that is no
    `LossOpInterface` op; a teacher output whose type differs from the
    student's; a missing or repeated tap name, taps whose shapes differ in
    more than the last dimension, or widths that differ with
    `projection=never`.
  }];
  let options = [
    Option<"teacher", "teacher", "std::string", /*default=*/"\"\"",
           "the teacher model (.mlir, required)">,
    Option<"teacherCheckpoint", "teacher-checkpoint", "std::string",
           /*default=*/"\"\"",
           "the teacher's tensors (.safetensors, required)">,
    Option<"mode", "mode", "std::string", /*default=*/"\"soft\"",
           "soft, regression or feature">,
    Option<"alpha", "alpha", "double", /*default=*/"0.9",
           "soft, regression: the distillation term's weight, in [0, 1]">,
    Option<"temperature", "temperature", "double", /*default=*/"4.0",
           "soft: the softmax temperature T (> 0)">,
    Option<"studentTap", "student-tap", "std::string", /*default=*/"\"\"",
           "feature: the student's mlopt.tap name">,
    Option<"teacherTap", "teacher-tap", "std::string", /*default=*/"\"\"",
           "feature: the teacher's mlopt.tap name (default: student-tap)">,
    Option<"hintWeight", "hint-weight", "double", /*default=*/"1.0",
           "feature: the hint loss's weight (>= 0)">,
    Option<"projection", "projection", "std::string", /*default=*/"\"auto\"",
           "feature: auto (when the widths differ), always or never">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // MLOPT_TRANSFORMS_PASSES_TD
