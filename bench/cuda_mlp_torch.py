"""PyTorch peer of Panflow's CUDA MLP benchmark (dev.panflow.cuda.CudaBench), same GPU, same step.

One CFM training step: x1 drawn from a data pool in GPU memory, x0 ~ N(0, I), t ~ U[0, 1),
OT path x_t = (1 - (1 - s) t) x0 + t x1, target x1 - (1 - s) x0 (s = 1e-4),
net = concat(x, t) -> H -> H -> H -> D with SiLU, loss = mean_batch ||v - u||^2,
Adam lr 1e-3 (eager, PyTorch's default foreach implementation; --fused for fused=True),
EMA 0.999 of the weights. fp32 matmuls (TF32 off, PyTorch's default).
Prints steps/s (median of 5 rounds after a warm-up) and Euler-100 sampling points/s.

usage: python3 bench/cuda_mlp_torch.py DIM HIDDEN BATCH [STEPS] [POINTS] [--fused] [--compile]
"""
import statistics
import sys
import time

import torch

args = [a for a in sys.argv[1:] if not a.startswith("--")]
flags = {a for a in sys.argv[1:] if a.startswith("--")}
dim, hidden, batch = int(args[0]), int(args[1]), int(args[2])
steps = int(args[3]) if len(args) > 3 else 200
points = int(args[4]) if len(args) > 4 else 100_000
dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = False
torch.manual_seed(0)
SIGMA_MIN = 1e-4


def checkerboard(n):
    x1 = torch.rand(n, device=dev) * 4 - 2
    x2 = torch.rand(n, device=dev) - torch.randint(0, 2, (n,), device=dev).float() * 2 + torch.floor(x1) % 2
    return torch.stack([x1, x2], 1) * 2


pool = checkerboard(1 << 20) if dim == 2 else torch.rand(60000, dim, device=dev) * 2 - 1
layers = [torch.nn.Linear(dim + 1, hidden), torch.nn.SiLU(), torch.nn.Linear(hidden, hidden), torch.nn.SiLU(),
          torch.nn.Linear(hidden, hidden), torch.nn.SiLU(), torch.nn.Linear(hidden, dim)]
net = torch.nn.Sequential(*layers).to(dev)
params = list(net.parameters())
ema = [p.detach().clone() for p in params]
opt = torch.optim.Adam(params, lr=1e-3, fused="--fused" in flags)
loss_sum = torch.zeros((), device=dev)


def step():
    global loss_sum
    x1 = pool[torch.randint(0, pool.shape[0], (batch,), device=dev)]
    x0 = torch.randn(batch, dim, device=dev)
    t = torch.rand(batch, 1, device=dev)
    xt = (1 - (1 - SIGMA_MIN) * t) * x0 + t * x1
    ut = x1 - (1 - SIGMA_MIN) * x0
    v = net(torch.cat([xt, t], 1))
    loss = ((v - ut) ** 2).sum(1).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    with torch.no_grad():
        torch._foreach_lerp_(ema, params, 1 - 0.999)
    loss_sum = loss_sum + loss.detach()  # no .item(): no host sync per step


if "--compile" in flags:
    step = torch.compile(step)

for _ in range(30):
    step()
torch.cuda.synchronize()
rates = []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    rates.append(steps / (time.perf_counter() - t0))
name = "torch" + (" fused" if "--fused" in flags else "") + (" compiled" if "--compile" in flags else "")
print(f"{name:6s} dim {dim:4d} hidden {hidden:5d} batch {batch:5d}: {statistics.median(rates):8.1f} steps/s "
      f"(median of 5x{steps}; min {min(rates):.1f} max {max(rates):.1f}), {torch.cuda.get_device_name()}")


@torch.no_grad()
def sample(n, k):
    x = torch.randn(n, dim, device=dev)
    h = 1.0 / k
    for i in range(k):
        tt = torch.full((n, 1), i * h, device=dev)
        x = x + h * net(torch.cat([x, tt], 1))
    return x


sample(min(points, 4096), 5)
torch.cuda.synchronize()
t0 = time.perf_counter()
sample(points, 100)
torch.cuda.synchronize()
s = time.perf_counter() - t0
print(f"{name:6s} dim {dim:4d} hidden {hidden:5d}: sampling {points:,} points, Euler 100 NFE: {s:.3f} s, {points / s:,.0f} points/s")
