#!/usr/bin/env bash
# Installs mlopt into a temporary prefix, builds examples/embedding against
# the installed package with find_package(MLOpt), and runs it.
# Usage: install-and-consume.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
test -f "$work/prefix/lib/cmake/mlopt/MLOptConfig.cmake"
test -x "$work/prefix/bin/mlopt-run"
test -f "$work/prefix/include/mlopt/Runtime/Session.h"
cmake -G Ninja -S "$source/examples/embedding" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=Release -DMLOpt_DIR="$work/prefix/lib/cmake/mlopt" \
  > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
"$work/build/train-toy-linear" "$source/examples/toy_linear.mlir"
