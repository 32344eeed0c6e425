// Round trip of every mlopt op, attribute and enum, in custom and generic form.
// RUN: mlopt-opt %s | mlopt-opt | FileCheck %s
// RUN: mlopt-opt %s --mlir-print-op-generic | mlopt-opt | FileCheck %s

//===----------------------------------------------------------------------===//
// State: every kind, trainable, every initializer (with and without params)
//===----------------------------------------------------------------------===//

// CHECK: mlopt.state @fc.weight : tensor<16x8xf32> parameter trainable init #mlopt.kaiming_uniform{{$}}
mlopt.state @fc.weight : tensor<16x8xf32> parameter trainable init #mlopt.kaiming_uniform
// CHECK: mlopt.state @fc.bias : tensor<16xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 8>{{$}}
mlopt.state @fc.bias : tensor<16xf32> parameter trainable init #mlopt.kaiming_uniform<a = 2.23606797749979, fan_in = 8>
// CHECK: mlopt.state @ku.fan_in : tensor<16xf32> parameter init #mlopt.kaiming_uniform<fan_in = 16>{{$}}
mlopt.state @ku.fan_in : tensor<16xf32> parameter init #mlopt.kaiming_uniform<fan_in = 16>
// CHECK: mlopt.state @ku.a : tensor<4x3x3xf16> parameter trainable init #mlopt.kaiming_uniform<a = 1.000000e+00>{{$}}
mlopt.state @ku.a : tensor<4x3x3xf16> parameter trainable init #mlopt.kaiming_uniform<a = 1.0>
// The default values are elided when printed.
// CHECK: mlopt.state @ku.defaults : tensor<4x4xf32> parameter init #mlopt.kaiming_uniform{{$}}
mlopt.state @ku.defaults : tensor<4x4xf32> parameter init #mlopt.kaiming_uniform<a = 0.0, fan_in = 0>
// CHECK: mlopt.state @xavier : tensor<4x4xbf16> buffer init #mlopt.xavier_uniform{{$}}
mlopt.state @xavier : tensor<4x4xbf16> buffer init #mlopt.xavier_uniform
// CHECK: mlopt.state @xavier.gain : tensor<4x4xf64> buffer init #mlopt.xavier_uniform<gain = 1.414000e+00>{{$}}
mlopt.state @xavier.gain : tensor<4x4xf64> buffer init #mlopt.xavier_uniform<gain = 1.414>
// CHECK: mlopt.state @xavier.default_gain : tensor<4x4xf32> buffer init #mlopt.xavier_uniform{{$}}
mlopt.state @xavier.default_gain : tensor<4x4xf32> buffer init #mlopt.xavier_uniform<gain = 1.0>
// CHECK: mlopt.state @optimizer.fc.weight.exp_avg : tensor<16x8xf32> optimizer_state init #mlopt.zeros{{$}}
mlopt.state @optimizer.fc.weight.exp_avg : tensor<16x8xf32> optimizer_state init #mlopt.zeros
// CHECK: mlopt.state @fc.weight.mask : tensor<16x8xi1> mask init #mlopt.ones{{$}}
mlopt.state @fc.weight.mask : tensor<16x8xi1> mask init #mlopt.ones
// CHECK: mlopt.state @observer.min : tensor<i32> observer init #mlopt.constant<value = -1.280000e+02>{{$}}
mlopt.state @observer.min : tensor<i32> observer init #mlopt.constant<value = -128.0>
// The extremes of the integer types are accepted.
// CHECK: mlopt.state @observer.i8max : tensor<4xi8> observer init #mlopt.constant<value = 1.270000e+02>{{$}}
mlopt.state @observer.i8max : tensor<4xi8> observer init #mlopt.constant<value = 127.0>
// CHECK: mlopt.state @observer.i8min : tensor<4xi8> observer init #mlopt.constant<value = -1.280000e+02>{{$}}
mlopt.state @observer.i8min : tensor<4xi8> observer init #mlopt.constant<value = -128.0>
// CHECK: mlopt.state @mask.set : tensor<4xi1> mask init #mlopt.constant<value = 1.000000e+00>{{$}}
mlopt.state @mask.set : tensor<4xi1> mask init #mlopt.constant<value = 1.0>
// CHECK: mlopt.state @teacher.fc.bias : tensor<2xf32> teacher init #mlopt.value<dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>>{{$}}
mlopt.state @teacher.fc.bias : tensor<2xf32> teacher init #mlopt.value<dense<[0.5, -1.0]> : tensor<2xf32>>
// CHECK: mlopt.state @loss_scale : tensor<f32> loss_scale init #mlopt.constant<value = 6.553600e+04>{{$}}
mlopt.state @loss_scale : tensor<f32> loss_scale init #mlopt.constant<value = 65536.0>
// CHECK: mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros{{$}}
mlopt.state @optimizer.step : tensor<i64> step init #mlopt.zeros
// CHECK: mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed{{$}}
mlopt.state @rng : tensor<i64> rng init #mlopt.from_seed
// CHECK: mlopt.state @uniform : tensor<8xf32> buffer init #mlopt.uniform<low = -1.000000e-01, high = 1.000000e-01>{{$}}
mlopt.state @uniform : tensor<8xf32> buffer init #mlopt.uniform<low = -0.1, high = 0.1>
// CHECK: mlopt.state @normal : tensor<8xf64> buffer init #mlopt.normal<mean = 0.000000e+00, std = 2.000000e-02>{{$}}
mlopt.state @normal : tensor<8xf64> buffer init #mlopt.normal<mean = 0.0, std = 0.02>
// CHECK: mlopt.state @discardable : tensor<2xi8> buffer init #mlopt.zeros {note = "kept"}{{$}}
mlopt.state @discardable : tensor<2xi8> buffer init #mlopt.zeros {note = "kept"}

//===----------------------------------------------------------------------===//
// state_read, state_write, initial_value, constant
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @state_access
func.func @state_access() -> tensor<16x8xf32> {
  // CHECK: %[[W:.*]] = mlopt.state_read @fc.weight : tensor<16x8xf32>
  %w = mlopt.state_read @fc.weight : tensor<16x8xf32>
  // CHECK: %[[M:.*]] = mlopt.state_read @fc.weight.mask : tensor<16x8xi1>
  %m = mlopt.state_read @fc.weight.mask : tensor<16x8xi1>
  // CHECK: mlopt.state_write %[[W]], @optimizer.fc.weight.exp_avg : tensor<16x8xf32>
  mlopt.state_write %w, @optimizer.fc.weight.exp_avg : tensor<16x8xf32>
  // CHECK: mlopt.state_write %[[M]], @fc.weight.mask : tensor<16x8xi1>
  mlopt.state_write %m, @fc.weight.mask : tensor<16x8xi1>
  // CHECK: return %[[W]] : tensor<16x8xf32>
  return %w : tensor<16x8xf32>
}

// CHECK-LABEL: func.func @initial_values
// CHECK-SAME: (%[[SEED:.*]]: tensor<i64>)
func.func @initial_values(%seed: tensor<i64>) {
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.kaiming_uniform stream = 1 : tensor<16x8xf32>
  %0 = mlopt.initial_value %seed, #mlopt.kaiming_uniform stream = 1 : tensor<16x8xf32>
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.kaiming_uniform<a = 2.2360679774997898, fan_in = 8> stream = -7 : tensor<16xf32>
  %1 = mlopt.initial_value %seed, #mlopt.kaiming_uniform<a = 2.23606797749979, fan_in = 8> stream = -7 : tensor<16xf32>
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.xavier_uniform<gain = 2.000000e+00> stream = 2 : tensor<4x4xbf16>
  %2 = mlopt.initial_value %seed, #mlopt.xavier_uniform<gain = 2.0> stream = 2 : tensor<4x4xbf16>
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.uniform<low = 0.000000e+00, high = 1.000000e+00> stream = 3 : tensor<8xf16>
  %3 = mlopt.initial_value %seed, #mlopt.uniform<low = 0.0, high = 1.0> stream = 3 : tensor<8xf16>
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.normal<mean = 1.000000e+00, std = 5.000000e-01> stream = 4 : tensor<8xf64>
  %4 = mlopt.initial_value %seed, #mlopt.normal<mean = 1.0, std = 0.5> stream = 4 : tensor<8xf64>
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.zeros stream = 0 : tensor<i64>
  %5 = mlopt.initial_value %seed, #mlopt.zeros stream = 0 : tensor<i64>
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.ones stream = 0 : tensor<3xi1>
  %6 = mlopt.initial_value %seed, #mlopt.ones stream = 0 : tensor<3xi1>
  // CHECK: mlopt.initial_value %[[SEED]], #mlopt.constant<value = 7.000000e+00> stream = 0 : tensor<2xi16>
  %7 = mlopt.initial_value %seed, #mlopt.constant<value = 7.0> stream = 0 : tensor<2xi16>
  return
}

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<4xf32>, tensor<2x2xi64>, tensor<2xi1>, tensor<bf16>) {
  // CHECK: %[[A:.*]] = mlopt.constant dense<5.000000e-01> : tensor<4xf32>
  %a = mlopt.constant dense<0.5> : tensor<4xf32>
  // CHECK: %[[B:.*]] = mlopt.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
  %b = mlopt.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi64>
  // CHECK: %[[C:.*]] = mlopt.constant dense<[true, false]> : tensor<2xi1>
  %c = mlopt.constant dense<[true, false]> : tensor<2xi1>
  // CHECK: %[[D:.*]] = mlopt.constant {tag} dense<1.000000e+00> : tensor<bf16>
  %d = mlopt.constant {tag} dense<1.0> : tensor<bf16>
  // CHECK: return %[[A]], %[[B]], %[[C]], %[[D]]
  return %a, %b, %c, %d : tensor<4xf32>, tensor<2x2xi64>, tensor<2xi1>, tensor<bf16>
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
func.func @unary(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[NEG:.*]] = mlopt.neg %[[X]] : tensor<4x8xf32>
  %0 = mlopt.neg %x : tensor<4x8xf32>
  // CHECK: %[[EXP:.*]] = mlopt.exp %[[NEG]] : tensor<4x8xf32>
  %1 = mlopt.exp %0 : tensor<4x8xf32>
  // CHECK: %[[LOG:.*]] = mlopt.log %[[EXP]] : tensor<4x8xf32>
  %2 = mlopt.log %1 : tensor<4x8xf32>
  // CHECK: %[[SQRT:.*]] = mlopt.sqrt %[[LOG]] : tensor<4x8xf32>
  %3 = mlopt.sqrt %2 : tensor<4x8xf32>
  // CHECK: %[[RSQRT:.*]] = mlopt.rsqrt %[[SQRT]] : tensor<4x8xf32>
  %4 = mlopt.rsqrt %3 : tensor<4x8xf32>
  // CHECK: %[[RELU:.*]] = mlopt.relu %[[RSQRT]] : tensor<4x8xf32>
  %5 = mlopt.relu %4 : tensor<4x8xf32>
  // CHECK: %[[SIG:.*]] = mlopt.sigmoid %[[RELU]] : tensor<4x8xf32>
  %6 = mlopt.sigmoid %5 : tensor<4x8xf32>
  // CHECK: %[[TANH:.*]] = mlopt.tanh %[[SIG]] : tensor<4x8xf32>
  %7 = mlopt.tanh %6 : tensor<4x8xf32>
  // CHECK: %[[ABS:.*]] = mlopt.abs %[[TANH]] : tensor<4x8xf32>
  %8 = mlopt.abs %7 : tensor<4x8xf32>
  // CHECK: %[[COS:.*]] = mlopt.cos %[[ABS]] : tensor<4x8xf32>
  %9 = mlopt.cos %8 : tensor<4x8xf32>
  // CHECK: %[[ERF:.*]] = mlopt.erf %[[COS]] : tensor<4x8xf32>
  %10 = mlopt.erf %9 : tensor<4x8xf32>
  // CHECK: return %[[ERF]]
  return %10 : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @unary_other_types
func.func @unary_other_types(%h: tensor<3xf16>, %b: tensor<bf16>, %d: tensor<2x2x2xf64>) {
  // CHECK: mlopt.exp %{{.*}} : tensor<3xf16>
  %0 = mlopt.exp %h : tensor<3xf16>
  // CHECK: mlopt.relu %{{.*}} : tensor<bf16>
  %1 = mlopt.relu %b : tensor<bf16>
  // CHECK: mlopt.tanh %{{.*}} : tensor<2x2x2xf64>
  %2 = mlopt.tanh %d : tensor<2x2x2xf64>
  return
}

// CHECK-LABEL: func.func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
func.func @gelu(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: %[[G0:.*]] = mlopt.gelu %[[X]] : tensor<4x8xf32>
  %0 = mlopt.gelu %x : tensor<4x8xf32>
  // The default approximation is elided.
  // CHECK: %[[G1:.*]] = mlopt.gelu %[[X]] : tensor<4x8xf32>
  %1 = mlopt.gelu %x approximate = none : tensor<4x8xf32>
  // CHECK: %[[G2:.*]] = mlopt.gelu %[[X]] approximate = tanh : tensor<4x8xf32>
  %2 = mlopt.gelu %x approximate = tanh : tensor<4x8xf32>
  // CHECK: return %[[G0]], %[[G1]], %[[G2]]
  return %0, %1, %2 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[A:[^:]*]]: tensor<4x8xf32>, %[[B:[^:]*]]: tensor<4x8xf32>, %[[BIAS:[^:]*]]: tensor<8xf32>, %[[S:[^:]*]]: tensor<f32>, %[[COL:[^:]*]]: tensor<4x1xf32>)
func.func @binary(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %bias: tensor<8xf32>,
                  %s: tensor<f32>, %col: tensor<4x1xf32>) {
  // CHECK: %[[ADD:.*]] = mlopt.add %[[A]], %[[B]] : tensor<4x8xf32>
  %0 = mlopt.add %a, %b : tensor<4x8xf32>
  // CHECK: mlopt.add %[[ADD]], %[[BIAS]] : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %1 = mlopt.add %0, %bias : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: mlopt.sub %[[S]], %[[A]] : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %2 = mlopt.sub %s, %a : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  // CHECK: mlopt.mul %[[COL]], %[[BIAS]] : (tensor<4x1xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %3 = mlopt.mul %col, %bias : (tensor<4x1xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  // CHECK: mlopt.div %[[A]], %[[S]] : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %4 = mlopt.div %a, %s : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  // CHECK: mlopt.pow %[[A]], %[[B]] : tensor<4x8xf32>
  %5 = mlopt.pow %a, %b : tensor<4x8xf32>
  // CHECK: mlopt.maximum %[[A]], %[[B]] : tensor<4x8xf32>
  %6 = mlopt.maximum %a, %b : tensor<4x8xf32>
  // CHECK: mlopt.minimum %[[S]], %[[S]] : tensor<f32>
  %7 = mlopt.minimum %s, %s : tensor<f32>
  // The functional form with identical types prints the short form.
  // CHECK: mlopt.add %[[A]], %[[B]] : tensor<4x8xf32>
  %8 = mlopt.add %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// CHECK-LABEL: func.func @compare
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4x8xf32>, %[[Z:[^:]*]]: tensor<f32>, %[[I:[^:]*]]: tensor<4xi32>, %[[J:[^:]*]]: tensor<4xi32>)
func.func @compare(%x: tensor<4x8xf32>, %zero: tensor<f32>, %i: tensor<4xi32>, %j: tensor<4xi32>) {
  // CHECK: mlopt.compare eq, %[[X]], %[[X]] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  %0 = mlopt.compare eq, %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: mlopt.compare ne, %[[X]], %[[Z]] : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
  %1 = mlopt.compare ne, %x, %zero : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
  // CHECK: mlopt.compare lt, %[[Z]], %[[X]] : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  %2 = mlopt.compare lt, %zero, %x : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xi1>
  // CHECK: mlopt.compare le, %[[I]], %[[J]] : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %3 = mlopt.compare le, %i, %j : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  // CHECK: mlopt.compare gt, %[[X]], %[[Z]] : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
  %4 = mlopt.compare gt, %x, %zero : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xi1>
  // CHECK: mlopt.compare ge, %[[I]], %[[J]] : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %5 = mlopt.compare ge, %i, %j : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return
}

// CHECK-LABEL: func.func @select
// CHECK-SAME: (%[[C:[^:]*]]: tensor<4x8xi1>, %[[R:[^:]*]]: tensor<8xi1>, %[[T:[^:]*]]: tensor<4x8xf32>, %[[F:[^:]*]]: tensor<f32>, %[[COL:[^:]*]]: tensor<4x1xi64>, %[[K:[^:]*]]: tensor<i64>)
func.func @select(%c: tensor<4x8xi1>, %row: tensor<8xi1>, %t: tensor<4x8xf32>, %f: tensor<f32>,
                  %col: tensor<4x1xi64>, %k: tensor<i64>) {
  // CHECK: mlopt.select %[[C]], %[[T]], %[[F]] : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %0 = mlopt.select %c, %t, %f : (tensor<4x8xi1>, tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  // The condition broadcasts too.
  // CHECK: mlopt.select %[[R]], %[[COL]], %[[K]] : (tensor<8xi1>, tensor<4x1xi64>, tensor<i64>) -> tensor<4x8xi64>
  %1 = mlopt.select %row, %col, %k : (tensor<8xi1>, tensor<4x1xi64>, tensor<i64>) -> tensor<4x8xi64>
  return
}

// CHECK-LABEL: func.func @cast
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4x8xf32>, %[[I:[^:]*]]: tensor<4xi64>, %[[B:[^:]*]]: tensor<4xi1>)
func.func @cast(%x: tensor<4x8xf32>, %i: tensor<4xi64>, %b: tensor<4xi1>) {
  // CHECK: mlopt.cast %[[X]] : tensor<4x8xf32> to tensor<4x8xbf16>
  %0 = mlopt.cast %x : tensor<4x8xf32> to tensor<4x8xbf16>
  // CHECK: mlopt.cast %[[X]] : tensor<4x8xf32> to tensor<4x8xf16>
  %1 = mlopt.cast %x : tensor<4x8xf32> to tensor<4x8xf16>
  // CHECK: mlopt.cast %[[X]] : tensor<4x8xf32> to tensor<4x8xi8>
  %2 = mlopt.cast %x : tensor<4x8xf32> to tensor<4x8xi8>
  // CHECK: mlopt.cast %[[I]] : tensor<4xi64> to tensor<4xf64>
  %3 = mlopt.cast %i : tensor<4xi64> to tensor<4xf64>
  // CHECK: mlopt.cast %[[B]] : tensor<4xi1> to tensor<4xf32>
  %4 = mlopt.cast %b : tensor<4xi1> to tensor<4xf32>
  // CHECK: mlopt.cast %[[I]] : tensor<4xi64> to tensor<4xi16>
  %5 = mlopt.cast %i : tensor<4xi64> to tensor<4xi16>
  return
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @shape
// CHECK-SAME: (%[[X:[^:]*]]: tensor<8x1x4x4xf32>, %[[B:[^:]*]]: tensor<8xf32>, %[[M:[^:]*]]: tensor<2x3xi32>)
func.func @shape(%x: tensor<8x1x4x4xf32>, %bias: tensor<8xf32>, %m: tensor<2x3xi32>) {
  // CHECK: mlopt.reshape %[[X]] : tensor<8x1x4x4xf32> to tensor<8x16xf32>
  %0 = mlopt.reshape %x : tensor<8x1x4x4xf32> to tensor<8x16xf32>
  // CHECK: mlopt.reshape %[[B]] : tensor<8xf32> to tensor<2x1x4xf32>
  %1 = mlopt.reshape %bias : tensor<8xf32> to tensor<2x1x4xf32>
  // CHECK: mlopt.broadcast_to %[[B]] : tensor<8xf32> to tensor<4x8xf32>
  %2 = mlopt.broadcast_to %bias : tensor<8xf32> to tensor<4x8xf32>
  // CHECK: mlopt.broadcast_to %[[M]] : tensor<2x3xi32> to tensor<2x3xi32>
  %3 = mlopt.broadcast_to %m : tensor<2x3xi32> to tensor<2x3xi32>
  // CHECK: mlopt.transpose %[[M]], [1, 0] : tensor<2x3xi32> -> tensor<3x2xi32>
  %4 = mlopt.transpose %m, [1, 0] : tensor<2x3xi32> -> tensor<3x2xi32>
  // CHECK: mlopt.transpose %[[X]], [0, 2, 3, 1] : tensor<8x1x4x4xf32> -> tensor<8x4x4x1xf32>
  %5 = mlopt.transpose %x, [0, 2, 3, 1] : tensor<8x1x4x4xf32> -> tensor<8x4x4x1xf32>
  // CHECK: mlopt.slice %[[M]] start [0, 1] limit [2, 3] step [1, 2] : tensor<2x3xi32> -> tensor<2x1xi32>
  %6 = mlopt.slice %m start [0, 1] limit [2, 3] step [1, 2] : tensor<2x3xi32> -> tensor<2x1xi32>
  // An empty slice is allowed.
  // CHECK: mlopt.slice %[[B]] start [3] limit [3] step [1] : tensor<8xf32> -> tensor<0xf32>
  %7 = mlopt.slice %bias start [3] limit [3] step [1] : tensor<8xf32> -> tensor<0xf32>
  // CHECK: mlopt.concat %[[M]], %[[M]] dim = -1 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x6xi32>
  %8 = mlopt.concat %m, %m dim = -1 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x6xi32>
  // CHECK: mlopt.concat %[[M]], %[[M]], %[[M]] dim = 0 : (tensor<2x3xi32>, tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<6x3xi32>
  %9 = mlopt.concat %m, %m, %m dim = 0 : (tensor<2x3xi32>, tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<6x3xi32>
  // CHECK: mlopt.concat %[[B]] dim = 0 : (tensor<8xf32>) -> tensor<8xf32>
  %10 = mlopt.concat %bias dim = 0 : (tensor<8xf32>) -> tensor<8xf32>
  return
}

//===----------------------------------------------------------------------===//
// Matrix products, softmax, reductions
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:[^:]*]]: tensor<32x8xf32>, %[[W:[^:]*]]: tensor<16x8xf32>, %[[B:[^:]*]]: tensor<16xf32>, %[[SEQ:[^:]*]]: tensor<2x4x8xbf16>, %[[WH:[^:]*]]: tensor<16x8xbf16>)
func.func @linear(%x: tensor<32x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>,
                  %seq: tensor<2x4x8xbf16>, %wh: tensor<16x8xbf16>) {
  // CHECK: mlopt.linear %[[X]], %[[W]], %[[B]] : (tensor<32x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<32x16xf32>
  %0 = mlopt.linear %x, %w, %b : (tensor<32x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<32x16xf32>
  // CHECK: mlopt.linear %[[X]], %[[W]] : (tensor<32x8xf32>, tensor<16x8xf32>) -> tensor<32x16xf32>
  %1 = mlopt.linear %x, %w : (tensor<32x8xf32>, tensor<16x8xf32>) -> tensor<32x16xf32>
  // CHECK: mlopt.linear %[[SEQ]], %[[WH]] : (tensor<2x4x8xbf16>, tensor<16x8xbf16>) -> tensor<2x4x16xbf16>
  %2 = mlopt.linear %seq, %wh : (tensor<2x4x8xbf16>, tensor<16x8xbf16>) -> tensor<2x4x16xbf16>
  return
}

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:[^:]*]]: tensor<4x8xf32>, %[[B:[^:]*]]: tensor<8x16xf32>, %[[Q:[^:]*]]: tensor<2x3x4x8xf64>, %[[K:[^:]*]]: tensor<2x3x8x5xf64>)
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %q: tensor<2x3x4x8xf64>, %k: tensor<2x3x8x5xf64>) {
  // CHECK: mlopt.matmul %[[A]], %[[B]] : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %0 = mlopt.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  // CHECK: mlopt.batch_matmul %[[Q]], %[[K]] : (tensor<2x3x4x8xf64>, tensor<2x3x8x5xf64>) -> tensor<2x3x4x5xf64>
  %1 = mlopt.batch_matmul %q, %k : (tensor<2x3x4x8xf64>, tensor<2x3x8x5xf64>) -> tensor<2x3x4x5xf64>
  return
}

// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<4x10xf32>)
func.func @softmax(%x: tensor<4x10xf32>) {
  // CHECK: mlopt.softmax %[[X]] dim = -1 : tensor<4x10xf32>
  %0 = mlopt.softmax %x dim = -1 : tensor<4x10xf32>
  // CHECK: mlopt.softmax %[[X]] dim = 0 : tensor<4x10xf32>
  %1 = mlopt.softmax %x dim = 0 : tensor<4x10xf32>
  // CHECK: mlopt.log_softmax %[[X]] dim = 1 : tensor<4x10xf32>
  %2 = mlopt.log_softmax %x dim = 1 : tensor<4x10xf32>
  // CHECK: mlopt.log_softmax %[[X]] dim = -2 : tensor<4x10xf32>
  %3 = mlopt.log_softmax %x dim = -2 : tensor<4x10xf32>
  return
}

// CHECK-LABEL: func.func @reductions
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8xf32>)
func.func @reductions(%x: tensor<2x4x8xf32>) {
  // CHECK: mlopt.sum %[[X]] dims = [1] : tensor<2x4x8xf32> -> tensor<2x8xf32>
  %0 = mlopt.sum %x dims = [1] : tensor<2x4x8xf32> -> tensor<2x8xf32>
  // CHECK: mlopt.sum %[[X]] dims = [-1] keepdim : tensor<2x4x8xf32> -> tensor<2x4x1xf32>
  %1 = mlopt.sum %x dims = [-1] keepdim : tensor<2x4x8xf32> -> tensor<2x4x1xf32>
  // CHECK: mlopt.mean %[[X]] dims = [0, 1, 2] : tensor<2x4x8xf32> -> tensor<f32>
  %2 = mlopt.mean %x dims = [0, 1, 2] : tensor<2x4x8xf32> -> tensor<f32>
  // Dims need not be sorted; the order is kept.
  // CHECK: mlopt.mean %[[X]] dims = [2, -3] keepdim : tensor<2x4x8xf32> -> tensor<1x4x1xf32>
  %3 = mlopt.mean %x dims = [2, -3] keepdim : tensor<2x4x8xf32> -> tensor<1x4x1xf32>
  // CHECK: mlopt.max %[[X]] dims = [-2] : tensor<2x4x8xf32> -> tensor<2x8xf32>
  %4 = mlopt.max %x dims = [-2] : tensor<2x4x8xf32> -> tensor<2x8xf32>
  // CHECK: mlopt.max %[[X]] dims = [0] keepdim : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  %5 = mlopt.max %x dims = [0] keepdim : tensor<2x4x8xf32> -> tensor<1x4x8xf32>
  // CHECK: mlopt.argmax %[[X]] dim = 2 : tensor<2x4x8xf32> -> tensor<2x4xi64>
  %6 = mlopt.argmax %x dim = 2 : tensor<2x4x8xf32> -> tensor<2x4xi64>
  // CHECK: mlopt.argmax %[[X]] dim = -2 keepdim : tensor<2x4x8xf32> -> tensor<2x1x8xi64>
  %7 = mlopt.argmax %x dim = -2 keepdim : tensor<2x4x8xf32> -> tensor<2x1x8xi64>
  return
}

//===----------------------------------------------------------------------===//
// Embedding, one_hot, layer_norm, dropout
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[T:[^:]*]]: tensor<8x16xi64>, %[[E:[^:]*]]: tensor<100x32xf32>, %[[DY:[^:]*]]: tensor<8x16x32xf32>, %[[Y:[^:]*]]: tensor<8xi32>)
func.func @embedding(%tokens: tensor<8x16xi64>, %table: tensor<100x32xf32>,
                     %dy: tensor<8x16x32xf32>, %y: tensor<8xi32>) {
  // CHECK: mlopt.embedding %[[T]], %[[E]] : (tensor<8x16xi64>, tensor<100x32xf32>) -> tensor<8x16x32xf32>
  %0 = mlopt.embedding %tokens, %table : (tensor<8x16xi64>, tensor<100x32xf32>) -> tensor<8x16x32xf32>
  // CHECK: mlopt.embedding_grad %[[T]], %[[DY]] num_embeddings = 100 : (tensor<8x16xi64>, tensor<8x16x32xf32>) -> tensor<100x32xf32>
  %1 = mlopt.embedding_grad %tokens, %dy num_embeddings = 100 : (tensor<8x16xi64>, tensor<8x16x32xf32>) -> tensor<100x32xf32>
  // CHECK: mlopt.one_hot %[[Y]] : tensor<8xi32> -> tensor<8x10xf32>
  %2 = mlopt.one_hot %y : tensor<8xi32> -> tensor<8x10xf32>
  // CHECK: mlopt.one_hot %[[T]] : tensor<8x16xi64> -> tensor<8x16x100xbf16>
  %3 = mlopt.one_hot %tokens : tensor<8x16xi64> -> tensor<8x16x100xbf16>
  return
}

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x4x8xf32>, %[[G:[^:]*]]: tensor<8xf32>, %[[B:[^:]*]]: tensor<8xf32>, %[[G2:[^:]*]]: tensor<4x8xf32>)
func.func @layer_norm(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %g2: tensor<4x8xf32>) {
  // CHECK: mlopt.layer_norm %[[X]] weight %[[G]] bias %[[B]] : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %0 = mlopt.layer_norm %x weight %g bias %b : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  // CHECK: mlopt.layer_norm %[[X]] : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %1 = mlopt.layer_norm %x : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  // CHECK: mlopt.layer_norm %[[X]] weight %[[G]] : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %2 = mlopt.layer_norm %x weight %g : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  // CHECK: mlopt.layer_norm %[[X]] bias %[[B]] {eps = 1.000000e-03 : f64} : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %3 = mlopt.layer_norm %x bias %b {eps = 1.0e-3 : f64} : (tensor<2x4x8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  // CHECK: mlopt.layer_norm %[[X]] weight %[[G2]] {normalized_rank = 2 : i64} : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
  %4 = mlopt.layer_norm %x weight %g2 {normalized_rank = 2} : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
  // Default attribute values are elided.
  // CHECK: mlopt.layer_norm %[[X]] : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %5 = mlopt.layer_norm %x {normalized_rank = 1, eps = 1.0e-5 : f64} : (tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return
}

// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
func.func @dropout(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[SEED:.*]] = mlopt.state_read @rng : tensor<i64>
  %seed = mlopt.state_read @rng : tensor<i64>
  // CHECK: %[[D0:.*]] = mlopt.dropout %[[X]], %[[SEED]] p = 1.000000e-01 stream = 1 : tensor<4x8xf32>
  %0 = mlopt.dropout %x, %seed p = 0.1 stream = 1 : tensor<4x8xf32>
  // CHECK: %[[D1:.*]] = mlopt.dropout %[[D0]], %[[SEED]] p = 5.000000e-01 stream = 3 : tensor<4x8xf32>
  %1 = mlopt.dropout %0, %seed p = 0.5 stream = 3 : tensor<4x8xf32>
  // The default stream is elided; p = 0 is allowed.
  // CHECK: %[[D2:.*]] = mlopt.dropout %[[D1]], %[[SEED]] p = 0.000000e+00 : tensor<4x8xf32>
  %2 = mlopt.dropout %1, %seed p = 0.0 stream = 0 : tensor<4x8xf32>
  // CHECK: return %[[D2]]
  return %2 : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// tap, mode_select
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @tap_and_mode_select
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4x8xf32>, %[[I:[^:]*]]: tensor<4xi64>, %[[T:[^:]*]]: tensor<f32>, %[[E:[^:]*]]: tensor<f32>)
func.func @tap_and_mode_select(%x: tensor<4x8xf32>, %i: tensor<4xi64>,
                               %t: tensor<f32>, %e: tensor<f32>)
    -> (tensor<4x8xf32>, tensor<4xi64>, tensor<f32>) {
  // CHECK: %[[H:.*]] = mlopt.tap "hidden" %[[X]] : tensor<4x8xf32>
  %h = mlopt.tap "hidden" %x : tensor<4x8xf32>
  // Any element type; names need not be identifiers.
  // CHECK: %[[J:.*]] = mlopt.tap "encoder.layer 1" %[[I]] : tensor<4xi64>
  %j = mlopt.tap "encoder.layer 1" %i : tensor<4xi64>
  // CHECK: %[[L:.*]] = mlopt.mode_select %[[T]], %[[E]] : tensor<f32>
  %l = mlopt.mode_select %t, %e : tensor<f32>
  // CHECK: return %[[H]], %[[J]], %[[L]]
  return %h, %j, %l : tensor<4x8xf32>, tensor<4xi64>, tensor<f32>
}

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @losses
// CHECK-SAME: (%[[P:[^:]*]]: tensor<8x10xf32>, %[[Q:[^:]*]]: tensor<8x10xf32>, %[[Y:[^:]*]]: tensor<8xi32>, %[[Y64:[^:]*]]: tensor<8xi64>, %[[H:[^:]*]]: tensor<3xf16>)
func.func @losses(%p: tensor<8x10xf32>, %q: tensor<8x10xf32>, %y: tensor<8xi32>, %y64: tensor<8xi64>,
                  %h: tensor<3xf16>) {
  // CHECK: mlopt.mse_loss %[[P]], %[[Q]] : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  %0 = mlopt.mse_loss %p, %q : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  // CHECK: mlopt.mse_loss %[[H]], %[[H]] : (tensor<3xf16>, tensor<3xf16>) -> tensor<f16>
  %1 = mlopt.mse_loss %h, %h : (tensor<3xf16>, tensor<3xf16>) -> tensor<f16>
  // CHECK: mlopt.cross_entropy %[[P]], %[[Y]] : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  %2 = mlopt.cross_entropy %p, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  // CHECK: mlopt.nll_loss %[[P]], %[[Y64]] : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  %3 = mlopt.nll_loss %p, %y64 : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<f32>
  // CHECK: mlopt.accuracy %[[P]], %[[Y]] : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  %4 = mlopt.accuracy %p, %y : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<f32>
  return
}

// CHECK-LABEL: func.func @kl_div
// CHECK-SAME: (%[[P:[^:]*]]: tensor<8x10xf32>, %[[Q:[^:]*]]: tensor<8x10xf32>, %[[S:[^:]*]]: tensor<f64>)
func.func @kl_div(%p: tensor<8x10xf32>, %q: tensor<8x10xf32>, %s: tensor<f64>) {
  // CHECK: mlopt.kl_div %[[P]], %[[Q]] : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  %0 = mlopt.kl_div %p, %q : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  // The default reduction is elided.
  // CHECK: mlopt.kl_div %[[P]], %[[Q]] : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  %1 = mlopt.kl_div %p, %q reduction = mean : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  // CHECK: mlopt.kl_div %[[P]], %[[Q]] reduction = batchmean : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  %2 = mlopt.kl_div %p, %q reduction = batchmean : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  // CHECK: mlopt.kl_div %[[P]], %[[Q]] reduction = sum log_target : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  %3 = mlopt.kl_div %p, %q reduction = sum log_target : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  // CHECK: mlopt.kl_div %[[P]], %[[Q]] log_target : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  %4 = mlopt.kl_div %p, %q log_target : (tensor<8x10xf32>, tensor<8x10xf32>) -> tensor<f32>
  // A 0-d input is fine for the mean and sum reductions.
  // CHECK: mlopt.kl_div %[[S]], %[[S]] reduction = sum : (tensor<f64>, tensor<f64>) -> tensor<f64>
  %5 = mlopt.kl_div %s, %s reduction = sum : (tensor<f64>, tensor<f64>) -> tensor<f64>
  return
}

//===----------------------------------------------------------------------===//
// The loss function and its argument/result attributes
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[X:[^:]*]]: tensor<8x8xf32> {mlopt.input}, %[[Y:[^:]*]]: tensor<8xi32> {mlopt.label})
// CHECK-SAME: -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
// CHECK-SAME: attributes {mlopt.loss}
func.func @loss(%x: tensor<8x8xf32> {mlopt.input}, %y: tensor<8xi32> {mlopt.label})
    -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.loss} {
  // CHECK: %[[W:.*]] = mlopt.state_read @fc.weight : tensor<16x8xf32>
  %w = mlopt.state_read @fc.weight : tensor<16x8xf32>
  // CHECK: %[[B:.*]] = mlopt.state_read @fc.bias : tensor<16xf32>
  %b = mlopt.state_read @fc.bias : tensor<16xf32>
  // CHECK: %[[L:.*]] = mlopt.linear %[[X]], %[[W]], %[[B]]
  %logits = mlopt.linear %x, %w, %b : (tensor<8x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  // CHECK: %[[CE:.*]] = mlopt.cross_entropy %[[L]], %[[Y]]
  %loss = mlopt.cross_entropy %logits, %y : (tensor<8x16xf32>, tensor<8xi32>) -> tensor<f32>
  // CHECK: %[[ACC:.*]] = mlopt.accuracy %[[L]], %[[Y]]
  %acc = mlopt.accuracy %logits, %y : (tensor<8x16xf32>, tensor<8xi32>) -> tensor<f32>
  // CHECK: return %[[CE]], %[[ACC]] : tensor<f32>, tensor<f32>
  return %loss, %acc : tensor<f32>, tensor<f32>
}

//===----------------------------------------------------------------------===//
// The training-IR attributes (docs/TrainingIR.md), in a nested module
//===----------------------------------------------------------------------===//

// CHECK-LABEL: module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<4x2xf32>, trainable>]>}
module attributes {mlopt.manifest = #mlopt.manifest<[<"w", parameter, tensor<4x2xf32>, trainable>]>} {
  // CHECK: mlopt.state @w : tensor<4x2xf32> parameter trainable init #mlopt.zeros
  mlopt.state @w : tensor<4x2xf32> parameter trainable init #mlopt.zeros

  // CHECK-LABEL: func.func @init
  // CHECK-SAME: (%[[SEED:.*]]: tensor<i64>) attributes {mlopt.init}
  func.func @init(%seed: tensor<i64>) attributes {mlopt.init} {
    // CHECK: %[[V:.*]] = mlopt.initial_value %[[SEED]], #mlopt.zeros stream = 1 : tensor<4x2xf32>
    %v = mlopt.initial_value %seed, #mlopt.zeros stream = 1 : tensor<4x2xf32>
    // CHECK: mlopt.state_write %[[V]], @w : tensor<4x2xf32>
    mlopt.state_write %v, @w : tensor<4x2xf32>
    return
  }

  // CHECK-LABEL: func.func @train_step
  // CHECK-SAME: (%{{.*}}: tensor<4xf32> {mlopt.input}, %{{.*}}: tensor<4xi64> {mlopt.label})
  // CHECK-SAME: -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<4x2xf32> {mlopt.grad_of = @w})
  // CHECK-SAME: attributes {mlopt.train_step}
  func.func @train_step(%x: tensor<4xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}, tensor<4x2xf32> {mlopt.grad_of = @w})
      attributes {mlopt.train_step} {
    %l = mlopt.constant dense<0.0> : tensor<f32>
    %g = mlopt.constant dense<0.0> : tensor<4x2xf32>
    return %l, %l, %g : tensor<f32>, tensor<f32>, tensor<4x2xf32>
  }

  // CHECK-LABEL: func.func @eval_step
  // CHECK-SAME: (%{{.*}}: tensor<4xf32> {mlopt.input}, %{{.*}}: tensor<4xi64> {mlopt.label})
  // CHECK-SAME: -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"})
  // CHECK-SAME: attributes {mlopt.eval_step}
  func.func @eval_step(%x: tensor<4xf32> {mlopt.input}, %y: tensor<4xi64> {mlopt.label})
      -> (tensor<f32>, tensor<f32> {mlopt.metric = "accuracy"}) attributes {mlopt.eval_step} {
    %l = mlopt.constant dense<0.0> : tensor<f32>
    return %l, %l : tensor<f32>, tensor<f32>
  }
  // CHECK-LABEL: func.func @predict_step
  // CHECK-SAME: (%{{.*}}: tensor<4xf32> {mlopt.input}) -> tensor<4x2xf32>
  // CHECK-SAME: attributes {mlopt.predict_step}
  func.func @predict_step(%x: tensor<4xf32> {mlopt.input}) -> tensor<4x2xf32>
      attributes {mlopt.predict_step} {
    %p = mlopt.constant dense<0.0> : tensor<4x2xf32>
    return %p : tensor<4x2xf32>
  }
}
