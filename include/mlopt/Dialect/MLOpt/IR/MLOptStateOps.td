//===- MLOptStateOps.td - state symbols and constants ------*- tablegen -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTSTATEOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTSTATEOPS_TD

def MLOpt_StateOp : MLOpt_Op<"state", [Symbol, HasParent<"::mlir::ModuleOp">,
    DeclareOpInterfaceMethods<MLOpt_PrecisionOpInterface>, MLOpt_Unshardable]> {
  let summary = "declares a named training-state tensor";
  let description = [{
    Declares one piece of training state (DESIGN section 2): a module-level
    symbol with a kind, a statically shaped tensor type, an optional
    `trainable` flag and an initializer. Names follow PyTorch's `state_dict`
    (`fc1.weight`, `optimizer.fc1.weight.exp_avg`, ...), so checkpoints map
    one to one onto PyTorch modules.

    ```mlir
    mlopt.state @fc1.weight : tensor<256x784xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.23606797749979>
    mlopt.state @fc1.bias : tensor<256xf32> parameter trainable
        init #mlopt.kaiming_uniform<a = 2.23606797749979, fan_in = 784>
    mlopt.state @step : tensor<i64> step init #mlopt.zeros
    ```

    Only `parameter` state may be `trainable`, and only with a floating-point
    element type. The initializer must apply to the type (for example
    `kaiming_uniform` needs rank >= 2 or an explicit `fan_in`, and random
    initializers need a floating-point element type).
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<MLOpt_Tensor>:$type,
                       MLOpt_StateKind:$kind,
                       UnitAttr:$trainable,
                       MLOpt_InitializerAttrInterface:$initializer);
  let assemblyFormat = [{
    $sym_name `:` $type $kind (`trainable` $trainable^)? `init` $initializer
    attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
  }];
}

def MLOpt_StateReadOp : MLOpt_Op<"state_read", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_PrecisionOpInterface>, MLOpt_Unshardable,
    MemoryEffects<[MemRead]>]> {
  let summary = "reads a state tensor";
  let description = [{
    Reads the current value of the `mlopt.state` named by `state`. The result
    type must be the state's type.

    ```mlir
    %w = mlopt.state_read @fc1.weight : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$state);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = "$state attr-dict `:` type($result)";
}

def MLOpt_StateWriteOp : MLOpt_Op<"state_write", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_PrecisionOpInterface>, MLOpt_Unshardable,
    MemoryEffects<[MemWrite]>]> {
  let summary = "writes a state tensor";
  let description = [{
    Replaces the value of the `mlopt.state` named by `state` with `value`,
    whose type must be the state's type. Training-step passes (optimizer,
    observers, loss scaling) use it; the runtime updates the state buffer in
    place.

    ```mlir
    mlopt.state_write %new_w, @fc1.weight : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$value, FlatSymbolRefAttr:$state);
  let assemblyFormat = "$value `,` $state attr-dict `:` type($value)";
}

def MLOpt_InitialValueOp : MLOpt_Op<"initial_value", [Pure,
    DeclareOpInterfaceMethods<MLOpt_PrecisionOpInterface>, MLOpt_Unshardable]> {
  let summary = "materializes a state initializer";
  let description = [{
    Produces the value that `initializer` gives a tensor of the result type,
    drawing random numbers from `uniform(seed, stream, i)` (docs/TrainingIR.md,
    "Random numbers"). The generated `init` entry point uses one per state,
    with `stream` the FNV-1a hash of the state's name, so adding state never
    changes the values of the others.

    ```mlir
    %w = mlopt.initial_value %seed, #mlopt.kaiming_uniform<a = 2.2360679774997898>
        stream = 1234 : tensor<256x784xf32>
    ```
  }];
  let arguments = (ins MLOpt_Seed:$seed,
                       MLOpt_InitializerAttrInterface:$initializer,
                       I64Attr:$stream);
  let results = (outs MLOpt_Tensor:$result);
  // The comma keeps `%seed #mlopt...` from lexing as a result number `%seed#N`.
  let assemblyFormat = [{
    $seed `,` $initializer `stream` `=` $stream attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def MLOpt_ConstantOp : MLOpt_Op<"constant", [
    ConstantLike, Pure, DeclareOpInterfaceMethods<MLOpt_PrecisionOpInterface>,
    MLOpt_Unshardable,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>]> {
  let summary = "a constant tensor";
  let description = [{
    ```mlir
    %c = mlopt.constant dense<0.5> : tensor<4xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let builders = [OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
    build($_builder, $_state, value.getType(), value);
  }]>];
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTSTATEOPS_TD
