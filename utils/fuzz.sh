#!/usr/bin/env bash
# Fuzz parse -> verify -> attnc's pipelines with libFuzzer (tools/attn-fuzz).
#
#   utils/fuzz.sh [SECONDS] [extra libFuzzer flags...] [--numeric]
#
# --numeric also runs every small function both ways (tiled and reference
# lowering) on random inputs and reports different numbers as findings.
#
# Builds build-fuzz/ (clang-22, -fsanitize=fuzzer,address), seeds
# fuzz/corpus from every test and example (split at `// -----`), and runs
# for SECONDS (default 600) with fuzz/attn.dict. Crashes, sanitizer reports
# and hangs (over 30 s per input) land in fuzz/artifacts/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
shift || true
build=${ATTNC_FUZZ_BUILD:-$root/build-fuzz}
work=${ATTNC_FUZZ_DIR:-$root/fuzz}

"$root/utils/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
    -DLLVM_USE_LINKER=lld -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DPython3_EXECUTABLE="$(command -v python3)" \
    -DATTNC_BUILD_FUZZER=ON -DATTNC_SANITIZERS=address >/dev/null
fi
cmake --build "$build" --target attn-fuzz

mkdir -p "$work/corpus" "$work/artifacts"
python3 "$root/utils/fuzz_seeds.py" "$root" "$work/corpus"
cd "$work"
# Manual poisoning off: LLVM's inline BumpPtrAllocator, compiled into attnc's
# instrumented code, poisons slabs that the uninstrumented libMLIR.so then
# uses (false reports; docs/hardening.md).
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0}
exec "$build/bin/attn-fuzz" corpus -dict="$root/utils/attn.dict" \
  -max_total_time="$seconds" -timeout=30 -rss_limit_mb=6144 -max_len=16384 \
  -artifact_prefix=artifacts/ -print_final_stats=1 "$@"
