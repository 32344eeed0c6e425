#!/usr/bin/env bash
# Installs the dependencies, builds mlopt and runs every test (lit + gtest)
# through ctest. BUILD_DIR overrides the build folder (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -G Ninja -S . -B "$build_dir" \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
cmake --build "$build_dir"
ctest --test-dir "$build_dir" --output-on-failure

# The libFuzzer targets (docs/Fuzzing.md): a clang build with AddressSanitizer
# and UndefinedBehaviorSanitizer in build-fuzz/, the seed corpus replayed, then
# each of the four targets fuzzed for MLOPT_FUZZ_SECONDS (default 60). Fails
# on any crash. MLOPT_FUZZ=0 skips the step.
if [ "${MLOPT_FUZZ:-1}" != 0 ]; then
  ./scripts/fuzz.sh "${MLOPT_FUZZ_SECONDS:-60}"
fi
