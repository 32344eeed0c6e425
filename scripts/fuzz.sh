#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with AddressSanitizer and
# UndefinedBehaviorSanitizer in their own build folder, replays the seed
# corpus, then fuzzes each target for SECONDS (default 60). Fails on any
# crash, sanitizer report, leak or timeout; the input that caused it is left
# in $FUZZ_BUILD_DIR/artifacts/. See docs/Fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS]
#
# FUZZ_BUILD_DIR  build folder (default: build-fuzz)
# FUZZ_JOBS       parallel compile jobs (default: ninja's choice)
# FUZZ_TARGETS    targets to run (default: all four, see below)
# FUZZ_REPLAY_ONLY=1  only replay the seed corpus
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
targets=${FUZZ_TARGETS:-"safetensors npy idx mlir"}

# clang and its runtimes (libFuzzer, the sanitizers), the release of the LLVM
# the project builds against.
packages=(clang-22 libclang-rt-22-dev)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

start=$(date +%s)
if [ ! -f "$build_dir/build.ninja" ]; then
  # -O1 (as the sanitizers recommend, and quicker to build than -O3);
  # fuzz/Sanitizers.cmake keeps the asserts on.
  cmake -G Ninja -S . -B "$build_dir" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DCMAKE_C_FLAGS_RELEASE=-O1 \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLOPT_ENABLE_FUZZERS=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
fi
cmake --build "$build_dir" --target mlopt-fuzzers ${FUZZ_JOBS:+-j "$FUZZ_JOBS"}
echo "fuzz: build took $(( $(date +%s) - start )) s"

export LD_LIBRARY_PATH=/usr/lib/llvm-22/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$build_dir/artifacts"

status=0
passed=0
failed=0
for target in $targets; do
  binary="$build_dir/bin/mlopt-$target-fuzzer"
  seeds="fuzz/corpus/$target"
  options=(-timeout=20 -rss_limit_mb=4096 -print_final_stats=1
           "-artifact_prefix=$build_dir/artifacts/$target-")
  if [ -f "fuzz/$target.dict" ]; then
    options+=("-dict=fuzz/$target.dict")
  fi
  echo "fuzz: $target: replaying $(ls "$seeds" | wc -l) seeds"
  if ! "$binary" "${options[@]}" -runs=0 "$seeds"; then
    echo "fuzz: $target: FAILED on the seed corpus" >&2
    status=1
    failed=$((failed + 1))
    continue
  fi
  if [ "${FUZZ_REPLAY_ONLY:-0}" = 1 ]; then
    passed=$((passed + 1))
    continue
  fi
  # New inputs go to a working corpus in the build folder; the seeds in the
  # repository stay as they are.
  work="$build_dir/corpus/$target"
  mkdir -p "$work"
  echo "fuzz: $target: fuzzing for $seconds s"
  if ! "$binary" "${options[@]}" "-max_total_time=$seconds" "$work" "$seeds"; then
    echo "fuzz: $target: FAILED (see $build_dir/artifacts/$target-*)" >&2
    status=1
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done
# One closing line for CI logs: targets that ran clean and that crashed.
echo "fuzz: $passed passed, $failed failed"
exit $status
