#!/usr/bin/env bash
# Run on the GPU machine from the bundle folder made by make-bundle.sh:
#   ./gpu-run.sh [test] [train] [resume] [bench] [conv] [unet]   (default: test train bench); logs go to $OUT (or ./out)
set -uo pipefail
cd "$(dirname "$0")"
out="${OUT:-$PWD/out}"; mkdir -p "$out"
what="${*:-test train bench}"
J="./rt/bin/java $(tr '\n' ' ' < jvm.flags)"   # written by make-bundle.sh from bin/jdk.sh
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  echo "libcuda:"; ldconfig -p | grep -E 'libcuda\.so' ; find / -xdev -name 'libcuda.so*' 2>/dev/null | head -5
  echo "libcublas:"; find / -xdev -name 'libcublas.so*' 2>/dev/null | head -8
  python3 -c 'import torch; print("torch", torch.__version__, torch.version.cuda)'
} > "$out/env.txt" 2>&1
cat "$out/env.txt"
# Not needed when the libraries are on the loader's path or in nvidia-* wheels (searched anyway); a backstop.
export PANFLOW_CUDA_LIB_DIR="$(find / -xdev -name 'libcublas.so.1[0-9]' 2>/dev/null | head -1 | xargs -r dirname)"
echo "PANFLOW_CUDA_LIB_DIR=$PANFLOW_CUDA_LIB_DIR"
rc=0
if [[ $what == *test* ]]; then
  $J -cp "panflow.jar:test-classes:lib/*:runner" RunTests dev.panflow.cuda.CudaSetupTest \
     dev.panflow.cuda.CudaKernelsTest dev.panflow.nn.CudaEquivalenceTest dev.panflow.cuda.CudnnConvTest dev.panflow.cli.CudaCliTest 2>&1 | tee "$out/tests.txt" || rc=1
fi
if [[ $what == *train* ]]; then
  { time $J -jar panflow.jar train --backend cuda --out runs/cuda-checkerboard ; } 2>&1 | tr '\r' '\n' | grep -v '^train .*%.*loss' | tee "$out/train.txt" || rc=1
  $J -jar panflow.jar sample --backend cuda --model runs/cuda-checkerboard/model.safetensors --n 100000 --solver rk4 --steps 25 \
     --out runs/cuda-checkerboard/rk4.npy --png "$out/cuda-rk4.png" 2>&1 | tee -a "$out/train.txt" || rc=1
  $J -jar panflow.jar sample --model runs/cuda-checkerboard/model.safetensors --n 100000 --solver rk4 --steps 25 \
     --out runs/cuda-checkerboard/rk4-jvm.npy 2>&1 | tee -a "$out/train.txt" || rc=1
  cp runs/cuda-checkerboard/samples.png "$out/cuda-train-samples.png" 2>/dev/null
fi
if [[ $what == *resume* ]]; then
  # A run resumed from its checkpoint ends where an uninterrupted run ends (constant lr: --steps may change).
  R="--backend cuda --lr-schedule constant --warmup 0 --samples 0 --checkpoint-every 0"
  $J -jar panflow.jar train $R --steps 300 --out runs/a 2>&1 | tail -1
  $J -jar panflow.jar train $R --steps 150 --out runs/b 2>&1 | tail -1
  $J -jar panflow.jar train $R --steps 300 --out runs/b --resume 2>&1 | tail -2
  python3 - <<'PY' 2>&1 | tee "$out/resume.txt"
from safetensors.numpy import load_file
a, b = load_file("runs/a/model.safetensors"), load_file("runs/b/model.safetensors")
worst = max(float(abs(a[k] - b[k]).max()) for k in a)
print(f"resume: {len(a)} tensors, max |uninterrupted - resumed| = {worst:g}", "(bit-exact)" if worst == 0 else "")
PY
  echo "expected errors, one line each:"
  $J -jar panflow.jar train --backend cuda --path vp --steps 1 --out runs/c 2>&1 | grep -v WARNING
  $J -jar panflow.jar sample --backend cuda --solver dopri5 --model runs/a/model.safetensors 2>&1 | grep -v WARNING
fi
if [[ $what == *conv* ]]; then
  for cfg in "64 64 28 28 64" "64 128 14 14 128" "128 32 32 32 32"; do
    $J -cp panflow.jar:bench-classes dev.panflow.cuda.CudnnBench $cfg 100 2>&1 | tee -a "$out/conv.txt"
    PYTHONUNBUFFERED=1 python3 cudnn_conv_torch.py $cfg 100 2>&1 | tee -a "$out/conv.txt"
  done
fi
if [[ $what == *bench* ]]; then
  for cfg in "2 512 4096" "784 1024 256" "2 256 1024"; do
    $J -cp panflow.jar:bench-classes dev.panflow.cuda.CudaBench $cfg 200 100000 2>&1 | tee -a "$out/bench.txt"
    PYTHONUNBUFFERED=1 python3 cuda_mlp_torch.py $cfg 200 100000 2>&1 | tee -a "$out/bench.txt"
    PYTHONUNBUFFERED=1 python3 cuda_mlp_torch.py $cfg 200 100000 --fused 2>&1 | grep steps | tee -a "$out/bench.txt"
  done
fi
if [[ $what == *unet* ]]; then
  # The U-Net step with cuDNN convolutions through the host-memory ConvKernels (the rest on the JVM)
  # against PyTorch's U-Net twin wholly on the GPU. Fashion-MNIST is not on this machine: random
  # IDX files of its shape stand in (timing only).
  python3 - <<'PY'
import gzip, os, numpy as np
os.makedirs("fm", exist_ok=True)
rng = np.random.default_rng(0)
for split, n in (("train", 60000), ("t10k", 10000)):
    with gzip.open(f"fm/{split}-images-idx3-ubyte.gz", "wb", compresslevel=1) as f:
        f.write(bytes([0, 0, 8, 3]) + np.array([n, 28, 28], ">i4").tobytes() + rng.integers(0, 256, n * 784, dtype=np.uint8).tobytes())
    with gzip.open(f"fm/{split}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + np.array([n], ">i4").tobytes() + rng.integers(0, 10, n, dtype=np.uint8).tobytes())
PY
  T=$(nproc)
  for b in cudnn jvm; do
    $J -Dpanflow.fashion-mnist.dir="$PWD/fm" -cp panflow.jar:bench-classes dev.panflow.nn.UNetBench 64 "$T" 32,64,64 \
       --backend $b --steps 10 --warmup 5 --max-warmup-seconds 20 2>&1 | grep -v WARNING | tee -a "$out/unet.txt" || rc=1
  done
  PANFLOW_FASHION_MNIST_DIR="$PWD/fm" THREADS=$T PYTHONUNBUFFERED=1 python3 unet_torch.py --device cuda --batch 64 \
     --steps 20 --warmup 5 2>&1 | grep -v "step " | tee -a "$out/unet.txt" || rc=1
fi
exit $rc
