//===- MLOptShapeOps.td - shape manipulation ops -----------*- tablegen -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTSHAPEOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTSHAPEOPS_TD

def MLOpt_ReshapeOp : MLOpt_ComputeOp<"reshape", [
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "reinterprets a tensor with another shape (row-major)";
  let description = [{
    The result type gives the new shape; it must have the same element type
    and number of elements as the input.

    ```mlir
    %f = mlopt.reshape %x : tensor<8x1x28x28xf32> to tensor<8x784xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$input);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def MLOpt_BroadcastToOp : MLOpt_ComputeOp<"broadcast_to", [
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "broadcasts a tensor to a shape (torch.broadcast_to)";
  let description = [{
    The result type gives the target shape; the input must broadcast to it
    with NumPy's rules (dimensions aligned from the right, each input
    dimension equal to the target's or 1).

    ```mlir
    %b = mlopt.broadcast_to %bias : tensor<8xf32> to tensor<4x8xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$input);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def MLOpt_TransposeOp : MLOpt_ComputeOp<"transpose", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "permutes dimensions (torch.permute)";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    ```mlir
    %t = mlopt.transpose %x, [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $permutation attr-dict `:` type($input) `->` type($result)
  }];
}

def MLOpt_SliceOp : MLOpt_ComputeOp<"slice", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "takes a strided box of a tensor (x[a:b:s, ...])";
  let description = [{
    Dimension `i` keeps indices `start[i], start[i] + step[i], ...` below
    `limit[i]`; `0 <= start <= limit <= size` and `step >= 1`.

    ```mlir
    %s = mlopt.slice %x start [0, 2] limit [4, 8] step [1, 2]
        : tensor<4x8xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins MLOpt_Tensor:$input, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$limit, DenseI64ArrayAttr:$step);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    $input `start` $start `limit` $limit `step` $step attr-dict `:`
    type($input) `->` type($result)
  }];
}

def MLOpt_ConcatOp : MLOpt_ComputeOp<"concat", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<MLOpt_ShardingOpInterface, ["getShardingRule"]>,
    MLOpt_ElementForwardingOpInterface,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface>]> {
  let summary = "concatenates tensors along a dimension (torch.cat)";
  let description = [{
    All inputs have the same rank, element type and sizes except along
    `dim` (negative values count from the end).

    ```mlir
    %c = mlopt.concat %a, %b dim = 1
        : (tensor<4x2xf32>, tensor<4x3xf32>) -> tensor<4x5xf32>
    ```
  }];
  let arguments = (ins Variadic<MLOpt_Tensor>:$inputs, I64Attr:$dim);
  let results = (outs MLOpt_Tensor:$result);
  let assemblyFormat = [{
    $inputs `dim` `=` $dim attr-dict `:` functional-type($inputs, $result)
  }];
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTSHAPEOPS_TD
