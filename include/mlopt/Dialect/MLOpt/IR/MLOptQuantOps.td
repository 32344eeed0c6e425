//===- MLOptQuantOps.td - observers, fake-quant and int8 ops -*- tablegen -*-===//
//
// The ops `mlopt-quantize` builds: observers that track value ranges, the
// quantization parameters they give, fake quantization with its
// straight-through gradient, and the int8 inference ops (quantize,
// int8 x int8 -> int32 products, dequantize).
//
// Quantization parameters follow PyTorch (torch.ao.quantization): a scale
// (f32) and a zero point (i32) per tensor (0-d operands) or per channel
// (1-d operands of the size of dimension `axis`), with
//   q = clamp(nearbyint(x * (1 / scale)) + zero_point, quant_min, quant_max)
//   x ~ (q - zero_point) * scale
// and `nearbyint` rounding half to even.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTQUANTOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTQUANTOPS_TD

def MLOpt_F32Tensor : StaticShapeTensorOf<[F32]>;
def MLOpt_I32Tensor : StaticShapeTensorOf<[I32]>;
def MLOpt_I8Tensor : StaticShapeTensorOf<[I8]>;
def MLOpt_I32Scalar : 0DTensorOf<[I32]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getI32Type())">;

/// `to` has the shape of `from` and i32 elements (zero points beside scales).
class MLOpt_I32Like<string from, string to>
    : TypesMatchWith<"'" # to # "' has the shape of '" # from #
                     "' with i32 elements", from, to,
                     "::llvm::cast<::mlir::RankedTensorType>($_self).clone("
                     "::mlir::IntegerType::get($_self.getContext(), 32))">;

/// An op that takes quantization parameters `scale` and `zero_point`, per
/// tensor or per channel along `axis`.
class MLOpt_QuantParamsUserOp<string mnemonic, list<Trait> traits = []>
    : MLOpt_ComputeOp<mnemonic, !listconcat([MLOpt_Unshardable,
        MLOpt_I32Like<"scale", "zero_point">], traits)> {
  let hasVerifier = 1;
}

def MLOpt_ObserveOp : MLOpt_ComputeOp<"observe", [MLOpt_Unshardable,
    AllTypesMatch<["min", "max", "new_min", "new_max"]>,
    DeclareOpInterfaceMethods<MLOpt_EvalModeOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "updates the observed range (min, max) of a tensor";
  let description = [{
    The observer of PyTorch's quantization: when `update` holds, the range
    of `input` (per tensor, or per channel along `axis`) is merged into the
    previous range `min`, `max`:

    - `averaging_constant = 0` (`MinMaxObserver`): the running minimum and
      maximum, `min(min, batch_min)` and `max(max, batch_max)`;
    - `0 < averaging_constant <= 1` (`MovingAverageMinMaxObserver`, PyTorch's
      QAT default 0.01): `min + c * (batch_min - min)`, and the same for the
      maximum, except that the first observation (a previous range of
      `+inf`, `-inf`, the observers' initial value) takes the batch's range.

    When `update` does not hold (observers frozen), returns the previous
    range. The ranges are f32 whatever the input's type: 0-d per tensor,
    `[size of dim axis]` per channel. In `@eval_step` the op returns the
    previous range, except when that range is the constant `+inf`, `-inf`
    (not state): the op then measures the batch alone, as dynamic
    quantization does per batch, in evaluation too. It has no gradient.

    ```mlir
    %min1, %max1 = mlopt.observe %x, %min, %max, %update
        {averaging_constant = 0.01 : f64} : tensor<128x784xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_F32Tensor:$min,
                       MLOpt_F32Tensor:$max, MLOpt_BoolScalar:$update,
                       OptionalAttr<I64Attr>:$axis,
                       DefaultValuedAttr<F64Attr, "0.0">:$averaging_constant);
  let results = (outs MLOpt_F32Tensor:$new_min, MLOpt_F32Tensor:$new_max);
  let assemblyFormat = [{
    $input `,` $min `,` $max `,` $update attr-dict `:` type($input) `,`
    type($min)
  }];
  let hasVerifier = 1;
}

def MLOpt_QuantParamsOp : MLOpt_ComputeOp<"quant_params", [MLOpt_Unshardable,
    AllTypesMatch<["min", "max", "scale"]>,
    MLOpt_I32Like<"min", "zero_point">,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "scale and zero point for an observed range";
  let description = [{
    PyTorch's `_calculate_qparams` for the range `[min, max]` widened to
    include 0 (`min' = min(min, 0)`, `max' = max(max, 0)`) and the integer
    range `[quant_min, quant_max]`:

    - `symmetric`: `scale = max(-min', max') / ((quant_max - quant_min) / 2)`,
      zero point `0` for a signed range (`quant_min < 0`), else
      `(quant_min + quant_max + 1) / 2`;
    - otherwise (affine): `scale = (max' - min') / (quant_max - quant_min)`,
      `zero_point = clamp(quant_min - nearbyint(min' / scale), quant_min,
      quant_max)`.

    Scales below `eps = 2^-23` (f32 epsilon) become `eps`. A range never
    observed (`min = +inf`, `max = -inf`) gives scale 1 and zero point 0.
    The op has no gradient.

    ```mlir
    %scale, %zp = mlopt.quant_params %min, %max {quant_min = -128 : i64,
        quant_max = 127 : i64} : tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_F32Tensor:$min, MLOpt_F32Tensor:$max,
                       I64Attr:$quant_min, I64Attr:$quant_max,
                       UnitAttr:$symmetric);
  let results = (outs MLOpt_F32Tensor:$scale, MLOpt_I32Tensor:$zero_point);
  let assemblyFormat = "$min `,` $max attr-dict `:` type($min)";
  let hasVerifier = 1;
}

def MLOpt_FakeQuantOp : MLOpt_QuantParamsUserOp<"fake_quant", [
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "quantizes and dequantizes a tensor (QAT's fake quantization)";
  let description = [{
    `(clamp(nearbyint(x * (1 / scale)) + zero_point, quant_min, quant_max) -
    zero_point) * scale`, PyTorch's `fake_quantize_per_tensor_affine` (and
    `_per_channel_affine` with `axis`): the value the int8 graph will see,
    in the input's floating-point type. The arithmetic is done in f32 and
    rounded once to the input's type, so the op accepts f16 and bf16 inputs
    (under `mlopt-amp`).

    The gradient is the straight-through estimator: the cotangent passes
    where the quantized value lies inside `[quant_min, quant_max]` and is
    zero where it was clamped (`mlopt.fake_quant_grad`). The scale and the
    zero point are not differentiated.

    ```mlir
    %wq = mlopt.fake_quant %w, %scale, %zp {axis = 0 : i64,
        quant_min = -128 : i64, quant_max = 127 : i64}
        : tensor<256x784xf32>, tensor<256xf32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_F32Tensor:$scale,
                       MLOpt_I32Tensor:$zero_point, I64Attr:$quant_min,
                       I64Attr:$quant_max, OptionalAttr<I64Attr>:$axis);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:` type($input) `,`
    type($scale)
  }];
}

def MLOpt_FakeQuantGradOp : MLOpt_QuantParamsUserOp<"fake_quant_grad", [
    AllTypesMatch<["grad", "input", "result"]>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "the straight-through gradient of fake_quant";
  let description = [{
    `grad` where `quant_min <= nearbyint(x * (1 / scale)) + zero_point <=
    quant_max` (computed in f32 as `fake_quant` does), 0 elsewhere: the VJP
    of `mlopt.fake_quant` with respect to its input, as PyTorch's
    `fake_quantize_per_tensor_affine_cachemask_backward`.

    ```mlir
    %dx = mlopt.fake_quant_grad %dy, %x, %scale, %zp {quant_min = -128 : i64,
        quant_max = 127 : i64} : tensor<128x784xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$grad, MLOpt_FloatTensor:$input,
                       MLOpt_F32Tensor:$scale, MLOpt_I32Tensor:$zero_point,
                       I64Attr:$quant_min, I64Attr:$quant_max,
                       OptionalAttr<I64Attr>:$axis);
  let results = (outs MLOpt_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input `,` $scale `,` $zero_point attr-dict `:` type($input) `,`
    type($scale)
  }];
}

def MLOpt_QuantizeOp : MLOpt_QuantParamsUserOp<"quantize", [
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "quantizes a float tensor to int8";
  let description = [{
    `clamp(nearbyint(x * (1 / scale)) + zero_point, quant_min, quant_max)`
    as an `i8` tensor of the input's shape (computed in f32). The integer
    range must lie within `[-128, 127]`. The op is not differentiable: it
    belongs to the int8 inference graph that `mlopt-quantize` builds.

    ```mlir
    %xq = mlopt.quantize %x, %scale, %zp {quant_min = -128 : i64,
        quant_max = 127 : i64} : tensor<128x784xf32>, tensor<f32>
        -> tensor<128x784xi8>
    ```
  }];
  let arguments = (ins MLOpt_FloatTensor:$input, MLOpt_F32Tensor:$scale,
                       MLOpt_I32Tensor:$zero_point, I64Attr:$quant_min,
                       I64Attr:$quant_max, OptionalAttr<I64Attr>:$axis);
  let results = (outs MLOpt_I8Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:` type($input) `,`
    type($scale) `->` type($result)
  }];
}

def MLOpt_DequantizeOp : MLOpt_QuantParamsUserOp<"dequantize", [
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>]> {
  let summary = "maps int8 values or int32 accumulators back to f32";
  let description = [{
    `(q - zero_point) * scale` in f32, for `i8` values (a quantized tensor)
    or `i32` values (the accumulators of `quantized_linear` and
    `quantized_matmul`, whose scale is the product of the operands'
    scales).

    ```mlir
    %y = mlopt.dequantize %acc, %scale, %zp {axis = 1 : i64}
        : tensor<128x256xi32>, tensor<256xf32> -> tensor<128x256xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[MLOpt_I8Tensor, MLOpt_I32Tensor]>:$input,
                       MLOpt_F32Tensor:$scale, MLOpt_I32Tensor:$zero_point,
                       OptionalAttr<I64Attr>:$axis);
  let results = (outs MLOpt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:` type($input) `,`
    type($scale) `->` type($result)
  }];
}

def MLOpt_QuantizedLinearOp : MLOpt_ComputeOp<"quantized_linear", [
    MLOpt_Unshardable,
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>], ["getFlops"]> {
  let summary = "int8 x int8 -> int32 affine-layer product";
  let description = [{
    `acc[b, n] = sum_k (x[b, k] - x_zero_point) * w[n, k]`, exact in `i32`
    (two's-complement wrap-around on overflow, which needs `K` beyond
    2^31 / 2^16): the product of `mlopt.linear` on an affine int8 input and
    symmetric int8 weights in PyTorch's `[out, in]` layout. The CPU runs it
    on the machine's integer dot-product instructions (VNNI, or AVX2's
    multiply-adds).

    ```mlir
    %acc = mlopt.quantized_linear %xq, %zp, %wq
        : (tensor<128x784xi8>, tensor<i32>, tensor<256x784xi8>) -> tensor<128x256xi32>
    ```
  }];
  let arguments = (ins MLOpt_I8Tensor:$input, MLOpt_I32Scalar:$input_zero_point,
                       MLOpt_I8Tensor:$weight);
  let results = (outs MLOpt_I32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $input_zero_point `,` $weight attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def MLOpt_QuantizedMatmulOp : MLOpt_ComputeOp<"quantized_matmul", [
    MLOpt_Unshardable,
    DeclareOpInterfaceMethods<MLOpt_BatchResizableOpInterface>,
    DeclareOpInterfaceMethods<MLOpt_DifferentiableOpInterface,
                              ["isOperandDifferentiable"]>], ["getFlops"]> {
  let summary = "int8 x int8 -> int32 matrix product with zero points";
  let description = [{
    `acc[m, n] = sum_k (lhs[m, k] - lhs_zero_point) *
    (rhs[k, n] - rhs_zero_point)`, exact in `i32`: the int8 form of
    `mlopt.matmul` on two affine int8 operands.

    ```mlir
    %acc = mlopt.quantized_matmul %aq, %azp, %bq, %bzp
        : (tensor<4x8xi8>, tensor<i32>, tensor<8x16xi8>, tensor<i32>) -> tensor<4x16xi32>
    ```
  }];
  let arguments = (ins MLOpt_I8Tensor:$lhs, MLOpt_I32Scalar:$lhs_zero_point,
                       MLOpt_I8Tensor:$rhs, MLOpt_I32Scalar:$rhs_zero_point);
  let results = (outs MLOpt_I32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $lhs_zero_point `,` $rhs `,` $rhs_zero_point attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTQUANTOPS_TD
