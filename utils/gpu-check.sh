#!/bin/bash
# The GPU device check, in two halves (docs/gpu.md, "Device check"):
#
#   utils/gpu-check.sh prepare DIR [CHIP]   here, with MLIR: compiles every
#       example's kernels for CHIP (default sm_90: the H100/H200) into DIR
#       with `attnc --target=nvptx`, and the tensor-core kernel's cases
#       (test/Integration/CUDA/Inputs/tensor-core.mlir), and writes
#       DIR/checks.txt.
#   utils/gpu-check.sh run DIR OUT          on the GPU machine (CUDA, cmake,
#       ninja, numpy; no MLIR): builds the runtime and attn-gpu-run alone
#       (-DATTNC_RUNTIME_ONLY=ON), then for every check generates the inputs
#       from a seed, runs the kernels (outputs poisoned with NaN first) and
#       compares them with the float64 reference of utils/attn_reference.py,
#       and times them; then benchmarks/gpu.py measures the device's
#       ceilings and the benchmark cases against torch's SDPA backends. The
#       log, a summary and RESULTS-gpu.md go to OUT.
#
# Each check is one utils/check_attention.py --gpu-run line; run exits
# non-zero if any fails.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
dir=${2:-}
if [ -z "$mode" ] || [ -z "$dir" ]; then
  echo "usage: $0 prepare DIR [CHIP] | run DIR OUT" >&2
  exit 2
fi

# example | check_attention.py arguments
CHECKS="eg_mla_decode|--variant eg_mla --scale 0.08838834764831845 --causal
gqa_decode|--scale 0.08838834764831845
grouped_tied_decode|--variant grouped_tied --scale 0.08838834764831845 --causal
gta_decode|--variant gta --scale 0.125 --causal
mha_prefill|--scale 0.125 --causal
mla_decode|--variant latent --scale 0.07216878364870323 --causal
mla_prefill|--variant latent --scale 0.07216878364870323 --causal
mlra4_decode|--variant latent --scale 0.07216878364870323 --causal --weight 0.5"

# The tensor-core kernel's cases (bf16/f16, test/Integration/CUDA/tensor-core.test,
# which runs them in the PTX emulator): function | check_attention.py arguments
TENSOR_CORE=test/Integration/CUDA/Inputs/tensor-core.mlir
TENSOR_CORE_CHECKS="prefill_causal|--scale 0.125 --causal --rtol 2e-2
gqa_decode|--scale 0.08838834764831845 --rtol 2e-2
window|--scale 0.125 --window 9 --rtol 2e-2
lengths|--args q,k,v,kv_lengths --kv-lengths 0,13 --scale 0.125 --causal --rtol 2e-2
mqa|--scale 0.125 --causal --rtol 2e-2
split_decode|--args q,k,v,kv_lengths --kv-lengths 0,700 --scale 0.125 --causal --rtol 2e-2
grouped_tied|--variant grouped_tied --scale 0.125 --causal --rtol 2e-2"

case "$mode" in
prepare)
  chip=${3:-sm_90}
  attnc=${ATTNC:-$ROOT/build/bin/attnc}
  mkdir -p "$dir"
  : > "$dir/checks.txt"
  while IFS='|' read -r name args; do
    "$attnc" "$ROOT/examples/$name.mlir" --target=nvptx --chip="$chip" \
      -o "$dir/$name.ptx" || { echo "gpu-check: attnc failed on $name" >&2; exit 1; }
    echo "$name|examples/$name.mlir|$name.ptx.json|$args" >> "$dir/checks.txt"
  done <<< "$CHECKS"
  "$attnc" "$ROOT/$TENSOR_CORE" --target=nvptx --chip="$chip" -o "$dir/tensor-core.ptx" ||
    { echo "gpu-check: attnc failed on $TENSOR_CORE" >&2; exit 1; }
  while IFS='|' read -r name args; do
    echo "tensor-core $name|$TENSOR_CORE|tensor-core.ptx.json|--function $name $args" \
      >> "$dir/checks.txt"
  done <<< "$TENSOR_CORE_CHECKS"
  python3 "$ROOT/benchmarks/gpu.py" prepare "$dir/bench" --chip "$chip" || exit 1
  echo "gpu-check: $(wc -l < "$dir/checks.txt") kernel sets for $chip in $dir"
  ;;
run)
  out=${3:-}
  [ -n "$out" ] || { echo "usage: $0 run DIR OUT" >&2; exit 2; }
  mkdir -p "$out"
  log="$out/gpu-check.log"
  {
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
  } > "$log" 2>&1
  build="$dir/build-runtime"
  if ! { cmake -S "$ROOT" -B "$build" -G Ninja -DATTNC_RUNTIME_ONLY=ON \
           -DCMAKE_BUILD_TYPE=Release && ninja -C "$build"; } >> "$log" 2>&1; then
    echo "gpu-check: building attn-gpu-run failed (see $log)" | tee -a "$log"
    exit 1
  fi
  : > "$out/summary.txt"
  failed=0
  seed=1
  while IFS='|' read -r name mlir kernels args; do
    seed=$((seed + 1))
    echo "== $name" >> "$log"
    # shellcheck disable=SC2086
    if timeout 120 python3 "$ROOT/utils/check_attention.py" \
         --gpu-run "$build/bin/attn-gpu-run" --kernels "$dir/$kernels" \
         "$ROOT/$mlir" $args --seed "$seed" --benchmark 10 >> "$log" 2>&1; then
      echo "PASS $name" >> "$out/summary.txt"
    else
      echo "FAIL $name" >> "$out/summary.txt"
      failed=$((failed + 1))
    fi
  done < "$dir/checks.txt"
  if timeout 240 python3 "$ROOT/benchmarks/gpu.py" run "$dir/bench" \
       --gpu-run "$build/bin/attn-gpu-run" --output "$out/RESULTS-gpu.md" >> "$log" 2>&1; then
    echo "PASS benchmarks" >> "$out/summary.txt"
  else
    echo "FAIL benchmarks" >> "$out/summary.txt"
    failed=$((failed + 1))
  fi
  cat "$out/summary.txt"
  echo "gpu-check: $failed failed" | tee -a "$log"
  [ "$failed" -eq 0 ]
  ;;
*)
  echo "usage: $0 prepare DIR [CHIP] | run DIR OUT" >&2
  exit 2
  ;;
esac
