//===- MLOptCollectiveOps.td - collectives and point-to-point -*- tablegen -*-===//
//
// Communication between the ranks of a data-, tensor- or pipeline-parallel
// run (docs/DataParallel.md). Every rank runs the same program (SPMD); each
// op names the number of ranks it was built for (`ranks`), which the
// runtime checks against the world it runs in. The ops read and write the
// communicator (CommunicatorResource): they keep their order, so every
// rank calls them in the same sequence, and are never erased or merged.
// They lower to calls into the runtime's communicator (MPI on the CPU).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTCOLLECTIVEOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTCOLLECTIVEOPS_TD

def MLOpt_CommunicatorResource
    : Resource<"::mlir::mlopt::CommunicatorResource">;

def MLOpt_PointToPoint : NativeOpTrait<"PointToPoint"> {
  let cppNamespace = "::mlir::mlopt";
}

/// A collective or point-to-point op: ordered on the communicator, with a
/// cost rule and a precision class (it follows its input), no sharding rule.
class MLOpt_CommOp<string mnemonic, list<Trait> traits = []>
    : MLOpt_Op<mnemonic, !listconcat([
        MemoryEffects<[MemRead<MLOpt_CommunicatorResource>,
                       MemWrite<MLOpt_CommunicatorResource>]>,
        MLOpt_Unshardable,
        DeclareOpInterfaceMethods<MLOpt_CostOpInterface>,
        DeclareOpInterfaceMethods<MLOpt_PrecisionOpInterface>],
        traits)>;

def MLOpt_AllReduceOp : MLOpt_CommOp<"all_reduce", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "combines each tensor across ranks; every rank gets the result";
  let description = [{
    Each result is the elementwise `sum`, `mean`, `max` or `min` of its
    operand over all `ranks` ranks (`torch.distributed.all_reduce`; `mean`
    is the sum divided by `ranks`, PyTorch's `ReduceOp.AVG`). Several
    operands form one bucket: one exchange of their concatenation, which is
    how `mlopt-data-parallel` averages gradients. Result types equal the
    operand types. `mean` needs float operands; integer and `i1` tensors
    take `sum`, `max` and `min`.

    The VJP of `sum` is an all-reduce `sum` of the cotangents, of `mean` an
    all-reduce `mean` (every rank's copy of the result feeds its own loss,
    and the global loss is their sum); the VJP of `max` and `min` routes
    the all-reduced cotangent to the elements equal to the result (all of
    them on a tie, as `torch.max`'s gradient to every maximal element).

    ```mlir
    %g:2 = mlopt.all_reduce mean %gw, %gb ranks = 2 : tensor<256x784xf32>, tensor<256xf32>
    ```
  }];
  let arguments = (ins MLOpt_ReduceKind:$reduction,
                       Variadic<MLOpt_Tensor>:$inputs, I64Attr:$ranks);
  let results = (outs Variadic<MLOpt_Tensor>:$results);
  let assemblyFormat = [{
    $reduction $inputs `ranks` `=` $ranks attr-dict `:` type($inputs)
  }];
  let hasVerifier = 1;
}

def MLOpt_AllGatherOp : MLOpt_CommOp<"all_gather", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "concatenates each tensor of every rank along a dimension";
  let description = [{
    Each result is the concatenation, in rank order along `dim`, of its
    operand on every rank (`torch.distributed.all_gather_into_tensor`): the
    operand's `dim` grows `ranks` times. Several operands form one bucket.
    Its VJP is a `reduce_scatter sum` of the cotangents along `dim`.

    ```mlir
    %p = mlopt.all_gather %shard dim = 0 ranks = 2 : (tensor<128xf32>) -> tensor<256xf32>
    ```
  }];
  let arguments = (ins Variadic<MLOpt_Tensor>:$inputs, I64Attr:$dim,
                       I64Attr:$ranks);
  let results = (outs Variadic<MLOpt_Tensor>:$results);
  let assemblyFormat = [{
    $inputs `dim` `=` $dim `ranks` `=` $ranks attr-dict `:`
    functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def MLOpt_ReduceScatterOp : MLOpt_CommOp<"reduce_scatter", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "combines each tensor across ranks and keeps this rank's chunk";
  let description = [{
    Each operand's `dim` splits into `ranks` equal chunks; rank `r` gets
    chunk `r` of the elementwise `sum`, `mean`, `max` or `min` over all
    ranks (`torch.distributed.reduce_scatter_tensor`). The dimension must
    divide by `ranks`. Several operands form one bucket. Its VJP is an
    `all_gather` of the cotangents (divided by `ranks` for `mean`); `max`
    and `min` have no VJP rule.

    ```mlir
    %g = mlopt.reduce_scatter mean %flat dim = 0 ranks = 2 : (tensor<256xf32>) -> tensor<128xf32>
    ```
  }];
  let arguments = (ins MLOpt_ReduceKind:$reduction,
                       Variadic<MLOpt_Tensor>:$inputs, I64Attr:$dim,
                       I64Attr:$ranks);
  let results = (outs Variadic<MLOpt_Tensor>:$results);
  let assemblyFormat = [{
    $reduction $inputs `dim` `=` $dim `ranks` `=` $ranks attr-dict `:`
    functional-type($inputs, results)
  }];
  let hasVerifier = 1;
}

def MLOpt_BroadcastOp : MLOpt_CommOp<"broadcast", [
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "every rank gets the root rank's tensor";
  let description = [{
    The result is `input` as rank `root` holds it, on every rank
    (`torch.distributed.broadcast`). Its VJP is a `reduce sum` of the
    cotangent to `root`: the root's input feeds every rank's loss, the
    other ranks' inputs none.

    ```mlir
    %w = mlopt.broadcast %w0 root = 0 ranks = 2 : tensor<16xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$input, I64Attr:$root, I64Attr:$ranks);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    $input `root` `=` $root `ranks` `=` $ranks attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def MLOpt_ReduceOp : MLOpt_CommOp<"reduce", [
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "combines a tensor across ranks onto the root rank";
  let description = [{
    On rank `root`, the elementwise `sum`, `mean`, `max` or `min` of
    `input` over all ranks; zeros on every other rank
    (`torch.distributed.reduce`, whose non-root output is unspecified; here
    it is defined). Its VJP is a `broadcast` of the cotangent from `root`
    (divided by `ranks` for `mean`; for `max` and `min`, routed to the
    elements equal to the broadcast result). It is the VJP of `broadcast`.

    ```mlir
    %s = mlopt.reduce sum %x root = 0 ranks = 2 : tensor<16xf32>
    ```
  }];
  let arguments = (ins MLOpt_ReduceKind:$reduction, MLOpt_Tensor:$input,
                       I64Attr:$root, I64Attr:$ranks);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    $reduction $input `root` `=` $root `ranks` `=` $ranks attr-dict `:`
    type($input)
  }];
  let hasVerifier = 1;
}

def MLOpt_SendOp : MLOpt_CommOp<"send", [MLOpt_PointToPoint,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "sends a tensor to another rank";
  let description = [{
    Sends `input` to rank `dest`, which receives it with an `mlopt.recv`
    from this rank of the same type (`torch.distributed.send`). Messages
    between two ranks arrive in the order they were sent. A rank cannot
    send to itself. Its VJP receives the cotangent back from `dest`
    (`PointToPoint`: the receiving rank's loss depends on the value).

    ```mlir
    mlopt.send %h dest = 1 ranks = 2 : tensor<32x256xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$input, I64Attr:$dest, I64Attr:$ranks);
  let assemblyFormat = [{
    $input `dest` `=` $dest `ranks` `=` $ranks attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def MLOpt_RecvOp : MLOpt_CommOp<"recv", [MLOpt_PointToPoint,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "receives a tensor from another rank";
  let description = [{
    Receives the tensor that rank `source` sends with an `mlopt.send` to
    this rank (`torch.distributed.recv`); the result type must match the
    sent one (the runtime checks the byte count). Its VJP sends the
    cotangent back to `source`.

    ```mlir
    %h = mlopt.recv source = 0 ranks = 2 : tensor<32x256xf32>
    ```
  }];
  let arguments = (ins I64Attr:$source, I64Attr:$ranks);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    `source` `=` $source `ranks` `=` $ranks attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def MLOpt_LocalShardOp : MLOpt_CommOp<"local_shard", [InferTypeOpAdaptor]> {
  let summary = "this rank's chunk of a tensor (no communication)";
  let description = [{
    Splits `input`'s `dim` into `ranks` equal chunks and returns chunk `r`
    on rank `r`; the dimension must divide by `ranks`. It reads the rank
    from the communicator but exchanges nothing. `mlopt-optimizer` uses it
    under ZeRO-1 (`mlopt-data-parallel{zero=1}`) to take the rank's shard
    of a replicated parameter, after autodiff; it has no VJP rule.

    ```mlir
    %s = mlopt.local_shard %flat dim = 0 ranks = 2 : (tensor<256xf32>) -> tensor<128xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$input, I64Attr:$dim, I64Attr:$ranks);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    $input `dim` `=` $dim `ranks` `=` $ranks attr-dict `:`
    functional-type($input, $result)
  }];
  let hasVerifier = 1;
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTCOLLECTIVEOPS_TD
