// RUN: mlopt-opt %s -split-input-file --mlopt-parallelize-loops | FileCheck %s
// RUN: mlopt-opt %s -split-input-file --mlopt-parallelize-loops="min-work=100000000" | FileCheck %s --check-prefix=HIGH
// RUN: mlopt-opt %s -split-input-file --mlopt-parallelize-loops="min-work=100" | FileCheck %s --check-prefix=LOW
// RUN: mlopt-opt %s -split-input-file --mlopt-parallelize-loops --convert-scf-to-cf --expand-strided-metadata --finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --convert-index-to-llvm --reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// A large 2-D loop: outlined over its first dimension, the second stays a
// loop inside; the memref and the scalar travel in the context, the
// constants are recreated inside. Work 1 + 4096 * 64 * 4 ops, 256 per
// first-dimension iteration: grain 4096 / 256 = 16.
// CHECK-LABEL: func.func private @mlopt_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64, i64)
// CHECK-LABEL: func.func @large(
// CHECK-SAME: %[[M:.*]]: memref<4096x64xf32>, %[[S:.*]]: f32)
// CHECK: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: %[[CTX:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, f32)>
// CHECK-NOT: scf.parallel
// CHECK: %[[D:.*]] = builtin.unrealized_conversion_cast %[[M]] : memref<4096x64xf32> to !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK: %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0]
// CHECK: llvm.store %[[D]], %[[F0]]
// CHECK: %[[F1:.*]] = llvm.getelementptr %[[CTX]][0, 1]
// CHECK: llvm.store %[[S]], %[[F1]] : f32, !llvm.ptr
// CHECK: %[[FN:.*]] = constant @large_parallel0 : (!llvm.ptr, i64, i64) -> ()
// CHECK: %[[FP:.*]] = builtin.unrealized_conversion_cast %[[FN]] : (!llvm.ptr, i64, i64) -> () to !llvm.ptr
// CHECK-DAG: %[[B:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK-DAG: %[[E:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK-DAG: %[[G:.*]] = arith.constant 16 : i64
// CHECK: call @mlopt_parallel_for(%[[FP]], %[[CTX]], %[[B]], %[[E]], %[[G]])
// CHECK-NOT: scf.parallel
// CHECK: return

// CHECK-LABEL: func.func private @large_parallel0(
// CHECK-SAME: %[[CTXARG:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[P0:.*]] = llvm.getelementptr %[[CTXARG]][0, 0]
// CHECK: %[[L0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK: %[[MM:.*]] = builtin.unrealized_conversion_cast %[[L0]] : {{.*}} to memref<4096x64xf32>
// CHECK: %[[P1:.*]] = llvm.getelementptr %[[CTXARG]][0, 1]
// CHECK: %[[SS:.*]] = llvm.load %[[P1]] : !llvm.ptr -> f32
// CHECK-DAG: %[[BI:.*]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK-DAG: %[[EI:.*]] = arith.index_cast %[[END]] : i64 to index
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%[[BI]], %[[C0]]) to (%[[EI]], %[[C64]])
// CHECK: %[[V:.*]] = memref.load %[[MM]][%[[I]], %[[J]]]
// CHECK: arith.addf %[[V]], %[[SS]]
// CHECK: memref.store {{.*}}, %[[MM]][%[[I]], %[[J]]]
// CHECK: return

// The lowered module calls the function by its address; no cast is left.
// LLVM-LABEL: llvm.func @large(
// LLVM: %[[FA:.*]] = llvm.mlir.addressof @large_parallel0 : !llvm.ptr
// LLVM: llvm.call @mlopt_parallel_for(%[[FA]],
// LLVM-NOT: unrealized_conversion_cast
// LLVM-LABEL: llvm.func @large_parallel0(
// LLVM-SAME: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64)
// LLVM-NOT: unrealized_conversion_cast

// HIGH-LABEL: func.func @large(
// HIGH: scf.parallel
// HIGH-NOT: mlopt_parallel_for
// HIGH: return
// LOW-LABEL: func.func @large(
// LOW: call @mlopt_parallel_for
func.func @large(%m: memref<4096x64xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c4096 = arith.constant 4096 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4096, %c64) step (%c1, %c1) {
    %v = memref.load %m[%i, %j] : memref<4096x64xf32>
    %w = arith.addf %v, %s : f32
    memref.store %w, %m[%i, %j] : memref<4096x64xf32>
    scf.reduce
  }
  return
}

// -----

// A small loop (16 x 16 x 4 ops) stays serial unless the threshold is low.
// CHECK-LABEL: func.func @small(
// CHECK: scf.parallel
// CHECK-NOT: mlopt_parallel_for
// CHECK: return
// LOW-LABEL: func.func @small(
// LOW: call @mlopt_parallel_for
func.func @small(%m: memref<16x16xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
    %v = memref.load %m[%i, %j] : memref<16x16xf32>
    %w = arith.addf %v, %s : f32
    memref.store %w, %m[%i, %j] : memref<16x16xf32>
    scf.reduce
  }
  return
}

// -----

// A parallel loop inside another loop is left alone, however large: only
// outermost loops are dispatched (a reduction dimension outside, as in a
// bias gradient summed over the batch).
// CHECK-LABEL: func.func @nested(
// CHECK: scf.for
// CHECK: scf.parallel
// CHECK-NOT: mlopt_parallel_for
// CHECK: return
// LOW-LABEL: func.func @nested(
// LOW-NOT: mlopt_parallel_for
// LOW: return
func.func @nested(%in: memref<512x4096xf32>, %out: memref<4096xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %c4096 = arith.constant 4096 : index
  scf.for %r = %c0 to %c512 step %c1 {
    scf.parallel (%j) = (%c0) to (%c4096) step (%c1) {
      %a = memref.load %in[%r, %j] : memref<512x4096xf32>
      %b = memref.load %out[%j] : memref<4096xf32>
      %c = arith.addf %a, %b : f32
      memref.store %c, %out[%j] : memref<4096xf32>
      scf.reduce
    }
  }
  return
}

// -----

// Dynamic sizes count as large: the loop is outlined, its bounds come from
// the memref at run time and the inner dimension's bound travels as an i64;
// an iteration of the first dimension counts as large too: grain 1.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[M:.*]]: memref<?x?xf32>
// CHECK-DAG: %[[N0:.*]] = memref.dim %[[M]], %{{.*}}
// CHECK-DAG: %[[N1:.*]] = memref.dim %[[M]], %{{.*}}
// CHECK: builtin.unrealized_conversion_cast %[[N1]] : index to i64
// CHECK: %[[E:.*]] = arith.index_cast %[[N0]] : index to i64
// CHECK: %[[G:.*]] = arith.constant 1 : i64
// CHECK: call @mlopt_parallel_for(%{{.*}}, %{{.*}}, %{{.*}}, %[[E]], %[[G]])
// CHECK-LABEL: func.func private @dynamic_parallel0(
// CHECK: %[[LN1:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK: %[[IN1:.*]] = builtin.unrealized_conversion_cast %[[LN1]] : i64 to index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %[[IN1]])
// LLVM-LABEL: llvm.func @dynamic(
// LLVM: llvm.call @mlopt_parallel_for(
// LLVM-NOT: unrealized_conversion_cast
func.func @dynamic(%m: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n0 = memref.dim %m, %c0 : memref<?x?xf32>
  %n1 = memref.dim %m, %c1 : memref<?x?xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n0, %n1) step (%c1, %c1) {
    %v = memref.load %m[%i, %j] : memref<?x?xf32>
    %w = arith.mulf %v, %v : f32
    memref.store %w, %m[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// -----

// A first dimension of lower bound 3 and step 2 runs as iterations
// 0 .. ceildiv(ub - lb, step); the body gets lb + k * step back.
// CHECK-LABEL: func.func @strided(
// CHECK-DAG: %[[LB:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[UB:.*]] = arith.constant 100003 : index
// CHECK-DAG: %[[ST:.*]] = arith.constant 2 : index
// CHECK: %[[SPAN:.*]] = arith.subi %[[UB]], %[[LB]] : index
// CHECK: %[[N:.*]] = arith.ceildivsi %[[SPAN]], %[[ST]] : index
// CHECK: %[[Z:.*]] = arith.constant 0 : index
// CHECK: %[[B:.*]] = arith.index_cast %[[Z]] : index to i64
// CHECK: %[[E:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: call @mlopt_parallel_for(%{{.*}}, %{{.*}}, %[[B]], %[[E]],
// CHECK-LABEL: func.func private @strided_parallel0(
// CHECK-DAG: %[[ILB:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[IST:.*]] = arith.constant 2 : index
// CHECK: scf.parallel (%[[K:.*]]) =
// CHECK: %[[KS:.*]] = arith.muli %[[K]], %[[IST]] : index
// CHECK: %[[IV:.*]] = arith.addi %[[ILB]], %[[KS]] : index
// CHECK: memref.load %{{.*}}[%[[IV]]]
func.func @strided(%m: memref<100003xf32>) {
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %ub = arith.constant 100003 : index
  scf.parallel (%i) = (%c3) to (%ub) step (%c2) {
    %v = memref.load %m[%i] : memref<100003xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %m[%i] : memref<100003xf32>
    scf.reduce
  }
  return
}

// -----

// A loop with a reduction (scf.reduce operands) is left alone.
// CHECK-LABEL: func.func @reduction(
// CHECK: scf.parallel
// CHECK: scf.reduce
// CHECK-NOT: mlopt_parallel_for
// CHECK: return
// LOW-LABEL: func.func @reduction(
// LOW-NOT: mlopt_parallel_for
// LOW: return
func.func @reduction(%m: memref<1048576xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1048576 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %v = memref.load %m[%i] : memref<1048576xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}

// -----

// A loop without values from outside passes a null context; two loops of
// one function get two functions.
// CHECK-LABEL: func.func @two(
// CHECK: %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: call @mlopt_parallel_for(%{{.*}}, %[[NULL]],
// CHECK: call @mlopt_parallel_for(
// CHECK-LABEL: func.func private @two_parallel0(
// CHECK: memref.get_global @g
// CHECK-LABEL: func.func private @two_parallel1(
// CHECK: memref.get_global @g
memref.global "private" @g : memref<65536xf32> = uninitialized
func.func @two(%s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 65536 : index
  %one = arith.constant 1.0 : f32
  %g = memref.get_global @g : memref<65536xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %one, %g[%i] : memref<65536xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %g[%i] : memref<65536xf32>
    %w = arith.mulf %v, %s : f32
    memref.store %w, %g[%i] : memref<65536xf32>
    scf.reduce
  }
  return
}
