#!/usr/bin/env bash
# Configures (once) and builds attnc in ./build with clang-22, lld and ninja
# against Debian's LLVM/MLIR 22, linking the monolithic libMLIR.so.
#
#   utils/build.sh [--sanitize]
#
# --sanitize builds ./build-sanitize instead, with attnc's code under
# AddressSanitizer and UndefinedBehaviorSanitizer (docs/hardening.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
extra=()
build=${ATTNC_BUILD_DIR:-$root/build}
if [ "${1:-}" = "--sanitize" ]; then
  build=${ATTNC_SANITIZE_BUILD_DIR:-$root/build-sanitize}
  extra=(-DATTNC_SANITIZERS=address,undefined)
fi
llvm=/usr/lib/llvm-22
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=$llvm/bin/clang -DCMAKE_CXX_COMPILER=$llvm/bin/clang++ \
    -DLLVM_USE_LINKER=lld -DMLIR_DIR=$llvm/lib/cmake/mlir \
    -DPython3_EXECUTABLE="$("${PYTHON:-python3}" -c "import sys; print(sys.executable)")" "${extra[@]}" >/dev/null
fi
cmake --build "$build"
