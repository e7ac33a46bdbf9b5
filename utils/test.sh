#!/usr/bin/env bash
# README's test command (and CI): install what is missing, build, run the
# whole test suite through ctest.
#
#   utils/test.sh [--sanitize]
#
# --sanitize builds and tests ./build-sanitize (ASan + UBSan on attnc's code).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/utils/install-deps.sh"
"$root/utils/build.sh" "$@"
build=${ATTNC_BUILD_DIR:-$root/build}
[ "${1:-}" = "--sanitize" ] && build=${ATTNC_SANITIZE_BUILD_DIR:-$root/build-sanitize}
# ctest's lit runs record no test times (test/CMakeLists.txt); a times file
# that parallel runs tore before they stopped would fail every lit test.
rm -f "$build/test/.lit_test_times.txt"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
