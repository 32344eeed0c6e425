#!/bin/sh
# approximate_math.sh - elementwise math throughput, polynomials vs libm.
#
# Lowers one elementwise op over a 256x1024 f32 tensor (1 MiB in, 1 MiB out,
# in L2) with mlopt-lower-to-cpu{approximate-math=true|false}, optimizes it
# like the JIT (opt -O3, llc -O3, host CPU) and times the two versions, one
# thread (mlopt_parallel_for runs inline), median of 41 calls. Usage:
#   bench/approximate_math.sh [build-dir]      (default: build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
llvm=/usr/lib/llvm-22/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
triple=x86_64-unknown-linux-gnu
for op in gelu gelu_tanh exp tanh log sigmoid; do
  case $op in
    gelu_tanh) body='%y = mlopt.gelu %x approximate = tanh : tensor<256x1024xf32>' ;;
    *) body="%y = mlopt.$op %x : tensor<256x1024xf32>" ;;
  esac
  printf 'func.func @f(%%x: tensor<256x1024xf32>) -> tensor<256x1024xf32> {\n  %s\n  return %%y : tensor<256x1024xf32>\n}\n' \
    "$body" > "$work/$op.mlir"
  for on in true false; do
    # The JIT's module has no mlopt attributes left to translate.
    "$build/bin/mlopt-opt" "$work/$op.mlir" \
        --mlopt-lower-to-cpu="approximate-math=$on" |
      sed 's/mlopt.manifest = #mlopt.manifest<\[\]>//; s/module attributes {}/module/' |
      "$llvm/mlir-translate" --mlir-to-llvmir -o "$work/$op-$on.ll"
    sed -i "s/@_mlir_ciface_f\b/@f_${op}_${on}/; s/@f_parallel0\b/@f_${op}_${on}_p0/g" \
      "$work/$op-$on.ll"
    "$llvm/opt" -O3 -mtriple=$triple -mcpu=native "$work/$op-$on.ll" -o "$work/$op-$on.bc"
    "$llvm/llc" -O3 -mtriple=$triple -mcpu=native -filetype=obj \
      "$work/$op-$on.bc" -o "$work/$op-$on.o"
  done
done
c++ -O2 "$root/bench/approximate_math/driver.cpp" "$work"/*.o -o "$work/driver" -lm
grep -m1 'model name' /proc/cpuinfo
"$work/driver"
