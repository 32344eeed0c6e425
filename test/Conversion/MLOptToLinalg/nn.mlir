// RUN: mlopt-opt %s -split-input-file --convert-mlopt-to-linalg | FileCheck %s

// linear: x collapsed to 2-D, one matmul reading W through a transposed map
// (no copy of W), accumulating onto the broadcast bias.
// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear
// CHECK: %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[BIAS:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<5xf32>) outs(%{{.*}} : tensor<6x5xf32>)
// CHECK: %[[Y:.*]] = linalg.matmul indexing_maps = [#[[$A]], #[[$BT]], #[[$C]]] ins(%[[X]], %{{.*}} : tensor<6x4xf32>, tensor<5x4xf32>) outs(%[[BIAS]] : tensor<6x5xf32>)
// CHECK: tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [2, 3, 5]
func.func @linear(%x: tensor<2x3x4xf32>, %w: tensor<5x4xf32>, %b: tensor<5xf32>) -> tensor<2x3x5xf32> {
  %y = mlopt.linear %x, %w, %b : (tensor<2x3x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// A transpose feeding a matmul folds into its indexing map.
// CHECK-DAG: #[[$AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @matmul_transposed
// CHECK-NOT: linalg.transpose
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: linalg.matmul indexing_maps = [#[[$AT]], #[[$B]], #{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<8x6xf32>) outs(%[[Z]] : tensor<4x6xf32>)
func.func @matmul_transposed(%a: tensor<8x4xf32>, %b: tensor<8x6xf32>) -> tensor<4x6xf32> {
  %t = mlopt.transpose %a, [1, 0] : tensor<8x4xf32> -> tensor<4x8xf32>
  %c = mlopt.matmul %t, %b : (tensor<4x8xf32>, tensor<8x6xf32>) -> tensor<4x6xf32>
  return %c : tensor<4x6xf32>
}

// -----

// Batch dimensions collapse into linalg.batch_matmul's one.
// CHECK-LABEL: func.func @batch_matmul
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<8x8x16xf32>, tensor<8x16x8xf32>) outs(%{{.*}} : tensor<8x8x8xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3]] output_shape [2, 4, 8, 8]
func.func @batch_matmul(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32> {
  %s = mlopt.batch_matmul %q, %k : (tensor<2x4x8x16xf32>, tensor<2x4x16x8xf32>) -> tensor<2x4x8x8xf32>
  return %s : tensor<2x4x8x8xf32>
}

// -----

// Softmax: a max reduction (from -inf), a sum of exp(x - max), then one
// elementwise pass reading both reductions through dropping maps.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAX0:.*]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]} {{.*}} outs(%[[MAX0]]
// CHECK: arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK: math.exp
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %[[MAX]], %[[SUM]] :
// CHECK: arith.divf
func.func @softmax(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %p = mlopt.softmax %x dim = -1 : tensor<4x10xf32>
  return %p : tensor<4x10xf32>
}

// -----

// Reductions reduce into the kept dimensions; keepdim expands afterwards;
// mean divides by the count.
// CHECK-LABEL: func.func @reductions
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction"]
// CHECK: arith.addf
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [1, 3, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: arith.addf
// CHECK: arith.constant 3.000000e+00 : f32
// CHECK: arith.divf
func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<1x3x1xf32>, tensor<2x4xf32>) {
  %s = mlopt.sum %x dims = [0, -1] keepdim : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  %m = mlopt.mean %x dims = [1] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return %s, %m : tensor<1x3x1xf32>, tensor<2x4xf32>
}

// -----

// argmax carries (value, index) through one reduction, taking a new element
// when the best is not NaN and the element is greater or NaN.
// CHECK-LABEL: func.func @argmax
// CHECK: %{{.*}}:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: linalg.index 1
// CHECK: arith.cmpf ord
// CHECK: arith.cmpf ugt
// CHECK: linalg.yield %{{.*}}, %{{.*}} : f32, i64
func.func @argmax(%x: tensor<4x10xf32>) -> tensor<4xi64> {
  %i = mlopt.argmax %x dim = 1 : tensor<4x10xf32> -> tensor<4xi64>
  return %i : tensor<4xi64>
}

// -----

// embedding gathers with the index clamped into the table.
// CHECK-LABEL: func.func @embedding
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3xi64>) outs(%{{.*}} : tensor<2x3x4xf32>)
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<10x4xf32>
func.func @embedding(%i: tensor<2x3xi64>, %w: tensor<10x4xf32>) -> tensor<2x3x4xf32> {
  %e = mlopt.embedding %i, %w : (tensor<2x3xi64>, tensor<10x4xf32>) -> tensor<2x3x4xf32>
  return %e : tensor<2x3x4xf32>
}

// -----

// embedding_grad: a loop over positions adding rows; out-of-range indices
// are skipped.
// CHECK-LABEL: func.func @embedding_grad
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[T:.*]] = %{{.*}}) -> (tensor<10x4xf32>)
// CHECK: scf.if
// CHECK: tensor.extract_slice %[[T]]
// CHECK: tensor.insert_slice
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[T]]
func.func @embedding_grad(%i: tensor<2x3xi64>, %g: tensor<2x3x4xf32>) -> tensor<10x4xf32> {
  %e = mlopt.embedding_grad %i, %g num_embeddings = 10 : (tensor<2x3xi64>, tensor<2x3x4xf32>) -> tensor<10x4xf32>
  return %e : tensor<10x4xf32>
}

// -----

// CHECK-LABEL: func.func @one_hot
// CHECK: linalg.index 1
// CHECK: arith.cmpi eq
// CHECK: arith.select
func.func @one_hot(%y: tensor<4xi32>) -> tensor<4x10xf32> {
  %h = mlopt.one_hot %y : tensor<4xi32> -> tensor<4x10xf32>
  return %h : tensor<4x10xf32>
}

// -----

// layer_norm: sum, sum of squared deviations, then one pass with weight and
// bias read along the normalized dimension.
// CHECK-DAG: #[[$NORM:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layer_norm
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #[[$NORM]], #[[$NORM]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK: math.sqrt
func.func @layer_norm(%x: tensor<4x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = mlopt.layer_norm %x weight %w bias %b : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// dropout: the generator of docs/TrainingIR.md on i64. The state's value is
// hashed once, outside the loop (dropoutKey = splitmix64), then each element
// draws uniform(key, stream, i) at its row-major index from linalg.index and
// is dropped when u < p, in f64.
// CHECK-LABEL: func.func @dropout
// CHECK: %[[STATE:.*]] = tensor.extract %{{.*}}[] : tensor<i64>
// CHECK: %[[GAMMA:.*]] = arith.constant -7046029254386353131 : i64
// CHECK: arith.addi %[[STATE]], %[[GAMMA]] : i64
// CHECK: %[[C31:.*]] = arith.constant 31 : i64
// CHECK: %[[SHIFTED:.*]] = arith.shrui %[[MIXED:.*]], %[[C31]] : i64
// CHECK: %[[KEY:.*]] = arith.xori %[[MIXED]], %[[SHIFTED]] : i64
// CHECK: %[[STREAM:.*]] = arith.constant 7 : i64
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.xori %[[KEY]], %[[STREAM]] : i64
// CHECK: arith.constant -7046029254386353131 : i64
// CHECK: arith.constant -4658895280553007687 : i64
// CHECK: arith.constant -7723592293110705685 : i64
// CHECK: arith.uitofp %{{.*}} : i64 to f64
// CHECK: arith.constant 5.9604644775390625E-8 : f64
// CHECK: arith.cmpf olt
// CHECK: arith.select
func.func @dropout(%x: tensor<4x8xf32>, %s: tensor<i64>) -> tensor<4x8xf32> {
  %y = mlopt.dropout %x, %s p = 2.500000e-01 stream = 7 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// tap is the identity: its uses read its input. A function that still holds
// mode_select is in training form (@eval_step already has the evaluation
// operand in its place): the training operand.
// CHECK-LABEL: func.func @tap_and_mode_select
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4x8xf32>, %[[T:[^:]*]]: tensor<f32>, %[[E:[^:]*]]: tensor<f32>)
// CHECK-NOT: mlopt.
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<4x8xf32>)
// CHECK: arith.maximumf
// CHECK-NOT: mlopt.
// CHECK: return %[[R]], %[[T]] : tensor<4x8xf32>, tensor<f32>
func.func @tap_and_mode_select(%x: tensor<4x8xf32>, %t: tensor<f32>,
                               %e: tensor<f32>) -> (tensor<4x8xf32>, tensor<f32>) {
  %h = mlopt.tap "hidden" %x : tensor<4x8xf32>
  %r = mlopt.relu %h : tensor<4x8xf32>
  %l = mlopt.mode_select %t, %e : tensor<f32>
  return %r, %l : tensor<4x8xf32>, tensor<f32>
}
