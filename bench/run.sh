#!/usr/bin/env bash
# Side-by-side benchmark of mlopt's compiled CPU training steps against
# PyTorch set up as its users would, in one run on this machine (issue #15).
# Not a test: it prints figures. See docs/CpuPerformance.md, "Training steps
# against PyTorch (bench/run.sh)".
#
# Contestants, case by case (interleaved, so each case sees the same load):
#   mlopt            build/bin/mlopt-run --backend=cpu, median step ms from
#                    its metrics file (epoch_seconds for the epoch case)
#   1.13 tuned       Debian's python3-torch on OpenMP OpenBLAS
#                    (libopenblas0-openmp via LD_LIBRARY_PATH, this process
#                    only), OPENBLAS_CORETYPE unset, large glibc malloc
#                    thresholds, threads = cores
#   1.13 untuned     the same PyTorch as installed: pthread OpenBLAS (the
#                    system alternative), the environment as it is, PyTorch's
#                    default thread count
#   2.x eager/compile  the current PyTorch from the package index in a venv
#                    (installed once, ~5 GB, cached), tuned environment,
#                    eager and torch.compile(model)
# mlopt gets the tuned environment rules too (OPENBLAS_CORETYPE unset, the
# same malloc thresholds, threads = cores).
#
# Environment knobs: BUILD_DIR (build), MLOPT_BENCH_VENV
# (~/.cache/mlopt-bench-venv), MLOPT_BENCH_NO_TORCH2=1 (skip PyTorch 2.x),
# MLOPT_BENCH_PIP_ARGS (extra pip install arguments, e.g. an index URL),
# MLOPT_BENCH_CASES (toy,mlp_sgd,mlp_adam,fmnist_epoch,block),
# MLOPT_BENCH_NO_BUILD=1 (measure the binaries already built).
set -euo pipefail
cd "$(dirname "$0")/.."

cores=$(nproc)
build_dir=${BUILD_DIR:-build}
cases=${MLOPT_BENCH_CASES:-toy,mlp_sgd,mlp_adam,fmnist_epoch,block}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# --- The machine -------------------------------------------------------------
echo "== machine"
echo "date      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $cores cores"
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2-) "
features=""
for f in avx2 fma avx512f avx512_bf16 avx512_vnni avx_vnni amx_bf16 amx_int8 amx_tile; do
  case "$flags" in *" $f "*) features+=" $f" ;; *) features+=" -$f" ;; esac
done
echo "features $features   (-x: absent)"
echo "load      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
echo "mlopt     $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- lib include tools 2>/dev/null || echo ' + uncommitted changes in lib/include/tools')"
echo "OPENBLAS_CORETYPE as set here: ${OPENBLAS_CORETYPE:-<unset>}"

# --- What it needs -------------------------------------------------------------
missing=()
for package in python3-torch libopenblas0-openmp libopenblas0-pthread dataset-fashion-mnist; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=/usr/bin/python3 # Debian's python3-torch is in the system interpreter
venv=${MLOPT_BENCH_VENV:-$HOME/.cache/mlopt-bench-venv}
torch2=""
if [ "${MLOPT_BENCH_NO_TORCH2:-0}" = 1 ]; then
  echo "PyTorch 2.x: skipped (MLOPT_BENCH_NO_TORCH2=1)"
elif "$venv/bin/python" -c 'import torch' 2>/dev/null; then
  torch2=$venv/bin/python
else
  echo "PyTorch 2.x: installing torch into $venv (pip, once; about 5 GB)"
  # shellcheck disable=SC2086 # MLOPT_BENCH_PIP_ARGS is a list of arguments
  if "$python" -m venv "$venv" &&
    timeout 1800 "$venv/bin/pip" install -q ${MLOPT_BENCH_PIP_ARGS:-} torch numpy &&
    "$venv/bin/python" -c 'import torch'; then
    torch2=$venv/bin/python
  else
    echo "PyTorch 2.x: NOT AVAILABLE (pip could not install torch here); its columns show n/a"
  fi
fi

if [ "${MLOPT_BENCH_NO_BUILD:-0}" = 1 ]; then
  echo "not building (MLOPT_BENCH_NO_BUILD=1): measuring the binaries in $build_dir/bin"
elif echo "building mlopt-run and mlopt-bench-matmul (${SECONDS}s into the run)" &&
  ! flock /tmp/mlopt-build.lock cmake --build "$build_dir" --target mlopt-run mlopt-bench-matmul >"$out/build.log" 2>&1; then
  tail -20 "$out/build.log"
  if [ -x "$build_dir/bin/mlopt-run" ] && [ -x "$build_dir/bin/mlopt-bench-matmul" ]; then
    echo "WARNING: the build failed; measuring the binaries already in $build_dir/bin"
  else
    exit 1
  fi
fi

echo "mlopt-run built $(date -u -r "$build_dir/bin/mlopt-run" '+%Y-%m-%d %H:%M UTC')"

# --- Environments ----------------------------------------------------------------
# glibc caps M_MMAP_THRESHOLD at 32 MiB on 64-bit (a larger value is ignored),
# so that is the largest threshold that takes effect; the trim threshold keeps
# freed heap memory instead of returning it to the kernel after every step.
tuned=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
  MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=68719476736
  OMP_NUM_THREADS="$cores")
openmp_blas=/usr/lib/x86_64-linux-gnu/openblas-openmp

# --- Runs -------------------------------------------------------------------------
mlopt_steps=60 toy_steps=200 block_steps=20 epochs=2
echo "steps: mlopt $mlopt_steps per step case ($toy_steps toy, $block_steps transformer), PyTorch 50 after 10 warm-up (200 toy, 20 transformer after 5);"
echo "       Fashion-MNIST: $epochs epochs of 468 batches, the last one timed (the first warms up)"

run_mlopt() { # case model mlopt-run-options...
  local name=$1 model=$2
  shift 2
  "${tuned[@]}" "$build_dir/bin/mlopt-run" "$model" --backend=cpu --seed=0 \
    --metrics="$out/mlopt-$name.jsonl" "$@" >"$out/mlopt-$name.txt" 2>&1 ||
    { echo "  mlopt $name FAILED:"; tail -5 "$out/mlopt-$name.txt"; }
}
run_torch() { # config python case env-command...
  local config=$1 py=$2 case=$3
  shift 3
  local args=(--cases "$case" --block-steps "$block_steps" --epochs "$epochs")
  [ "$config" = untuned ] || args+=(--threads "$cores")
  [ "$config" != compile ] || args+=(--compile)
  "$@" "$py" bench/pytorch_reference.py "${args[@]}" \
    >>"$out/torch-$config.jsonl" 2>"$out/torch-$config-$case.err" ||
    { echo "  PyTorch $config $case FAILED:"; tail -3 "$out/torch-$config-$case.err"; }
}

IFS=, read -r -a case_list <<<"$cases"
for case in "${case_list[@]}"; do
  echo "case $case (load $(cut -d' ' -f1 /proc/loadavg), ${SECONDS}s into the run)"
  case $case in
  toy) run_mlopt toy examples/toy_linear.mlir --train=synthetic:1024 \
    --optimizer=adam --lr=1e-3 --steps=$toy_steps --epochs=1000 ;;
  mlp_sgd) run_mlopt mlp_sgd bench/mlp_512.mlir --train=synthetic:1024 \
    --optimizer=sgd --lr=0.01 --momentum=0.9 --steps=$mlopt_steps --epochs=1000 ;;
  mlp_adam) run_mlopt mlp_adam bench/mlp_512.mlir --train=synthetic:1024 \
    --optimizer=adam --lr=1e-3 --steps=$mlopt_steps --epochs=1000 ;;
  fmnist_epoch) run_mlopt fmnist_epoch examples/mlp.mlir --train=fashion-mnist \
    --optimizer=adam --lr=1e-3 --batch-size=128 --epochs=$epochs ;;
  block) run_mlopt block examples/transformer_block.mlir --train=synthetic:64 \
    --optimizer=adamw --lr=1e-3 --steps=$block_steps --epochs=1000 --report ;;
  *) echo "unknown case $case" >&2; exit 1 ;;
  esac
  torch_case=$case
  [ "$case" != block ] || torch_case=block,sgemm
  run_torch tuned "$python" "$torch_case" "${tuned[@]}" LD_LIBRARY_PATH="$openmp_blas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  run_torch untuned "$python" "$torch_case" env
  if [ -n "$torch2" ]; then
    run_torch eager "$torch2" "$torch_case" "${tuned[@]}"
    run_torch compile "$torch2" "$case" "${tuned[@]}"
  fi
  if [ "$case" = block ]; then
    "${tuned[@]}" "$build_dir/bin/mlopt-bench-matmul" 2048 blas >"$out/matmul.txt" 2>&1 ||
      { echo "  mlopt-bench-matmul FAILED:"; tail -3 "$out/matmul.txt"; }
  fi
done
echo "load      $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at the end, ${SECONDS}s in all"

"$python" bench/run_table.py "$out"
