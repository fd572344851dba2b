#!/usr/bin/env bash
# Compiles the CUDA C kernels to PTX, the resource the CUDA backend loads with cuModuleLoadData.
# PTX for compute_75 runs on Turing and every later GPU (the driver compiles it for the chip).
# Usage: native-bindings/build-ptx.sh [path/to/nvcc]   (re-run after editing src/main/cuda/*.cu)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nvcc="${1:-${NVCC:-nvcc}}"
arch="${PANFLOW_PTX_ARCH:-compute_75}"
out="$here/src/main/resources/dev/panflow/cuda"
mkdir -p "$out"
"$nvcc" -ptx -arch="$arch" -O3 -o "$out/panflow_kernels.ptx" "$here/src/main/cuda/panflow_kernels.cu"
echo "wrote $out/panflow_kernels.ptx ($("$nvcc" --version | tail -1))"
