#!/usr/bin/env bash
# README command 2 (and CI): install what is missing, build, run the whole
# test suite through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/utils/install-deps.sh"
"$root/utils/build.sh"
ctest --test-dir "${ATTNC_BUILD_DIR:-$root/build}" --output-on-failure -j "$(nproc)"
