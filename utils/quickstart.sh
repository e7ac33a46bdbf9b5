#!/usr/bin/env bash
# README command 1: install what is missing, build, then compile
# examples/gqa_decode.mlir for the CPU, run it on fresh random inputs, check it
# against a float64 numpy reference and print the check and the time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/utils/install-deps.sh"
"$root/utils/build.sh"
build=${ATTNC_BUILD_DIR:-$root/build}
"${PYTHON:-python3}" "$root/utils/check_attention.py" --attn-run "$build/bin/attn-run" \
  "$root/examples/gqa_decode.mlir" --scale 0.08838834764831845 --benchmark 10
