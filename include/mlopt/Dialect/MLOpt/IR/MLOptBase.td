//===- MLOptBase.td - mlopt dialect definition -------------*- tablegen -*-===//
//
// The mlopt dialect: model-level IR for neural-network training graphs.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTBASE_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def MLOpt_Dialect : Dialect {
  let name = "mlopt";
  let cppNamespace = "::mlir::mlopt";
  let summary = "Model-level IR for neural-network training graphs";
  let description = [{
    The `mlopt` dialect describes a model (forward computation plus loss) on
    statically shaped ranked tensors. Training state (parameters, buffers,
    optimizer moments, masks, ...) is declared with module-level `mlopt.state`
    symbols and read with `mlopt.state_read`; the model's loss is a
    `func.func` carrying the `mlopt.loss` unit attribute, whose arguments are
    marked `mlopt.input` (a batch of inputs) or `mlopt.label` (the batch's
    labels). Further results of the loss function may be named metrics with
    the `mlopt.metric` result attribute.

    ```mlir
    mlopt.state @fc.weight : tensor<1x10xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.23606797749979>
    func.func @loss(%x: tensor<32x10xf32> {mlopt.input},
                    %y: tensor<32x1xf32> {mlopt.label}) -> tensor<f32>
        attributes {mlopt.loss} {
      %w = mlopt.state_read @fc.weight : tensor<1x10xf32>
      %p = mlopt.linear %x, %w : (tensor<32x10xf32>, tensor<1x10xf32>) -> tensor<32x1xf32>
      %l = mlopt.mse_loss %p, %y : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<f32>
      return %l : tensor<f32>
    }
    ```
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();

    /// Discardable attribute names understood by the dialect.
    static constexpr llvm::StringLiteral kLossAttrName = "mlopt.loss";
    static constexpr llvm::StringLiteral kInputAttrName = "mlopt.input";
    static constexpr llvm::StringLiteral kLabelAttrName = "mlopt.label";
    static constexpr llvm::StringLiteral kMetricAttrName = "mlopt.metric";
    /// Attributes of the training IR (docs/TrainingIR.md).
    static constexpr llvm::StringLiteral kTrainStepAttrName = "mlopt.train_step";
    static constexpr llvm::StringLiteral kEvalStepAttrName = "mlopt.eval_step";
    static constexpr llvm::StringLiteral kPredictStepAttrName =
        "mlopt.predict_step";
    static constexpr llvm::StringLiteral kInitAttrName = "mlopt.init";
    static constexpr llvm::StringLiteral kGradOfAttrName = "mlopt.grad_of";
    static constexpr llvm::StringLiteral kManifestAttrName = "mlopt.manifest";
    /// On a parameter `mlopt.state`: the `mask` state that prunes it
    /// (`mlopt-prune`); the optimizer keeps its pruned elements at zero.
    static constexpr llvm::StringLiteral kMaskedByAttrName = "mlopt.masked_by";
    /// On the `mlopt.constant` that seeds the reverse sweep of @train_step
    /// (the loss's cotangent, 1; `mlopt-autodiff`): `mlopt-loss-scaling`
    /// replaces its uses by the loss scale.
    static constexpr llvm::StringLiteral kLossCotangentAttrName =
        "mlopt.loss_cotangent";
    /// On a `tensor<i1>` result of @train_step (`mlopt-loss-scaling`): true
    /// when every gradient is finite; `mlopt-optimizer` applies its update
    /// only then and consumes the result.
    static constexpr llvm::StringLiteral kGradsFiniteAttrName =
        "mlopt.grads_finite";
    /// On @train_step (`mlopt-loss-scaling`): the states whose gradients the
    /// finite check covers, in order; the `nonfinite_grad` metric indexes it.
    static constexpr llvm::StringLiteral kCheckedGradsAttrName =
        "mlopt.checked_grads";
    /// On a metric result of the loss function (`mlopt-distill`'s
    /// `student_loss` and `distill_loss`): reported in training only;
    /// `mlopt-entry-points` drops it from @eval_step and @calibrate_step.
    static constexpr llvm::StringLiteral kTrainOnlyAttrName =
        "mlopt.train_only";
    /// On @train_step (`mlopt-data-parallel`): the number of ranks the step
    /// was compiled for (i64); the runtime checks the world size against it.
    static constexpr llvm::StringLiteral kDataParallelRanksAttrName =
        "mlopt.data_parallel_ranks";
    /// On a gradient result of @train_step (`mlopt-data-parallel{zero=1}`),
    /// beside `mlopt.grad_of`: the number of ranks (i64) the gradient is
    /// sharded over. The result is this rank's chunk of the flattened,
    /// zero-padded, rank-averaged gradient: `tensor<S x T>` with
    /// S = ceil(numel / ranks) (docs/DataParallel.md).
    static constexpr llvm::StringLiteral kGradShardAttrName =
        "mlopt.grad_shard";
    /// On an `mlopt.state` that holds one rank's chunk of a tensor
    /// (`mlopt-optimizer` under ZeRO-1): the state whose shape the full
    /// tensor has (`mlopt.shard_of = @fc1.weight`) and the number of ranks
    /// (`mlopt.shard_ranks`, i64). The state's own type is
    /// `tensor<S x T>`, S = ceil(numel / ranks); checkpoints hold the full
    /// tensor.
    static constexpr llvm::StringLiteral kShardOfAttrName = "mlopt.shard_of";
    static constexpr llvm::StringLiteral kShardRanksAttrName =
        "mlopt.shard_ranks";
  }];
}

/// Every tensor of an mlopt op has a size that fits in 64 bits (Traits.h).
def MLOpt_BoundedTensorTypes : NativeOpTrait<"BoundedTensorTypes"> {
  let cppNamespace = "::mlir::mlopt";
}

class MLOpt_Op<string mnemonic, list<Trait> traits = []>
    : Op<MLOpt_Dialect, mnemonic, !listconcat([MLOpt_BoundedTensorTypes],
                                              traits)>;

class MLOpt_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<MLOpt_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def MLOpt_FloatElement : AnyTypeOf<[F16, BF16, F32, F64]>;
def MLOpt_IntElement : AnyTypeOf<[I8, I16, I32, I64]>;

def MLOpt_FloatTensor : StaticShapeTensorOf<[MLOpt_FloatElement]>;
def MLOpt_IntTensor : StaticShapeTensorOf<[MLOpt_IntElement]>;
def MLOpt_BoolTensor : StaticShapeTensorOf<[I1]>;
def MLOpt_Tensor
    : StaticShapeTensorOf<[MLOpt_FloatElement, MLOpt_IntElement, I1]>;
def MLOpt_FloatScalar : 0DTensorOf<[MLOpt_FloatElement]>;
def MLOpt_F64Scalar : 0DTensorOf<[F64]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF64Type())">;
def MLOpt_BoolScalar : 0DTensorOf<[I1]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getI1Type())">;
def MLOpt_I64Scalar : 0DTensorOf<[I64]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getI64Type())">;
def MLOpt_Seed : 0DTensorOf<[I64]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getI64Type())">;

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTBASE_TD
