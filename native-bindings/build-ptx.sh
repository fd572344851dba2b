#!/usr/bin/env bash
# Compiles the CUDA C kernels to PTX, the resource the CUDA backend loads with cuModuleLoadData.
# PTX for compute_75 runs on Turing and every later GPU (the driver compiles it for the chip).
# Usage: native-bindings/build-ptx.sh [path/to/nvcc]   (re-run after editing src/main/cuda/*.cu;
# each .ptx starts with the SHA-256 of its .cu, checked by PtxSourceHashTest)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
nvcc="${1:-${NVCC:-nvcc}}"
arch="${PANFLOW_PTX_ARCH:-compute_75}"
out="$here/src/main/resources/dev/panflow/cuda"
mkdir -p "$out"
for cu in "$here"/src/main/cuda/*.cu; do
  ptx="$out/$(basename "${cu%.cu}").ptx"
  "$nvcc" -ptx -arch="$arch" -O3 -o "$ptx.tmp" "$cu"
  # The first line records the source's hash: PtxSourceHashTest fails when the .cu changed since.
  { echo "// panflow-source-sha256: $(sha256sum "$cu" | cut -d' ' -f1)"; cat "$ptx.tmp"; } > "$ptx"
  rm -f "$ptx.tmp"
  echo "wrote $ptx ($("$nvcc" --version | tail -1))"
done
