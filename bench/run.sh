#!/usr/bin/env bash
# Side-by-side benchmark of mlopt's compiled CPU training steps against
# PyTorch (Debian's python3-torch on OpenBLAS) on this machine, in one run:
# ms per training step and the ratio mlopt/PyTorch, plus matmul GFLOP/s at
# 2048^3 against OpenBLAS sgemm. Not a test: it prints figures.
#
# OpenBLAS picks its kernel by CPU; the environment may pin an older one
# (OPENBLAS_CORETYPE). Set MLOPT_BENCH_NATIVE_BLAS=1 to unset it (and
# OPENBLAS_L2_SIZE) for this benchmark only; the script prints which applies.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for package in python3-torch libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ "${MLOPT_BENCH_NATIVE_BLAS:-0}" = 1 ]; then
  unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
fi
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset: OpenBLAS detects the CPU>}"
threads=$(nproc)
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads

build_dir=${BUILD_DIR:-build}
cmake --build "$build_dir" --target mlopt-run mlopt-bench-matmul >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

steps=60
# Debian's python3-torch installs into the system interpreter.
python=/usr/bin/python3
run_mlopt() { # name model optimizer-options...
  local name=$1 model=$2
  shift 2
  "$build_dir/bin/mlopt-run" "$model" --backend=cpu --train=synthetic:1024 \
    --steps=$steps --epochs=1000 --metrics="$out/$name.jsonl" "$@" >/dev/null
  "$python" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["step_ms_median"])' \
    "$out/$name.jsonl"
}

echo "mlopt: running the three training steps ($steps steps each, median)"
toy=$(run_mlopt toy examples/toy_linear.mlir --optimizer=adam --lr=1e-3)
mlp=$(run_mlopt mlp bench/mlp_512.mlir --optimizer=sgd --lr=0.01 --momentum=0.9)
block=$(run_mlopt block examples/transformer_block.mlir --optimizer=adamw --lr=1e-3)

echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)'): same models, $threads threads"
"$python" bench/pytorch_reference.py "$threads" >"$out/torch.jsonl"

"$python" - "$out/torch.jsonl" "$toy" "$mlp" "$block" <<'PY'
import json, sys
torch = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
rows = [("toy Linear(10,1) MSE/Adam, batch 32", "toy_linear_adam_b32", float(sys.argv[2])),
        ("MLP 784-512-512-10 SGD-momentum, batch 128", "mlp_512_sgd_momentum_b128", float(sys.argv[3])),
        ("transformer block AdamW, batch 16", "transformer_block_adamw_b16", float(sys.argv[4]))]
print(f"\n{'training step':45} {'mlopt ms':>10} {'PyTorch ms':>11} {'mlopt/PyTorch':>14}")
for label, key, ms in rows:
    ref = torch[key]["ms"]
    print(f"{label:45} {ms:10.3f} {ref:11.3f} {ms / ref:13.2f}x")
print(f"\nPyTorch torch.mm 2048^3 (OpenBLAS sgemm): {torch['sgemm_2048']['gflops']:.1f} GFLOP/s")
PY
echo
"$build_dir/bin/mlopt-bench-matmul" 2048 blas vector
