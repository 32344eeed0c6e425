// RUN: mlopt-opt %s --pass-pipeline="builtin.module(func.func(mlopt-split-blocks-at-loops))" | FileCheck %s

// Each scf op that has ops after it ends its block; the last one before
// the terminator, and scf ops inside loop bodies, stay.
// CHECK-LABEL: func.func @loops
// CHECK: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: cf.br ^[[B1:.*]]
// CHECK-NEXT: ^[[B1]]:
// CHECK-NEXT: arith.addf
// CHECK-NEXT: scf.if
// CHECK: }
// CHECK-NEXT: cf.br ^[[B2:.*]]
// CHECK-NEXT: ^[[B2]]:
// CHECK-NEXT: scf.for
// CHECK: }
// CHECK-NEXT: return
func.func @loops(%m: memref<4x4xf32>, %c: i1, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %x, %m[%i, %j] : memref<4x4xf32>
    }
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %x, %m[%j, %i] : memref<4x4xf32>
    }
  }
  %y = arith.addf %x, %x : f32
  scf.if %c {
    memref.store %y, %m[%c0, %c0] : memref<4x4xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %y, %m[%i, %i] : memref<4x4xf32>
  }
  return %y : f32
}
