// RUN: mlopt-opt %s --mlopt-quantize=mode=qat | FileCheck %s
// RUN: mlopt-opt %s --mlopt-quantize="mode=qat freeze-observers-after=100" | FileCheck %s --check-prefix=FREEZE
// RUN: mlopt-opt %s --mlopt-quantize="mode=qat weight-bits=4 activation-bits=6 per-channel=false observer=minmax" | FileCheck %s --check-prefix=BITS
// RUN: mlopt-opt %s --mlopt-quantize="mode=qat ops=mlopt.matmul" | FileCheck %s --check-prefix=OPS
// RUN: mlopt-opt %s --mlopt-amp=dtype=bf16 --mlopt-quantize=mode=qat | FileCheck %s --check-prefix=AMP

// mode=qat: every operand that QuantizableOpInterface names is observed
// (the range written back to its observer states), its parameters computed,
// and the op reads its fake-quantized value. linear: input affine per
// tensor, weight symmetric per output channel; matmul: both affine per
// tensor. The layer of the linear is named after its weight @fc.weight, the
// matmul (no weight state) matmul_0.

// CHECK-LABEL: module {
// CHECK:       mlopt.state @fc.weight : tensor<4x3xf32> parameter trainable
// CHECK-NOT:   @quantization.step
// CHECK:       mlopt.state @fc.input_observer.min_val : tensor<f32> observer init #mlopt.value<dense<0x7F800000> : tensor<f32>>
// CHECK-NEXT:  mlopt.state @fc.input_observer.max_val : tensor<f32> observer init #mlopt.value<dense<0xFF800000> : tensor<f32>>
// CHECK-NEXT:  mlopt.state @fc.weight_observer.min_val : tensor<4xf32> observer init #mlopt.value<dense<0x7F800000> : tensor<4xf32>>
// CHECK-NEXT:  mlopt.state @fc.weight_observer.max_val : tensor<4xf32> observer init #mlopt.value<dense<0xFF800000> : tensor<4xf32>>
// CHECK-NEXT:  mlopt.state @matmul_0.lhs_observer.min_val : tensor<f32> observer
// CHECK-NEXT:  mlopt.state @matmul_0.lhs_observer.max_val : tensor<f32> observer
// CHECK-NEXT:  mlopt.state @matmul_0.rhs_observer.min_val : tensor<f32> observer
// CHECK-NEXT:  mlopt.state @matmul_0.rhs_observer.max_val : tensor<f32> observer
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:    %[[X:.*]]: tensor<8x3xf32> {mlopt.input}
// CHECK:         %[[TRUE:.*]] = mlopt.constant dense<true> : tensor<i1>
// CHECK:         %[[W:.*]] = mlopt.state_read @fc.weight : tensor<4x3xf32>
// CHECK:         %[[IMIN:.*]] = mlopt.state_read @fc.input_observer.min_val : tensor<f32>
// CHECK-NEXT:    %[[IMAX:.*]] = mlopt.state_read @fc.input_observer.max_val : tensor<f32>
// CHECK-NEXT:    %[[IMIN1:.*]], %[[IMAX1:.*]] = mlopt.observe %[[X]], %[[IMIN]], %[[IMAX]], %[[TRUE]] {averaging_constant = 1.000000e-02 : f64} : tensor<8x3xf32>, tensor<f32>
// CHECK-NEXT:    mlopt.state_write %[[IMIN1]], @fc.input_observer.min_val : tensor<f32>
// CHECK-NEXT:    mlopt.state_write %[[IMAX1]], @fc.input_observer.max_val : tensor<f32>
// CHECK-NEXT:    %[[IS:.*]], %[[IZ:.*]] = mlopt.quant_params %[[IMIN1]], %[[IMAX1]] {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<f32>
// CHECK-NEXT:    %[[XQ:.*]] = mlopt.fake_quant %[[X]], %[[IS]], %[[IZ]] {quant_max = 63 : i64, quant_min = -64 : i64} : tensor<8x3xf32>, tensor<f32>
// CHECK-NEXT:    %[[WMIN:.*]] = mlopt.state_read @fc.weight_observer.min_val : tensor<4xf32>
// CHECK-NEXT:    %[[WMAX:.*]] = mlopt.state_read @fc.weight_observer.max_val : tensor<4xf32>
// CHECK-NEXT:    %[[WMIN1:.*]], %[[WMAX1:.*]] = mlopt.observe %[[W]], %[[WMIN]], %[[WMAX]], %[[TRUE]] {averaging_constant = 1.000000e-02 : f64, axis = 0 : i64} : tensor<4x3xf32>, tensor<4xf32>
// CHECK-NEXT:    mlopt.state_write %[[WMIN1]], @fc.weight_observer.min_val : tensor<4xf32>
// CHECK-NEXT:    mlopt.state_write %[[WMAX1]], @fc.weight_observer.max_val : tensor<4xf32>
// CHECK-NEXT:    %[[WS:.*]], %[[WZ:.*]] = mlopt.quant_params %[[WMIN1]], %[[WMAX1]] {quant_max = 127 : i64, quant_min = -128 : i64, symmetric} : tensor<4xf32>
// CHECK-NEXT:    %[[WQ:.*]] = mlopt.fake_quant %[[W]], %[[WS]], %[[WZ]] {axis = 0 : i64, quant_max = 127 : i64, quant_min = -128 : i64} : tensor<4x3xf32>, tensor<4xf32>
// CHECK-NEXT:    %[[H:.*]] = mlopt.linear %[[XQ]], %[[WQ]], %{{.*}} {mlopt.quant_layer = "fc"}
// CHECK:         %[[A:.*]] = mlopt.relu %[[H]]
// CHECK-NEXT:    %[[HS:.*]] = mlopt.slice %[[H]]
// CHECK:         mlopt.observe %[[A]], {{.*}} : tensor<8x4xf32>, tensor<f32>
// CHECK:         %[[AQ:.*]] = mlopt.fake_quant %[[A]]
// CHECK:         mlopt.observe %[[HS]], {{.*}} : tensor<4x4xf32>, tensor<f32>
// CHECK:         %[[HQ:.*]] = mlopt.fake_quant %[[HS]]
// CHECK-NEXT:    mlopt.matmul %[[AQ]], %[[HQ]] {mlopt.quant_layer = "matmul_0"}

// freeze-observers-after=N: @quantization.step counts the steps; the
// observers update while it is below N.
// FREEZE:       mlopt.state @quantization.step : tensor<i64> step init #mlopt.zeros
// FREEZE-NEXT:  mlopt.state @fc.input_observer.min_val
// FREEZE-LABEL: func.func @loss(
// FREEZE-NEXT:    %[[T:.*]] = mlopt.state_read @quantization.step : tensor<i64>
// FREEZE-NEXT:    %[[N:.*]] = mlopt.constant dense<100> : tensor<i64>
// FREEZE-NEXT:    %[[U:.*]] = mlopt.compare lt, %[[T]], %[[N]] : (tensor<i64>, tensor<i64>) -> tensor<i1>
// FREEZE:         mlopt.state_write %{{.*}}, @quantization.step : tensor<i64>
// FREEZE:         mlopt.observe %{{.*}}, %{{.*}}, %{{.*}}, %[[U]] {averaging_constant
// FREEZE-NOT:     mlopt.constant dense<true>

// 4-bit weights, 6-bit activations, per tensor, running min/max.
// BITS:       mlopt.state @fc.weight_observer.min_val : tensor<f32> observer
// BITS:       mlopt.observe %{{.*}} : tensor<8x3xf32>, tensor<f32>
// BITS:       mlopt.quant_params {{.*}} {quant_max = 31 : i64, quant_min = -32 : i64} : tensor<f32>
// BITS:       mlopt.observe %{{.*}} : tensor<4x3xf32>, tensor<f32>
// BITS:       mlopt.quant_params {{.*}} {quant_max = 7 : i64, quant_min = -8 : i64, symmetric} : tensor<f32>
// BITS:       mlopt.fake_quant {{.*}} {quant_max = 7 : i64, quant_min = -8 : i64} : tensor<4x3xf32>, tensor<f32>
// BITS:       mlopt.linear

// ops=: only the named ops.
// OPS-NOT:   @fc.input_observer
// OPS:       mlopt.state @matmul_0.lhs_observer.min_val
// OPS:       mlopt.linear %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} :
// OPS:       mlopt.matmul {{.*}} {mlopt.quant_layer = "matmul_0"}

// After mlopt-amp: observed and fake-quantized in bf16 (the ranges and the
// parameters stay f32).
// AMP-LABEL: func.func @loss(
// AMP:         %[[XB:.*]] = mlopt.cast %{{.*}} : tensor<8x3xf32> to tensor<8x3xbf16>
// AMP:         %[[WB:.*]] = mlopt.cast %{{.*}} : tensor<4x3xf32> to tensor<4x3xbf16>
// AMP:         mlopt.observe %[[XB]], {{.*}} : tensor<8x3xbf16>, tensor<f32>
// AMP:         %[[XQ:.*]] = mlopt.fake_quant %[[XB]], {{.*}} : tensor<8x3xbf16>, tensor<f32>
// AMP:         mlopt.observe %[[WB]], {{.*}} : tensor<4x3xbf16>, tensor<4xf32>
// AMP:         %[[WQ:.*]] = mlopt.fake_quant %[[WB]], {{.*}} : tensor<4x3xbf16>, tensor<4xf32>
// AMP-NEXT:    mlopt.linear %[[XQ]], %[[WQ]], %{{.*}} {mlopt.quant_layer = "fc"} : (tensor<8x3xbf16>, tensor<4x3xbf16>, tensor<4xbf16>)

mlopt.state @fc.weight : tensor<4x3xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<4xf32> parameter trainable init #mlopt.zeros

func.func @loss(%x: tensor<8x3xf32> {mlopt.input},
                %y: tensor<8xi64> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<4x3xf32>
  %b = mlopt.state_read @fc.bias : tensor<4xf32>
  %h = mlopt.linear %x, %w, %b
      : (tensor<8x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %a = mlopt.relu %h : tensor<8x4xf32>
  %hs = mlopt.slice %h start [0, 0] limit [4, 4] step [1, 1]
      : tensor<8x4xf32> -> tensor<4x4xf32>
  %m = mlopt.matmul %a, %hs : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %l = mlopt.cross_entropy %m, %y : (tensor<8x4xf32>, tensor<8xi64>) -> tensor<f32>
  return %l : tensor<f32>
}
