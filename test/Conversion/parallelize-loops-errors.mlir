// RUN: mlopt-opt %s --mlopt-parallelize-loops -verify-diagnostics

// The runtime's entry is declared with another type: nothing to call.
// expected-error @+1 {{'mlopt_parallel_for' is declared here as something other than a function of type '(!llvm.ptr, !llvm.ptr, i64, i64, i64) -> ()'}}
func.func private @mlopt_parallel_for(i64)

func.func @large(%m: memref<1048576xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1048576 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %m[%i] : memref<1048576xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %m[%i] : memref<1048576xf32>
    scf.reduce
  }
  return
}
