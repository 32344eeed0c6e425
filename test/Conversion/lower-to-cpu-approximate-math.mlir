// RUN: mlopt-opt %s --mlopt-lower-to-cpu | FileCheck %s --check-prefix=ON --implicit-check-not=@erff --implicit-check-not=@expf --implicit-check-not=@logf --implicit-check-not=@tanhf --implicit-check-not=llvm.intr.exp --implicit-check-not=llvm.intr.log
// RUN: mlopt-opt %s --mlopt-lower-to-cpu="approximate-math=false" | FileCheck %s --check-prefix=OFF

// GELU, sigmoid, softmax, log_softmax, layer_norm and cross-entropy in f32:
// with approximate-math (the default) no libm function is declared or
// called; without it erf stays a call of erff and exp / log LLVM intrinsics
// (expf / logf at code generation).
// ON: llvm.intr.fma
// ON: llvm.func @_mlir_ciface_f
// OFF-DAG: llvm.func @erff(f32) -> f32
// OFF-DAG: llvm.call @erff
// OFF-DAG: llvm.intr.exp
// OFF-DAG: llvm.intr.log
func.func @f(%x: tensor<4x16xf32>, %y: tensor<4xi64>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<f32>, tensor<4x16xf32>) {
  %g = mlopt.gelu %x : tensor<4x16xf32>
  %s = mlopt.sigmoid %x : tensor<4x16xf32>
  %sm = mlopt.softmax %x dim = -1 : tensor<4x16xf32>
  %ls = mlopt.log_softmax %x dim = -1 : tensor<4x16xf32>
  %ln = mlopt.layer_norm %x : (tensor<4x16xf32>) -> tensor<4x16xf32>
  %ce = mlopt.cross_entropy %x, %y : (tensor<4x16xf32>, tensor<4xi64>) -> tensor<f32>
  %t = mlopt.gelu %x approximate = tanh : tensor<4x16xf32>
  return %g, %s, %sm, %ls, %ln, %ce, %t : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<f32>, tensor<4x16xf32>
}
