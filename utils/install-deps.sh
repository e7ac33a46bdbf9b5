#!/usr/bin/env bash
# Installs what attnc needs to build and test, and nothing that is already
# there: LLVM/MLIR 22 and its OpenMP runtime from Debian, ninja, OpenMPI
# (tensor-parallel programs run under its mpiexec; MLIR's mpi lowering
# targets its ABI), and numpy and pytest for the Python tests.
# Idempotent; fast when everything is present. Needs root for apt-get.
set -euo pipefail

packages=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22 libomp-22-dev libclang-rt-22-dev ninja-build cmake openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
for module in numpy pytest; do
  if ! "$python" -c "import $module" 2>/dev/null; then
    echo "install-deps: installing $module for $("$python" -c 'import sys; print(sys.executable)')"
    "$python" -m pip install --quiet --disable-pip-version-check "$module"
  fi
done
