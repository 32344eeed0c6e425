// RUN: mlopt-opt %s -split-input-file --mlopt-quantize="mode=qat freeze-observers-after=3" --mlopt-quantize=mode=convert | FileCheck %s --check-prefix=QAT
// RUN: mlopt-opt %s -split-input-file --mlopt-quantize=mode=static --mlopt-quantize=mode=convert | FileCheck %s --check-prefix=STATIC
// RUN: mlopt-opt %s -split-input-file --mlopt-quantize="mode=qat activation-bits=7 weight-bits=4" --mlopt-quantize=mode=convert | FileCheck %s --check-prefix=QAT7
// RUN: mlopt-opt %s -split-input-file --mlopt-quantize=mode=static --mlopt-quantize="mode=convert activation-bits=7" | FileCheck %s --check-prefix=STATIC7

// mode=convert after mode=qat (QAT) and after mode=static (STATIC); the
// values of the int8 states: quantize-convert-values.mlir.
// After mode=qat (here under bf16 casts): fake_quant, the observer updates
// and @quantization.step go; the weight's cast goes with the float read and
// the result is cast back to the op's type. The observers never saw data
// (+inf, -inf), so the parameters are scale 1, zero point 0; the weight's
// value (kaiming) is not in the model: the runtime converts a checkpoint.
// QAT-LABEL: module {
// QAT-NEXT:  mlopt.state @fc.weight : tensor<2x3xi8> parameter init #mlopt.zeros
// QAT-NEXT:  mlopt.state @fc.weight.scale : tensor<2xf32> buffer init #mlopt.value<dense<1.000000e+00> : tensor<2xf32>>
// QAT-NEXT:  mlopt.state @fc.weight.zero_point : tensor<2xi32> buffer init #mlopt.value<dense<0> : tensor<2xi32>>
// QAT-NEXT:  mlopt.state @fc.input.scale : tensor<f32> buffer
// QAT-NEXT:  mlopt.state @fc.input.zero_point : tensor<i32> buffer
// QAT-NOT:   quantization.step
// QAT-NOT:   observer
// QAT-LABEL: func.func @loss(
// QAT-NOT:     mlopt.fake_quant
// QAT-NOT:     mlopt.state_write
// QAT:         mlopt.quantize %{{.*}} : tensor<4x3xbf16>, tensor<f32> -> tensor<4x3xi8>
// QAT:         %[[ACC:.*]] = mlopt.quantized_linear
// QAT:         %[[Y:.*]] = mlopt.dequantize %[[ACC]]
// QAT-NEXT:    mlopt.cast %[[Y]] : tensor<4x2xf32> to tensor<4x2xbf16>
// QAT-NOT:     mlopt.fake_quant
// A model trained with 7-bit activations converts to 7-bit int8: each
// operand's range is its fake_quant's ([-64, 63]), not mode=convert's bits.
// QAT7-LABEL: func.func @loss(
// QAT7:         mlopt.quantize %{{.*}} {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<4x3xbf16>, tensor<f32> -> tensor<4x3xi8>
// QAT7:         mlopt.quantized_linear
mlopt.state @fc.weight : tensor<2x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
func.func @loss(%x: tensor<4x3xbf16> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<2x3xf32>
  %wb = mlopt.cast %w : tensor<2x3xf32> to tensor<2x3xbf16>
  %p = mlopt.linear %x, %wb : (tensor<4x3xbf16>, tensor<2x3xbf16>) -> tensor<4x2xbf16>
  %pf = mlopt.cast %p : tensor<4x2xbf16> to tensor<4x2xf32>
  %l = mlopt.mse_loss %pf, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// After mode=static, matmul: both operands affine per tensor. The rhs read
// from @proj.weight becomes an int8 state with a zero point; @emb is read
// elsewhere too, so it stays float and is quantized in the graph.
// STATIC-LABEL: mlopt.state @proj.weight : tensor<3x2xi8> parameter init #mlopt.value<
// STATIC-NEXT:  mlopt.state @proj.rhs.scale : tensor<f32> buffer
// STATIC-NEXT:  mlopt.state @proj.rhs.zero_point : tensor<i32> buffer
// STATIC-NEXT:  mlopt.state @emb : tensor<3x2xf32> parameter trainable init #mlopt.zeros
// STATIC-NEXT:  mlopt.state @proj.lhs.scale : tensor<f32> buffer
// STATIC-NEXT:  mlopt.state @proj.lhs.zero_point : tensor<i32> buffer
// STATIC-NEXT:  mlopt.state @matmul_0.lhs.scale : tensor<f32> buffer
// STATIC-NEXT:  mlopt.state @matmul_0.lhs.zero_point : tensor<i32> buffer
// STATIC-NEXT:  mlopt.state @matmul_0.rhs.scale : tensor<f32> buffer
// STATIC-NEXT:  mlopt.state @matmul_0.rhs.zero_point : tensor<i32> buffer
// STATIC-LABEL: func.func @loss(
// STATIC:         %[[RZ:.*]] = mlopt.state_read @proj.rhs.zero_point : tensor<i32>
// STATIC-NEXT:    %[[R:.*]] = mlopt.state_read @proj.weight : tensor<3x2xi8>
// STATIC-NEXT:    mlopt.quantized_matmul %{{.*}}, %{{.*}}, %[[R]], %[[RZ]] : (tensor<4x3xi8>, tensor<i32>, tensor<3x2xi8>, tensor<i32>) -> tensor<4x2xi32>
// STATIC:         %[[E:.*]] = mlopt.quantize %{{.*}} : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xi8>
// STATIC-NEXT:    mlopt.quantized_matmul %{{.*}}, %{{.*}}, %[[E]], %{{.*}} :
// Both matmul operands are affine: 7-bit activations, quantized in the
// graph to [-64, 63] and, for the weight state, with never-observed
// parameters (scale 1, zero point 0), its values clamped to 7 bits.
// STATIC7-LABEL: mlopt.state @proj.weight : tensor<3x2xi8> parameter init #mlopt.value<dense<{{\[\[}}1, 2], [0, -1], [0, 0]]> : tensor<3x2xi8>>
// STATIC7-LABEL: func.func @loss(
// STATIC7:         mlopt.quantize %{{.*}} {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xi8>
// STATIC7:         mlopt.quantized_matmul
// STATIC7:         mlopt.quantize %{{.*}} {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<3x2xf32>, tensor<f32> -> tensor<3x2xi8>
mlopt.state @proj.weight : tensor<3x2xf32> parameter trainable
    init #mlopt.value<dense<[[1.0, 2.0], [0.0, -1.0], [0.5, 0.5]]> : tensor<3x2xf32>>
mlopt.state @emb : tensor<3x2xf32> parameter trainable init #mlopt.zeros
func.func @loss(%x: tensor<4x3xf32> {mlopt.input},
                %y: tensor<4x2xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @proj.weight : tensor<3x2xf32>
  %e = mlopt.state_read @emb : tensor<3x2xf32>
  %p = mlopt.matmul %x, %w : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %q = mlopt.matmul %x, %e : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %e2 = mlopt.state_read @emb : tensor<3x2xf32>
  %s = mlopt.sum %e2 dims = [0, 1] : tensor<3x2xf32> -> tensor<f32>
  %pq = mlopt.add %p, %q : tensor<4x2xf32>
  %l = mlopt.mse_loss %pq, %y : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  %ls = mlopt.add %l, %s : tensor<f32>
  return %ls : tensor<f32>
}
