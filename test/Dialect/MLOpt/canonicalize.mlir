// Folding of mlopt.cast: only casts that change no value go away.
// RUN: mlopt-opt %s -split-input-file --canonicalize | FileCheck %s

// A cast to its own type is its input.
// CHECK-LABEL: func.func @same_type
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @same_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = mlopt.cast %x : tensor<4xf32> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Through a wider type and back: exact, both casts go.
// CHECK-LABEL: func.func @widen_and_back
// CHECK-SAME: (%[[H:.*]]: tensor<4xbf16>, %[[F:.*]]: tensor<4xf16>, %[[S:.*]]: tensor<4xf32>)
// CHECK-NOT: mlopt.cast
// CHECK: return %[[H]], %[[F]], %[[S]], %[[H]]
func.func @widen_and_back(%h: tensor<4xbf16>, %f: tensor<4xf16>, %s: tensor<4xf32>)
    -> (tensor<4xbf16>, tensor<4xf16>, tensor<4xf32>, tensor<4xbf16>) {
  %0 = mlopt.cast %h : tensor<4xbf16> to tensor<4xf32>
  %1 = mlopt.cast %0 : tensor<4xf32> to tensor<4xbf16>
  %2 = mlopt.cast %f : tensor<4xf16> to tensor<4xf32>
  %3 = mlopt.cast %2 : tensor<4xf32> to tensor<4xf16>
  %4 = mlopt.cast %s : tensor<4xf32> to tensor<4xf64>
  %5 = mlopt.cast %4 : tensor<4xf64> to tensor<4xf32>
  %6 = mlopt.cast %h : tensor<4xbf16> to tensor<4xf64>
  %7 = mlopt.cast %6 : tensor<4xf64> to tensor<4xbf16>
  return %1, %3, %5, %7 : tensor<4xbf16>, tensor<4xf16>, tensor<4xf32>, tensor<4xbf16>
}

// -----

// Through a type that holds the source, on to a third: one cast.
// CHECK-LABEL: func.func @exact_middle
// CHECK-SAME: (%[[H:.*]]: tensor<4xbf16>, %[[F:.*]]: tensor<4xf16>)
// CHECK-DAG: %[[A:.*]] = mlopt.cast %[[H]] : tensor<4xbf16> to tensor<4xf16>
// CHECK-DAG: %[[B:.*]] = mlopt.cast %[[F]] : tensor<4xf16> to tensor<4xi32>
// CHECK-DAG: %[[C:.*]] = mlopt.cast %[[H]] : tensor<4xbf16> to tensor<4xf32>
// CHECK-NOT: mlopt.cast
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @exact_middle(%h: tensor<4xbf16>, %f: tensor<4xf16>)
    -> (tensor<4xf16>, tensor<4xi32>, tensor<4xf32>) {
  %0 = mlopt.cast %h : tensor<4xbf16> to tensor<4xf32>
  %1 = mlopt.cast %0 : tensor<4xf32> to tensor<4xf16>
  %2 = mlopt.cast %f : tensor<4xf16> to tensor<4xf32>
  %3 = mlopt.cast %2 : tensor<4xf32> to tensor<4xi32>
  %4 = mlopt.cast %h : tensor<4xbf16> to tensor<4xf32>
  %5 = mlopt.cast %4 : tensor<4xf32> to tensor<4xf64>
  %6 = mlopt.cast %5 : tensor<4xf64> to tensor<4xf32>
  return %1, %3, %6 : tensor<4xf16>, tensor<4xi32>, tensor<4xf32>
}

// -----

// Through a narrower type: the pair rounds, so it stays.
// CHECK-LABEL: func.func @narrow_and_back
// CHECK-SAME: (%[[S:.*]]: tensor<4xf32>, %[[D:.*]]: tensor<4xf64>)
// CHECK: %[[A:.*]] = mlopt.cast %[[S]] : tensor<4xf32> to tensor<4xbf16>
// CHECK: %[[B:.*]] = mlopt.cast %[[A]] : tensor<4xbf16> to tensor<4xf32>
// CHECK: %[[C:.*]] = mlopt.cast %[[S]] : tensor<4xf32> to tensor<4xf16>
// CHECK: %[[D1:.*]] = mlopt.cast %[[C]] : tensor<4xf16> to tensor<4xf32>
// CHECK: %[[E:.*]] = mlopt.cast %[[D]] : tensor<4xf64> to tensor<4xf32>
// CHECK: %[[F:.*]] = mlopt.cast %[[E]] : tensor<4xf32> to tensor<4xbf16>
// CHECK: return %[[B]], %[[D1]], %[[F]]
func.func @narrow_and_back(%s: tensor<4xf32>, %d: tensor<4xf64>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xbf16>) {
  %0 = mlopt.cast %s : tensor<4xf32> to tensor<4xbf16>
  %1 = mlopt.cast %0 : tensor<4xbf16> to tensor<4xf32>
  %2 = mlopt.cast %s : tensor<4xf32> to tensor<4xf16>
  %3 = mlopt.cast %2 : tensor<4xf16> to tensor<4xf32>
  %4 = mlopt.cast %d : tensor<4xf64> to tensor<4xf32>
  %5 = mlopt.cast %4 : tensor<4xf32> to tensor<4xbf16>
  return %1, %3, %5 : tensor<4xf32>, tensor<4xf32>, tensor<4xbf16>
}

// -----

// Neither of f16 and bf16 holds the other, and integers are not looked
// through.
// CHECK-LABEL: func.func @no_exact_middle
// CHECK-SAME: (%[[F:.*]]: tensor<4xf16>, %[[S:.*]]: tensor<4xf32>)
// CHECK: %[[A:.*]] = mlopt.cast %[[F]] : tensor<4xf16> to tensor<4xbf16>
// CHECK: %[[B:.*]] = mlopt.cast %[[A]] : tensor<4xbf16> to tensor<4xf32>
// CHECK: %[[C:.*]] = mlopt.cast %[[S]] : tensor<4xf32> to tensor<4xi64>
// CHECK: %[[D:.*]] = mlopt.cast %[[C]] : tensor<4xi64> to tensor<4xf32>
// CHECK: return %[[B]], %[[D]]
func.func @no_exact_middle(%f: tensor<4xf16>, %s: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = mlopt.cast %f : tensor<4xf16> to tensor<4xbf16>
  %1 = mlopt.cast %0 : tensor<4xbf16> to tensor<4xf32>
  %2 = mlopt.cast %s : tensor<4xf32> to tensor<4xi64>
  %3 = mlopt.cast %2 : tensor<4xi64> to tensor<4xf32>
  return %1, %3 : tensor<4xf32>, tensor<4xf32>
}
