#!/usr/bin/python3
"""Conv2d forward / backward-data / backward-weights times of PyTorch CPU on the shapes of
Panflow's ConvBench (bench/src/main/java/dev/panflow/kernels/ConvBench.java), same threads and batch.
Prints one line per shape: RESULT index fwd_ms bwdData_ms bwdW_ms (best of the repetitions).
Usage: OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/conv_compare_torch.py THREADS BATCH"""
import sys, time
import torch

# (c, h, w, k, r, stride, pad): keep in the order of ConvBench.SHAPES
SHAPES = [(32, 28, 28, 32, 3, 1, 1), (32, 28, 28, 32, 3, 2, 1), (64, 14, 14, 64, 3, 1, 1),
          (64, 7, 7, 64, 3, 1, 1), (1, 28, 28, 32, 3, 1, 1), (32, 28, 28, 1, 3, 1, 1)]

def best(fn, reps=8):
    fn()
    t = 1e9
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); t = min(t, time.perf_counter() - t0)
    return t * 1e3

def main():
    threads, batch = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with torch.no_grad():
        for i, (c, h, w, k, r, st, pad) in enumerate(SHAPES):
            x = torch.randn(batch, c, h, w); wt = torch.randn(k, c, r, r); b = torch.randn(k)
            y = torch.nn.functional.conv2d(x, wt, b, st, pad)
            dy = torch.randn_like(y)
            f = best(lambda: torch.nn.functional.conv2d(x, wt, b, st, pad))
            bd = best(lambda: torch.nn.grad.conv2d_input(x.shape, wt, dy, st, pad))
            bw = best(lambda: (torch.nn.grad.conv2d_weight(x, wt.shape, dy, st, pad), dy.sum((0, 2, 3))))
            print(f"RESULT {i} {f:.3f} {bd:.3f} {bw:.3f}  # torch {torch.__version__} n={batch} c={c} {h}x{w} k={k} {r}x{r} stride {st} pad {pad}", flush=True)

if __name__ == "__main__":
    main()
