"""PyTorch peer of dev.panflow.cuda.CudnnBench: a 3x3 convolution (stride 1, pad 1) forward +
backward data + backward weights (+ bias) in fp32 with TF32 off, on GPU tensors.
usage: python3 bench/cudnn_conv_torch.py N C H W K [ITERS]"""
import sys
import time

import torch

n, c, h, w, k = map(int, sys.argv[1:6])
iters = int(sys.argv[6]) if len(sys.argv) > 6 else 100
torch.backends.cudnn.allow_tf32 = False
dev = torch.device("cuda")
x = torch.randn(n, c, h, w, device=dev, requires_grad=True)
conv = torch.nn.Conv2d(c, k, 3, padding=1).to(dev)
gy = torch.randn(n, k, h, w, device=dev)


def run():
    x.grad = None
    conv.zero_grad(set_to_none=True)
    conv(x).backward(gy)


for _ in range(5):
    run()
torch.cuda.synchronize()
t0 = time.perf_counter()
for _ in range(iters):
    run()
torch.cuda.synchronize()
ms = (time.perf_counter() - t0) * 1e3 / iters
tflop = 3 * 2.0 * n * k * h * w * c * 9 * 1e-12
print(f"torch conv3x3 n{n} c{c} {h}x{w} k{k} fwd+bwd: {ms:.3f} ms ({tflop / ms * 1e3:.1f} TFLOP/s)")
