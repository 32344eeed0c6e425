//===- MLOptInterfaces.td - per-op rules of mlopt ----------*- tablegen -*-===//
//
// DESIGN section 3: each op carries its own rules (shape inference, VJP,
// mixed-precision class, sharding, cost). Passes query these interfaces and
// never switch over op names.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTINTERFACES_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTINTERFACES_TD

include "mlir/IR/OpBase.td"

def MLOpt_InitializerAttrInterface : AttrInterface<"InitializerAttrInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    An initializer of a state tensor (`mlopt.state`'s `init`). It checks that
    it can initialize a tensor of a given type.
  }];
  let methods = [
    InterfaceMethod<
      "Checks that this initializer applies to `type`, reporting through "
      "`emitError` when it does not.",
      "::llvm::LogicalResult", "verifyForType",
      (ins "::mlir::RankedTensorType":$type,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>,
  ];
}

def MLOpt_DifferentiableOpInterface
    : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    The op's vector-Jacobian product, used by `mlopt-autodiff`. An op on the
    path from trainable state to the loss must implement it; autodiff reports
    a located error otherwise.
  }];
  let methods = [
    InterfaceMethod<
      "Whether operand `index` carries a gradient (integer labels, indices "
      "and RNG seeds do not).",
      "bool", "isOperandDifferentiable", (ins "unsigned":$index), [{}], [{
        return ::llvm::isa<::mlir::FloatType>(::mlir::getElementTypeOrSelf(
            $_op->getOperand(index).getType()));
      }]>,
    InterfaceMethod<
      "Builds the VJP at the builder's insertion point. `resultCotangents` "
      "holds one cotangent per result (null: zero). On success "
      "`operandCotangents` holds one value per operand, null where the "
      "operand is not differentiable.",
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultCotangents,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandCotangents)>,
  ];
}

//===----------------------------------------------------------------------===//
// Mixed precision
//===----------------------------------------------------------------------===//

/// Precision classes, as traits (include/mlopt/Dialect/MLOpt/IR/Precision.h):
/// an op with neither follows its input.
def MLOpt_LowPrecision : NativeOpTrait<"LowPrecisionCompute"> {
  let cppNamespace = "::mlir::mlopt";
}
def MLOpt_KeepF32 : NativeOpTrait<"KeepF32Compute"> {
  let cppNamespace = "::mlir::mlopt";
}

/// An op that maps zero to zero elementwise (Traits.h): its result has the
/// shape of its first operand and is 0 wherever that operand is 0.
/// `mlopt-prune-finalize` follows the zero outputs of removed neurons
/// through these ops to the next layer.
def MLOpt_PreservesZero : NativeOpTrait<"PreservesZero"> {
  let cppNamespace = "::mlir::mlopt";
}

def MLOpt_PrecisionOpInterface : OpInterface<"PrecisionOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    The op's mixed-precision class, used by `mlopt-amp`. The classes follow
    PyTorch autocast's op lists:

    - `low_precision` (trait `MLOpt_LowPrecision`): the op computes in
      f16/bf16 with f32 accumulation, where tensor cores and dot-product
      instructions pay off: `linear`, `matmul`, `batch_matmul` (autocast's
      "lower precision" list: `linear`, `mm`, `bmm`, `matmul`).
    - `keep_f32` (trait `MLOpt_KeepF32`): the op needs f32's range or
      accumulates many terms, so low-precision inputs are cast up:
      `exp`, `log`, `rsqrt`, `pow`, `softmax`, `log_softmax`, `sum`, `mean`,
      `layer_norm`, the losses (`mse_loss`, `cross_entropy`, `nll_loss`,
      `kl_div`), the metric `accuracy`, and `embedding_grad` (a scatter-add
      of gradients). Autocast's "float32" list.
    - `follow_input` (no trait): the op runs in the precision of its inputs:
      every other elementwise op (`neg`, `sqrt`, `relu`, `sigmoid`, `tanh`,
      `abs`, `cos`, `erf`, `gelu`, `add`, `sub`, `mul`, `div`, `maximum`,
      `minimum`, `compare`, `select`), `max` and `argmax` (exact in any
      precision), `dropout`, `tap` and `mode_select` (the identity and a
      choice of operand), `embedding`, `one_hot`, the shape ops
      (`reshape`, `broadcast_to`, `transpose`, `slice`, `concat`), `cast`,
      the pruning ops (`apply_mask` multiplies by 0 or 1, exact in any
      precision; `prune_mask` only compares scores; `sparsity_schedule`
      computes on its i64 step in f64 whatever the model's precision),
      the quantization ops (`observe`, `quant_params`, `fake_quant`,
      `fake_quant_grad`, `quantize`, `dequantize`, `quantized_linear`,
      `quantized_matmul`: their parameters are f32 and their integers exact
      whatever the model's precision), the collectives and point-to-point
      ops (`all_reduce`, `all_gather`, `reduce_scatter`, `broadcast`,
      `reduce`, `send`, `recv`, `local_shard`: they exchange the values in
      the precision they are given),
      and the state ops (`state`, `state_read`, `state_write`,
      `initial_value`, `constant`), which `mlopt-amp` leaves alone. Ops with
      several float operands need equal element types, so mixed inputs are
      cast to the widest (autocast's "promote" list).

    Every op of the dialect implements this interface (a unit test lists the
    ops that do not).
  }];
  let methods = [
    InterfaceMethod<"The op's mixed-precision class.",
      "::mlir::mlopt::PrecisionClass", "getPrecisionClass", (ins), [{}], [{
        static_assert(!(ConcreteOp::template hasTrait<
                            ::mlir::mlopt::LowPrecisionCompute>() &&
                        ConcreteOp::template hasTrait<
                            ::mlir::mlopt::KeepF32Compute>()),
                      "an op has one precision class");
        if constexpr (ConcreteOp::template hasTrait<
                          ::mlir::mlopt::LowPrecisionCompute>())
          return ::mlir::mlopt::PrecisionClass::LowPrecision;
        if constexpr (ConcreteOp::template hasTrait<
                          ::mlir::mlopt::KeepF32Compute>())
          return ::mlir::mlopt::PrecisionClass::KeepF32;
        return ::mlir::mlopt::PrecisionClass::FollowInput;
      }]>,
  ];
}

//===----------------------------------------------------------------------===//
// Sharding
//===----------------------------------------------------------------------===//

def MLOpt_ShardingOpInterface : OpInterface<"ShardingOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    How the op splits across devices, used by `mlopt-tensor-parallel`: a
    factor-based `ShardingRule` (include/mlopt/Dialect/MLOpt/IR/ShardingRule.h,
    after OpenXLA Shardy's `OpShardingRuleAttr`) describing a joint split of
    all operands and results. The op's iteration space is a set of factors;
    each operand and result dimension is mapped to the factors it is made of.
    A factor is
    - pass-through: splitting it splits the results along it, with no
      communication;
    - reduction (sum, mean or max): it appears in operands only; splitting it
      leaves partial results that an all-reduce completes, after which the
      rule's `postReductionOperands` (linear's bias) are applied;
    - need-replication: it must not be split (softmax's dimension,
      layer_norm's normalized dimensions, the class dimension of losses).

    `linear(x[B, K], w[N, K], b[N]) -> y[B, N]` has the rule
    `([i, k], [j, k], [j]) -> ([i, j]) {i=B, j=N, k=K} reduction={k:sum}
    after_reduction={2}`.

    The default implementation is the elementwise rule with NumPy
    broadcasting, for ops with the `MLOpt_ElementwiseShardingRule` trait;
    other ops implement `getShardingRule` themselves. Ops with no sensible
    rule carry `MLOpt_Unshardable` instead of this interface.
  }];
  let methods = [
    InterfaceMethod<
      "The op's sharding rule for its current types.",
      "::mlir::mlopt::ShardingRule", "getShardingRule", (ins), [{}], [{
        static_assert(ConcreteOp::template hasTrait<
                          ::mlir::mlopt::ElementwiseShardingRule>(),
                      "an op that is not elementwise implements "
                      "getShardingRule itself");
        return ::mlir::mlopt::detail::elementwiseShardingRule($_op);
      }]>,
  ];
}

/// The elementwise sharding rule with NumPy broadcasting: the trait and the
/// interface, whose default implementation it selects.
def MLOpt_ElementwiseShardingRuleTrait
    : NativeOpTrait<"ElementwiseShardingRule"> {
  let cppNamespace = "::mlir::mlopt";
}
def MLOpt_ElementwiseShardingRule : TraitList<[
    MLOpt_ElementwiseShardingRuleTrait,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface>]>;

/// An op without a sharding rule, on purpose (docs/DialectRationale.md,
/// "Sharding rules"): a tensor-parallel pass treats its results as
/// replicated.
def MLOpt_Unshardable : NativeOpTrait<"Unshardable"> {
  let cppNamespace = "::mlir::mlopt";
}

def MLOpt_CostOpInterface : OpInterface<"CostOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    The op's cost: floating-point operations and bytes moved, used by cost
    reports, fusion and pipeline splitting.
  }];
  let methods = [
    InterfaceMethod<"Floating-point operations of one execution.",
      "int64_t", "getFlops", (ins), [{}], [{
        return ::mlir::mlopt::detail::defaultFlops($_op);
      }]>,
    InterfaceMethod<"Bytes read and written, assuming no reuse.",
      "int64_t", "getBytesAccessed", (ins), [{}], [{
        return ::mlir::mlopt::detail::defaultBytesAccessed($_op);
      }]>,
  ];
}

def MLOpt_EvalModeOpInterface : OpInterface<"EvalModeOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    An op that computes something else in evaluation than in training
    (PyTorch's `module.eval()`): dropout is the identity; batch norm would
    normalize with its running statistics, a frozen fake-quant would use its
    observed range. `mlopt-entry-points` builds `@eval_step` from the loss
    function by asking each such op for its evaluation form.
  }];
  let methods = [
    InterfaceMethod<
      "Replaces the op, through `rewriter`, with its evaluation-mode form "
      "(existing values or new ops built at the op's position). On failure "
      "the op has emitted a located error and the IR is unchanged.",
      "::llvm::LogicalResult", "convertToEvalMode",
      (ins "::mlir::RewriterBase &":$rewriter)>,
  ];
}

def MLOpt_LossOpInterface : OpInterface<"LossOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    An op that compares the model's output with the labels (the losses and
    the metric `accuracy`). `getPrediction` names that output: the logits of
    `cross_entropy` and `accuracy`, the log-probabilities of `nll_loss` and
    `kl_div`, the prediction of `mse_loss`. When the loss function returns
    such an op's result as its loss, `mlopt-entry-points` builds
    `@predict_step`, which computes the prediction from the inputs alone.
  }];
  let methods = [
    InterfaceMethod<
      "The model's output that the op compares with the labels or the "
      "target.",
      "::mlir::Value", "getPrediction">,
  ];
}

def MLOpt_IndexOperandOpInterface : OpInterface<"IndexOperandOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    An op with integer index operands (class labels, embedding rows, one-hot
    classes) whose every element must lie in `[0, bound)`, the bound coming
    from the op's types. The runtime checks the data once against the bound
    that `getIndexBound` derives from these declarations, so compiled code
    never reads out of range.
  }];
  let methods = [
    InterfaceMethod<
      "Appends one entry per index operand: its operand number and the "
      "exclusive upper bound of its elements.",
      "void", "getIndexOperands",
      (ins "::llvm::SmallVectorImpl<::mlir::mlopt::IndexOperand> &":
           $indexOperands)>,
  ];
}

def MLOpt_ElementForwardingOpInterface
    : OpInterface<"ElementForwardingOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    An op whose result elements are elements of some operands, moved,
    repeated or converted (reshape, transpose, broadcast_to, slice, concat,
    select, cast, tap, mode_select): a range that the result's elements must respect, such as
    an index bound, applies to those operands' elements. `getIndexBound`
    follows index values through these ops.
  }];
  let methods = [
    InterfaceMethod<
      "Whether the elements of operand `index` reach the results (a "
      "select's condition does not).",
      "bool", "forwardsOperandElements", (ins "unsigned":$index), [{}], [{
        return true;
      }]>,
  ];
}

def MLOpt_BatchResizableOpInterface
    : OpInterface<"BatchResizableOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    How an op whose result type is not inferred from its operands follows a
    change of the batch size (`mlopt-set-batch-size`): `reshape`,
    `broadcast_to`, `cast` and `one_hot` spell the batch in their result
    type, a splat `constant` in its value. Ops with `InferTypeOpInterface`
    need no rule: the pass infers their result types again.

    The pass calls `resizeBatch` in two cases: when an operand carries the
    new batch (its type has changed), and, for an op none of whose operands
    changed (a constant, a broadcast of a bias), on a copy of the op whose
    result a user needs with the batch in dimension 0 because its type no
    longer infers otherwise.
  }];
  let methods = [
    InterfaceMethod<
      "With the operands at their new types (`oldOperandTypes` are those "
      "before the change, equal to the current ones when no operand carries "
      "the batch), updates the result types and any attribute that spells "
      "them in place for the batch changing from `oldBatch` to `newBatch`; "
      "when no operand carries the batch, gives the result the new batch in "
      "dimension 0. On failure, emits a located error with the reason and "
      "leaves the op unchanged.",
      "::llvm::LogicalResult", "resizeBatch",
      (ins "::mlir::TypeRange":$oldOperandTypes, "int64_t":$oldBatch,
           "int64_t":$newBatch)>,
  ];
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def MLOpt_QuantizableOpInterface : OpInterface<"QuantizableOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    An op with an int8 form, which `mlopt-quantize` uses (`linear`,
    `matmul`). The op names the operands that its int8 form quantizes and
    how (per tensor or per channel, symmetric or affine): quantization-aware
    training observes and fake-quantizes exactly these, static and dynamic
    quantization quantize them to int8 and ask the op to build its int8
    computation from them (int8 products with int32 accumulation, then
    dequantization to f32).
  }];
  let methods = [
    InterfaceMethod<
      "Appends the operands that the int8 form quantizes, in operand order.",
      "void", "getQuantizedOperands",
      (ins "::llvm::SmallVectorImpl<::mlir::mlopt::QuantizedOperand> &":
           $operands)>,
    InterfaceMethod<
      "Builds the int8 form at the builder's insertion point from the "
      "quantized operands (one per getQuantizedOperands entry, in its "
      "order) and returns the value that replaces the op's result (of its "
      "type). On failure, emits a located error.",
      "::mlir::FailureOr<::mlir::Value>", "buildInt8Form",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::mlopt::QuantizedValue>":$operands)>,
  ];
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTINTERFACES_TD
