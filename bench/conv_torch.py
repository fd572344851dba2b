"""PyTorch CPU peer for bench/conv.sh: conv2d forward (with bias) and a training step
(forward + backward to x, w, b) on the shapes given as n,c,h,w,k,r,s,stride,pad.
Prints `torch SHAPE FWD_MS STEP_MS IMPL` per shape, medians over REPS after two warm-ups.
Threads: env THREADS (default 2), set before torch is imported; OMP_WAIT_POLICY=PASSIVE unless set
(two OpenMP pools spinning on two cores slow each other down)."""
import os
import statistics
import sys
import time

THREADS = int(os.environ.get("THREADS", "2"))
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
REPS = int(os.environ.get("REPS", "5"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(THREADS)
torch.manual_seed(1)


def bench(n, c, h, w, k, r, s, stride, pad):
    x = torch.randn(n, c, h, w, requires_grad=True)
    wt = torch.randn(k, c, r, s, requires_grad=True)
    b = torch.randn(k, requires_grad=True)
    with torch.no_grad():
        dy = torch.randn_like(F.conv2d(x, wt, b, stride, pad))
    fwd, step = [], []
    for rep in range(-2, REPS):
        x.grad = wt.grad = b.grad = None
        t0 = time.perf_counter()
        y = F.conv2d(x, wt, b, stride, pad)
        t1 = time.perf_counter()
        y.backward(dy)
        t2 = time.perf_counter()
        if rep >= 0:
            fwd.append((t1 - t0) * 1e3)
            step.append((t2 - t0) * 1e3)
    return statistics.median(fwd), statistics.median(step)


impl = "mkldnn" if torch.backends.mkldnn.is_available() else "native"
for arg in sys.argv[1:]:
    f, st = bench(*map(int, arg.split(",")))
    print(f"torch {arg} {f:.3f} {st:.3f} {impl}-{torch.__version__}", flush=True)
