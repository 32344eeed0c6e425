//===- MLOptAttrs.td - mlopt attributes and enums ----------*- tablegen -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTATTRS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTATTRS_TD

include "mlopt/Dialect/MLOpt/IR/MLOptBase.td"
include "mlopt/Dialect/MLOpt/IR/MLOptInterfaces.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def MLOpt_StateKind : I32EnumAttr<"StateKind", "kind of a training-state tensor", [
    I32EnumAttrCase<"Parameter", 0, "parameter">,
    I32EnumAttrCase<"Buffer", 1, "buffer">,
    I32EnumAttrCase<"OptimizerState", 2, "optimizer_state">,
    I32EnumAttrCase<"Mask", 3, "mask">,
    I32EnumAttrCase<"Observer", 4, "observer">,
    I32EnumAttrCase<"LossScale", 5, "loss_scale">,
    I32EnumAttrCase<"Step", 6, "step">,
    I32EnumAttrCase<"Rng", 7, "rng">,
    I32EnumAttrCase<"Teacher", 8, "teacher">]> {
  let cppNamespace = "::mlir::mlopt";
}

def MLOpt_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how gelu evaluates the Gaussian CDF", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Tanh", 1, "tanh">]> {
  let cppNamespace = "::mlir::mlopt";
}

def MLOpt_KLDivReduction : I32EnumAttr<"KLDivReduction",
    "reduction of kl_div's pointwise terms", [
    I32EnumAttrCase<"Mean", 0, "mean">,
    I32EnumAttrCase<"BatchMean", 1, "batchmean">,
    I32EnumAttrCase<"Sum", 2, "sum">]> {
  let cppNamespace = "::mlir::mlopt";
}

def MLOpt_ComparePredicate : I32EnumAttr<"ComparePredicate",
    "elementwise comparison", [
    I32EnumAttrCase<"EQ", 0, "eq">,
    I32EnumAttrCase<"NE", 1, "ne">,
    I32EnumAttrCase<"LT", 2, "lt">,
    I32EnumAttrCase<"LE", 3, "le">,
    I32EnumAttrCase<"GT", 4, "gt">,
    I32EnumAttrCase<"GE", 5, "ge">]> {
  let cppNamespace = "::mlir::mlopt";
}

def MLOpt_ReduceKind : I32EnumAttr<"ReduceKind",
    "how a collective combines the ranks' values", [
    I32EnumAttrCase<"Sum", 0, "sum">,
    I32EnumAttrCase<"Mean", 1, "mean">,
    I32EnumAttrCase<"Max", 2, "max">,
    I32EnumAttrCase<"Min", 3, "min">]> {
  let cppNamespace = "::mlir::mlopt";
}

def MLOpt_PrecisionClass : I32EnumAttr<"PrecisionClass",
    "how an op behaves under mixed precision", [
    I32EnumAttrCase<"LowPrecision", 0, "low_precision">,
    I32EnumAttrCase<"KeepF32", 1, "keep_f32">,
    I32EnumAttrCase<"FollowInput", 2, "follow_input">]> {
  let cppNamespace = "::mlir::mlopt";
}

//===----------------------------------------------------------------------===//
// Initializers of state tensors
//===----------------------------------------------------------------------===//

/// An f64 parameter printed in its shortest round-tripping form.
class MLOpt_F64Parameter<string desc = ""> : APFloatParameter<desc> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value = 0.0;
    if ($_parser.parseFloat(value))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = "$_printer.printFloat($_self)";
}

class MLOpt_DefaultF64Parameter<string value> : MLOpt_F64Parameter {
  let defaultValue = "::llvm::APFloat(" # value # ")";
}

class MLOpt_InitAttr<string name, string attrMnemonic>
    : MLOpt_Attr<name, attrMnemonic,
                 [DeclareAttrInterfaceMethods<MLOpt_InitializerAttrInterface>]>;

// The custom parser rejects `#mlopt.zeros<...>`: the generated one for an
// attribute without parameters would silently drop the `<...>` body.
def MLOpt_ZerosInitAttr : MLOpt_InitAttr<"ZerosInit", "zeros"> {
  let summary = "fills the tensor with 0 (torch.nn.init.zeros_)";
  let hasCustomAssemblyFormat = 1;
}

def MLOpt_OnesInitAttr : MLOpt_InitAttr<"OnesInit", "ones"> {
  let summary = "fills the tensor with 1 (torch.nn.init.ones_)";
  let hasCustomAssemblyFormat = 1;
}

def MLOpt_ConstantInitAttr : MLOpt_InitAttr<"ConstantInit", "constant"> {
  let summary = "fills the tensor with one value (torch.nn.init.constant_)";
  let description = [{
    `#mlopt.constant<value = 0.5>`. On an integer tensor the value must be
    integral and fit the type (`iN`: [-2^(N-1), 2^(N-1)), `i1`: 0 or 1).
  }];
  let parameters = (ins MLOpt_F64Parameter<>:$value);
  let assemblyFormat = "`<` struct(params) `>`";
}

def MLOpt_UniformInitAttr : MLOpt_InitAttr<"UniformInit", "uniform"> {
  let summary = "samples U(low, high) (torch.nn.init.uniform_)";
  let description = [{
    `#mlopt.uniform<low = -0.1, high = 0.1>`; `low` must be below `high`.
  }];
  let parameters = (ins MLOpt_F64Parameter<>:$low, MLOpt_F64Parameter<>:$high);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def MLOpt_NormalInitAttr : MLOpt_InitAttr<"NormalInit", "normal"> {
  let summary = "samples N(mean, std^2) (torch.nn.init.normal_)";
  let description = [{
    `#mlopt.normal<mean = 0.0, std = 0.02>`; `std` must be positive.
  }];
  let parameters = (ins MLOpt_F64Parameter<>:$mean, MLOpt_F64Parameter<>:$std);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def MLOpt_KaimingUniformInitAttr
    : MLOpt_InitAttr<"KaimingUniformInit", "kaiming_uniform"> {
  let summary = "He uniform init (torch.nn.init.kaiming_uniform_, fan_in mode)";
  let description = [{
    Samples U(-bound, bound) with `gain = sqrt(2 / (1 + a^2))` (PyTorch's
    `leaky_relu` gain) and `bound = gain * sqrt(3 / fan_in)`. `fan_in` is
    computed from the tensor like PyTorch's `_calculate_fan_in_and_fan_out`
    (`shape[1] * prod(shape[2:])`, rank >= 2 required) unless given
    explicitly (`fan_in = 0`, the default, means "computed").

    PyTorch's `nn.Linear(in, out)` default initialization is expressible:
    the weight is `#mlopt.kaiming_uniform<a = 2.23606797749979>` (a = sqrt(5))
    and the bias `#mlopt.kaiming_uniform<a = 2.23606797749979, fan_in = in>`,
    whose bound is exactly `1 / sqrt(in)`.
  }];
  let parameters = (ins MLOpt_DefaultF64Parameter<"0.0">:$a,
                        DefaultValuedParameter<"int64_t", "0">:$fan_in);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
  let genVerifyDecl = 1;
}

def MLOpt_XavierUniformInitAttr
    : MLOpt_InitAttr<"XavierUniformInit", "xavier_uniform"> {
  let summary = "Glorot uniform init (torch.nn.init.xavier_uniform_)";
  let description = [{
    Samples U(-bound, bound) with
    `bound = gain * sqrt(6 / (fan_in + fan_out))`, where
    `fan_in = shape[1] * prod(shape[2:])` and
    `fan_out = shape[0] * prod(shape[2:])` (rank >= 2 required).
  }];
  let parameters = (ins MLOpt_DefaultF64Parameter<"1.0">:$gain);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
  let genVerifyDecl = 1;
}

def MLOpt_FromSeedInitAttr : MLOpt_InitAttr<"FromSeedInit", "from_seed"> {
  let summary = "derives an `rng` state from @init's seed (torch.manual_seed)";
  let description = [{
    Element `i` gets `bits(seed, stream, i) >> 12` (docs/TrainingIR.md,
    "Random numbers"): a value in [0, 2^52) that depends on `@init`'s seed
    and on the state's name (its stream), so `--seed` changes every dropout
    mask drawn from the state and two `rng` states never start alike. The
    bound leaves `train_step`'s increment exact for 2^52 steps. Needs an
    `i64` element type; an `rng` state must use it.

    ```mlir
    mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
    ```
  }];
  let hasCustomAssemblyFormat = 1;
}

def MLOpt_ValueInitAttr : MLOpt_InitAttr<"ValueInit", "value"> {
  let summary = "the given values (a tensor embedded in the model)";
  let description = [{
    Initializes the state with exactly `value`, whose type must be the
    state's. `mlopt-prune-finalize` reads the pruning masks from it, and
    folds and slices weights that carry their values this way, so a model
    with its checkpoint embedded finalizes in `mlopt-opt` alone.

    ```mlir
    mlopt.state @fc.weight.mask : tensor<2x2xf32> mask
        init #mlopt.value<dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>>
    ```
  }];
  let parameters = (ins AttrParameter<"::mlir::DenseElementsAttr",
                                      "the values">:$value);
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// The state manifest
//===----------------------------------------------------------------------===//

def MLOpt_StateEntryAttr : MLOpt_Attr<"StateEntry", "state_entry"> {
  let summary = "one state tensor of the manifest: name, kind, type, trainable";
  let description = [{
    Describes one state tensor to the runtime, which owns its buffer:
    its `state_dict` name, its kind, its tensor type (static shape; element
    type one of `f64`, `f32`, `f16`, `bf16`, `i64`, `i32`, `i8`, `i1`) and
    whether the optimizer trains it.

    ```mlir
    #mlopt.state_entry<"fc.weight", parameter, tensor<256x784xf32>, trainable>
    #mlopt.state_entry<"optimizer.step", step, tensor<i64>>
    ```

    As with `mlopt.state`, only `parameter` entries may be `trainable`, and
    only with a floating-point element type.
  }];
  let parameters = (ins StringRefParameter<"the state's name">:$name,
                        EnumParameter<MLOpt_StateKind>:$kind,
                        AttrParameter<"::mlir::RankedTensorType",
                                      "its statically shaped tensor type">:$type,
                        AttrParameter<"bool",
                                      "whether the optimizer updates it">:$trainable);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::llvm::ArrayRef<int64_t> getShape() const { return getType().getShape(); }
    ::mlir::Type getElementType() const { return getType().getElementType(); }
    /// Whether checkpoints treat the entry as training state rather than a
    /// model tensor (`isTrainingStateKind`).
    bool isTrainingState() const;
  }];
}

def MLOpt_ManifestAttr : MLOpt_Attr<"Manifest", "manifest"> {
  let summary = "the state tensors of a training module, in declaration order";
  let description = [{
    The value of the module attribute `mlopt.manifest`, written by
    `mlopt-entry-points` (or `mlopt-externalize-state`) with
    `buildStateManifest`: one entry per `mlopt.state`, in declaration order,
    which is also the order of the state arguments of the externalized entry
    points. Names are unique and non-empty. Entries may be written with or
    without the `#mlopt.state_entry` prefix.

    ```mlir
    module attributes {mlopt.manifest = #mlopt.manifest<[
        <"fc.weight", parameter, tensor<10x784xf32>, trainable>,
        <"fc.bias", parameter, tensor<10xf32>, trainable>,
        <"optimizer.step", step, tensor<i64>>]>} {
      ...
    }
    ```

    While the module still declares its states, the dialect checks that the
    manifest lists exactly them, in order, with their kinds, types and
    `trainable` flags.
  }];
  let parameters = (ins ArrayRefParameter<"::mlir::mlopt::StateEntryAttr",
                                          "the entries">:$entries);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    using iterator = ::llvm::ArrayRef<StateEntryAttr>::iterator;
    iterator begin() const { return getEntries().begin(); }
    iterator end() const { return getEntries().end(); }
    size_t size() const { return getEntries().size(); }
    bool empty() const { return getEntries().empty(); }
    /// The entry named `name`, or null.
    StateEntryAttr lookup(::llvm::StringRef name) const;
  }];
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTATTRS_TD
