#!/usr/bin/env bash
# The main job: installs the dependencies, builds mlopt and trains
# examples/mlp.mlir (784-256-10, Adam lr 1e-3, batch 128, 5 epochs) on
# Fashion-MNIST with compiled CPU code, then prints the summary.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -G Ninja -S . -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
cmake --build "$build_dir" --target mlopt-run
exec "$build_dir/bin/mlopt-run" examples/mlp.mlir \
  --train=fashion-mnist --test=fashion-mnist \
  --optimizer=adam --lr=1e-3 --batch-size=128 --epochs=5 --seed=0 \
  --backend=cpu "$@"
