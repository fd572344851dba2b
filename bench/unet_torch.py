"""PyTorch CPU twin of Panflow's U-Net CFM training step, for bench/unet_compare.sh.

The network is `dev.panflow.nn.UNet` layer for layer (channels per resolution, GroupNorm groups,
sinusoidal time features -> Linear -> SiLU -> Linear (+ class embedding) -> SiLU, residual blocks
with a per-channel time projection, stride-2 conv down, nearest 2x up, added skips, conv2 and
conv_out starting at zero; with --attention HEADS the self-attention block after the mid block, its
output projection starting at zero), with parameters named like Panflow's (without the "net." prefix),
so `--params-from FILE` (the output of `UNetBench --list-params`) checks every name and size.

One step is what `CfmTrainer.trainStep` does for `panflow train --data fashion-mnist --model
unet`: draw a batch of Fashion-MNIST images (p/127.5 - 1) and labels (label dropout 0.1 to the
null class when conditional), x0 ~ N(0, I), t = sigmoid(z) with z ~ N(0, 1), the OT path
x_t = (1 - (1 - s_min) t) x0 + t x1 with target u = x1 - (1 - s_min) x0 (s_min = 1e-4), loss =
sum of squares / batch, backward, global gradient norm (Panflow checks it is finite), AdamW
(lr 1e-3 after a 100-step linear warm-up, betas 0.9/0.999, eps 1e-8, no weight decay) and an EMA
of the weights (decay min(0.999, (1 + k)/(10 + k))).

Threads: env THREADS (default 2) sets torch.set_num_threads and, before torch is imported,
OMP/OPENBLAS/MKL_NUM_THREADS; OMP_WAIT_POLICY defaults to PASSIVE (as bench/peer_torch_cfm.py
does: spinning OpenMP workers and OpenBLAS threads fight over two cores otherwise).

Usage: THREADS=2 /usr/bin/python3 bench/unet_torch.py [--batch 64] [--steps 10] [--warmup 5]
       [--conditional] [--channels 24,48,48] [--groups 8] [--attention [HEADS]] [--params-from FILE] [--check DIR] [--check-only]
       [--profile]
--check DIR loads the weights of `UNetBench --dump DIR`, runs its inputs forward and backward and
compares the output and every gradient with Panflow's (relative error ≤ 1e-3, else it exits 1).
Last line: RESULT torch THREADS BATCH MEDIAN_MS CONV_MS PARAMS nan nan nan MIN_MS (CONV_MS from --profile, else
nan; the columns of UNetBench's RESULT line).

Train-for-a-budget mode (bench/image_quality.sh): --budget 15m [--lr 2e-3 --lr-warmup 300 --lr-schedule cosine
--ema 0.999 --label-dropout 0.1 --dropout 0 --time-sampling logit-normal --time-location 0] --sample N --sample-out FILE.npy
[--solver-steps 20 --sample-seed 0] trains with the recipe of `panflow train --data fashion-mnist --model unet
--time-budget B` (the schedule of dev.panflow.train.TimeBudget: step estimates at 5, 25, 50, 75 and 90 % of the
budget, the cosine decay re-laid over each from where it is, the stop at the budget), then draws N images with
the EMA weights by Euler steps on a uniform grid from t = 0 (noise) to 1 (labels i mod 10 when conditional, no
guidance) into FILE.npy as rows of 1*28*28 float32, the layout `panflow eval fid --samples` reads. Lines:
RESULT-TRAIN steps seconds images_per_s final_loss, RESULT-SAMPLE n nfe seconds images_per_s.
"""
import argparse
import gzip
import math
import os
import statistics
import sys
import time

THREADS = int(os.environ.get("THREADS", "2"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402  (after the thread variables on purpose)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)

SIGMA_MIN = 1e-4
DATA_DIR = os.environ.get("PANFLOW_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


class ResBlock(nn.Module):
    """h1 = conv1(SiLU(GN1(x))) + temb(e)[:, :, None, None]; out = conv2(Dropout(SiLU(GN2(h1)))) + skip(x).

    Dropout (probability `dropout`, inverted scaling, active in train() mode only) sits where Panflow's
    `train --dropout` puts it; p = 0 is the identity."""

    def __init__(self, cin, cout, tdim, groups, dropout=0.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, cin), cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.temb = nn.Linear(tdim, cout)
        self.norm2 = nn.GroupNorm(min(groups, cout), cout, eps=1e-5)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, 1, 0) if cin != cout else None
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x))) + self.temb(e)[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return h + (x if self.skip is None else self.skip(x))


class SelfAttention(nn.Module):
    """dev.panflow.nn.SelfAttention2d: a = GN(x); q, k, v = qkv(a) (heads of d = C/heads channels each);
    P = softmax(q^T k / sqrt(d)) over the T = h*w positions; out = x + proj(v P^T), proj starting at zero."""

    def __init__(self, c, heads, groups):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(min(groups, c), c, eps=1e-5)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.proj = nn.Conv2d(c, c, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        n, c, h, w = x.shape
        d = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(n, 3, self.heads, d, h * w)
        q, k, v = qkv[:, 0], qkv[:, 1], qkv[:, 2]  # n, heads, d, T
        p = torch.softmax(torch.einsum("nhci,nhcj->nhij", q, k) / math.sqrt(d), dim=-1)
        o = torch.einsum("nhij,nhcj->nhci", p, v).reshape(n, c, h, w)
        return x + self.proj(o)


class UNet(nn.Module):
    def __init__(self, image_channels=1, channels=(32, 64, 64), groups=8, frequencies=16, classes=0, dropout=0.0, attention=0):
        super().__init__()
        ch = list(channels)
        self.levels = len(ch)
        tdim = 4 * ch[0]
        k = torch.arange(frequencies, dtype=torch.float64)
        self.register_buffer("omega", torch.exp(math.log(100.0) * k / max(1, frequencies - 1)).float(), persistent=False)
        self.time = nn.ModuleList([nn.Linear(2 * frequencies, tdim), nn.Linear(tdim, tdim)])
        self.class_embedding = nn.Parameter(torch.randn(classes + 1, tdim)) if classes > 0 else None
        self.conv_in = nn.Conv2d(image_channels, ch[0], 3, 1, 1)
        self.down = nn.ModuleDict()
        self.downsample = nn.ModuleDict()
        for l in range(self.levels):
            self.down[str(l)] = ResBlock(ch[0] if l == 0 else ch[l - 1], ch[l], tdim, groups, dropout)
            if l < self.levels - 1:
                self.downsample[str(l)] = nn.Conv2d(ch[l], ch[l], 3, 2, 1)
        self.mid = ResBlock(ch[-1], ch[-1], tdim, groups, dropout)
        self.mid_attention = SelfAttention(ch[-1], attention, groups) if attention else None
        self.up = nn.ModuleDict()
        for l in reversed(range(self.levels)):
            self.up[str(l)] = ResBlock(ch[l], ch[0] if l == 0 else ch[l - 1], tdim, groups, dropout)
        self.norm_out = nn.GroupNorm(min(groups, ch[0]), ch[0], eps=1e-5)
        self.conv_out = nn.Conv2d(ch[0], image_channels, 3, 1, 1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x, t, labels=None):
        a = t[:, None] * self.omega[None, :]
        feat = torch.stack([torch.sin(a), torch.cos(a)], dim=-1).flatten(1)  # [sin w0 t, cos w0 t, sin w1 t, ...]
        e = self.time[1](F.silu(self.time[0](feat)))
        if self.class_embedding is not None:
            e = e + self.class_embedding[labels]
        e = F.silu(e)
        h = self.conv_in(x)
        skips = []
        for l in range(self.levels):
            h = self.down[str(l)](h, e)
            skips.append(h)
            if l < self.levels - 1:
                h = self.downsample[str(l)](h)
        h = self.mid(h, e)
        if self.mid_attention is not None:
            h = self.mid_attention(h)
        for l in reversed(range(self.levels)):
            h = self.up[str(l)](h + skips[l], e)
            if l > 0:
                h = F.interpolate(h, scale_factor=2, mode="nearest")
        return self.conv_out(F.silu(self.norm_out(h)))


def load_fashion_mnist():
    with gzip.open(os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz")) as f:
        px = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    with gzip.open(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz")) as f:
        lab = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    images = torch.from_numpy(px.astype(np.float32) / 127.5 - 1.0).reshape(-1, 1, 28, 28)
    return images, torch.from_numpy(lab.astype(np.int64))


def check_params(model, path):
    """Every parameter of Panflow's listing (PARAM name numel shape) exists here with the same size, and no other."""
    mine = {n: p.numel() for n, p in model.named_parameters()}
    theirs = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == "PARAM":
                theirs[parts[1].removeprefix("net.")] = int(parts[2])
    bad = [f"{n}: panflow {theirs.get(n)} torch {mine.get(n)}" for n in sorted(set(mine) | set(theirs)) if mine.get(n) != theirs.get(n)]
    total_p, total_t = sum(theirs.values()), sum(mine.values())
    print(f"parameters: panflow {total_p:,} torch {total_t:,} ({len(theirs)} / {len(mine)} tensors)", flush=True)
    if bad or total_p != total_t:
        sys.exit("parameter mismatch:\n  " + "\n  ".join(bad))


def check_against(net, d):
    """Loads Panflow's parameters from UNetBench --dump D, runs the same forward and backward, and
    compares the output and every gradient (max abs difference / max abs Panflow value)."""
    params = dict(net.named_parameters())
    linear = {n + ".weight" for n, m in net.named_modules() if isinstance(m, nn.Linear)}
    with torch.no_grad():
        for n, p in params.items():
            a = np.load(os.path.join(d, "params", "net." + n + ".npy"))
            # Panflow keeps Linear weights [in x out] (y = x W + b); torch keeps [out x in].
            a = a.reshape(p.shape[1], p.shape[0]).T if n in linear else a.reshape(p.shape)
            p.copy_(torch.from_numpy(np.ascontiguousarray(a)))
    x = torch.from_numpy(np.load(os.path.join(d, "x.npy"))).reshape(-1, 1, 28, 28)
    t = torch.from_numpy(np.load(os.path.join(d, "t.npy")))
    lab = np.load(os.path.join(d, "labels.npy")).astype(np.int64)
    y = torch.from_numpy(lab) if lab[0] >= 0 else None
    v = net(x, t, y)
    dv = torch.from_numpy(np.load(os.path.join(d, "dv.npy"))).reshape(v.shape)
    net.zero_grad(set_to_none=True)
    (v * dv).sum().backward()

    def rel(ours, theirs):
        return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-30))

    worst = [("output v", rel(v.detach().numpy().ravel(), np.load(os.path.join(d, "v.npy")).ravel()))]
    for n, p in params.items():
        g = np.load(os.path.join(d, "grads", "net." + n + ".npy"))
        pg = p.grad.numpy()
        pg = pg.T.ravel() if n in linear else pg.ravel()
        worst.append(("grad " + n, rel(pg, g.ravel())))
    worst.sort(key=lambda w: -w[1])
    print("Panflow vs torch twin on the same weights and inputs (max abs diff / max abs value): "
          + ", ".join(f"{n} {e:.1e}" for n, e in worst[:4]), flush=True)
    if worst[0][1] > 1e-3:
        sys.exit(f"the twin does not compute Panflow's U-Net: {worst[0][0]} differs by {worst[0][1]:.2e}")


def conv_share(prof):
    """Self CPU time (ms) of the convolution ops in a profiler run, by group."""
    groups = {"conv": 0.0, "group_norm": 0.0, "silu": 0.0, "other (elementwise, AdamW, EMA, autograd)": 0.0}
    for ev in prof.key_averages():
        n = ev.key
        ms = ev.self_cpu_time_total / 1e3
        if "conv" in n or "mkldnn" in n:
            groups["conv"] += ms
        elif "group_norm" in n or "native_group_norm" in n:
            groups["group_norm"] += ms
        elif "silu" in n:
            groups["silu"] += ms
        else:
            groups["other (elementwise, AdamW, EMA, autograd)"] += ms
    return groups


def parse_duration(text):
    """90s, 15m, 1h30m, 2h -> seconds (the forms of panflow train --time-budget)."""
    total, num = 0.0, ""
    for ch in text.strip():
        if ch.isdigit() or ch == ".":
            num += ch
        elif ch in "hms" and num:
            total += float(num) * {"h": 3600, "m": 60, "s": 1}[ch]
            num = ""
        else:
            sys.exit(f"bad duration {text!r}: use 90s, 15m or 1h30m")
    if num:
        sys.exit(f"bad duration {text!r}: give a unit (s, m, h)")
    return total


class TimeBudget:
    """dev.panflow.train.TimeBudget: estimates of the run's steps at 5, 25, 50, 75 and 90 % of the
    budget (the first not before firstStep, each at least 20 steps after the one before, each from
    the rate since it; the first from the second half of its stretch), the stop at the budget."""
    AT = (0.05, 0.25, 0.5, 0.75, 0.9)
    MIN_STEPS = 20

    def __init__(self, began, budget, first_step):
        self.began, self.budget, self.deadline, self.first = began, budget, began + budget, first_step
        self.next, self.s1, self.t1, self.estimate, self.rate = 0, -1, 0.0, -1, float("nan")

    def after_step(self, k, now):
        if self.next >= len(self.AT):
            return False
        elapsed = now - self.began
        if self.s1 < 0:
            if elapsed >= self.budget * self.AT[0] / 2:
                self.s1, self.t1 = k, now
            return False
        if k < self.s1 + self.MIN_STEPS or k < self.first or elapsed < self.budget * self.AT[self.next]:
            return False
        self.rate = (k - self.s1) / max(now - self.t1, 1e-9)
        self.estimate = max(k, k + int(self.rate * max(0.0, self.deadline - now)))
        self.s1, self.t1 = k, now
        while self.next < len(self.AT) and elapsed >= self.budget * self.AT[self.next]:
            self.next += 1
        return True

    def over(self, now):
        return now >= self.deadline


class Schedule:
    """TrainConfig.lrAt with CfmTrainer.reschedule: linear warm-up, then a cosine from lr to lr/10
    whose horizon a new estimate moves, continuing from the progress p0 reached at step k0:
    p(k) = p0 + (1 - p0)(k - k0)/(H - k0); past the horizon the final lr."""

    def __init__(self, lr, warmup, kind):
        self.lr, self.warmup, self.kind = lr, warmup, kind
        self.horizon, self.k0, self.p0 = 0, 0, 0.0

    def progress(self, k):
        if self.k0 <= self.warmup:
            return max(0.0, min(1.0, (k - self.warmup) / max(1, self.horizon - self.warmup)))
        return max(0.0, min(1.0, self.p0 + (1 - self.p0) * (k - self.k0) / max(1, self.horizon - self.k0)))

    def reschedule(self, k, steps):
        if self.horizon > 0 and k > self.warmup:
            self.p0, self.k0 = self.progress(k), k
        self.horizon = steps

    def at(self, k):
        if self.warmup > 0 and k <= self.warmup:
            return self.lr * k / self.warmup
        if self.kind == "constant" or self.horizon <= 0:
            return self.lr  # no estimate yet: the decay has not begun (progress 0)
        return self.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * self.progress(k))))


def train_for_budget(args, net, images, labels, classes, dev, nparams):
    """Panflow's CfmTrainer step under Trainer.run's time budget, then Euler sampling of the EMA weights."""
    budget = parse_duration(args.budget)
    params = list(net.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    ema = [p.detach().clone() for p in params]
    B, N = args.batch, images.shape[0]
    sched = Schedule(args.lr, args.lr_warmup, args.lr_schedule)
    print(f"torch {torch.__version__} on {dev}, {THREADS} threads, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; "
          f"U-Net {args.channels}, groups {args.groups}, {'conditional' if classes else 'unconditional'}"
          + (f", mid attention {args.attention} heads" if args.attention else "") + f", batch {B}, "
          f"{nparams:,} parameters; budget {args.budget}, lr {args.lr:g} (warm-up {args.lr_warmup}, {args.lr_schedule}), "
          f"EMA {args.ema}, t {args.time_sampling}" + (f" m={args.time_location:g}" if args.time_sampling != "uniform" else "")
          + (f", label dropout {args.label_dropout:g}" if classes else "")
          + (f", dropout {args.dropout:g}" if args.dropout > 0 else ""), flush=True)
    net.train()  # nn.Dropout active while training; net.eval() below for sampling
    began = time.perf_counter()
    tb = TimeBudget(began, budget, max(args.lr_warmup, 20))
    k, smooth, last_log, loss_v = 0, float("nan"), began, float("nan")
    while True:
        k += 1
        idx = torch.randint(0, N, (B,), device=dev)
        x1 = images[idx]
        y = None
        if classes:
            y = labels[idx]
            y = torch.where(torch.rand(B, device=dev) < args.label_dropout, torch.full_like(y, classes), y)
        x0 = torch.randn_like(x1)
        z = torch.randn(B, device=dev)
        t = torch.rand(B, device=dev) if args.time_sampling == "uniform" else torch.sigmoid(args.time_location + z)
        tt = t[:, None, None, None]
        xt = (1 - (1 - SIGMA_MIN) * tt) * x0 + tt * x1
        u = x1 - (1 - SIGMA_MIN) * x0
        loss = (net(xt, t, y) - u).pow(2).sum() / B
        opt.zero_grad(set_to_none=True)
        loss.backward()
        loss_v = loss.item()
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params])).item()
        if not (math.isfinite(loss_v) and math.isfinite(norm)):
            sys.exit(f"step {k}: loss {loss_v}, gradient norm {norm}")
        for g in opt.param_groups:
            g["lr"] = sched.at(k)
        opt.step()
        d = min(args.ema, (1 + k) / (10 + k))
        with torch.no_grad():
            torch._foreach_mul_(ema, d)
            torch._foreach_add_(ema, params, alpha=1 - d)
        smooth = loss_v if math.isnan(smooth) else 0.98 * smooth + 0.02 * loss_v
        now = time.perf_counter()
        if tb.after_step(k, now):
            sched.reschedule(k, max(1, tb.estimate))
            print(f"time budget {args.budget}: ~{tb.estimate} steps at {tb.rate:.2f} steps/s", flush=True)
        if now - last_log >= 60:
            last_log = now
            print(f"train {k} | loss {loss_v:.4f} | lr {sched.at(k):.2e} | {k * B / (now - began):.1f} images/s", flush=True)
        if tb.over(now):
            break
    seconds = time.perf_counter() - began
    print(f"trained {k} steps in {seconds:.1f} s, final loss {loss_v:.4f} (smoothed {smooth:.4f}), "
          f"{k * B / seconds:.1f} images/s", flush=True)
    print(f"RESULT-TRAIN {k} {seconds:.1f} {k * B / seconds:.2f} {smooth:.4f}", flush=True)
    if args.sample <= 0:
        return
    with torch.no_grad():
        for p, e in zip(params, ema):
            p.copy_(e)
    net.eval()
    n, steps = args.sample, args.solver_steps
    g = torch.Generator(device="cpu").manual_seed(args.sample_seed)
    x = torch.randn(n, 1, 28, 28, generator=g).to(dev)
    y = (torch.arange(n, device=dev) % classes) if classes else None
    t0 = time.perf_counter()
    with torch.inference_mode():
        h = 1.0 / steps
        for i in range(steps):  # Euler on the uniform grid t_i = i/steps
            t = torch.full((n,), i * h, device=dev)
            x = x + h * net(x, t, y)
    sec = time.perf_counter() - t0
    out = x.reshape(n, -1).cpu().numpy().astype(np.float32)
    tmp = args.sample_out + ".part"
    with open(tmp, "wb") as f:
        np.save(f, out)
    os.replace(tmp, args.sample_out)
    print(f"sampled {n} images (euler, {steps} NFE, {sec:.2f} s, {n / sec:.1f} images/s) -> {args.sample_out}", flush=True)
    print(f"RESULT-SAMPLE {n} {steps} {sec:.3f} {n / sec:.2f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--conditional", action="store_true")
    ap.add_argument("--channels", default="24,48,48")   # panflow train --model unet's default
    ap.add_argument("--groups", type=int, default=8)
    ap.add_argument("--frequencies", type=int, default=16)
    ap.add_argument("--attention", type=int, nargs="?", const=1, default=0, metavar="HEADS",
                    help="self-attention block after the mid block with HEADS heads (alone: 1), as panflow train --attention")
    ap.add_argument("--params-from", help="UNetBench --list-params output to check names and sizes against")
    ap.add_argument("--profile", action="store_true", help="also run the autograd profiler over the timed steps (slower)")
    ap.add_argument("--check", metavar="DIR", help="compare output and gradients with UNetBench --dump DIR")
    ap.add_argument("--check-only", action="store_true", help="build the network, run the checks asked for, and exit")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (fp32, TF32 off)")
    ap.add_argument("--budget", help="train for this wall-clock time (90s, 15m, 1h30m) with Panflow's time-budget schedule")
    ap.add_argument("--lr", type=float, default=2e-3, help="peak AdamW lr (budget mode)")
    ap.add_argument("--lr-warmup", type=int, default=300, help="linear lr warm-up steps (budget mode; Panflow's --model unet default)")
    ap.add_argument("--lr-schedule", choices=("cosine", "constant"), default="cosine", help="cosine decays to lr/10")
    ap.add_argument("--ema", type=float, default=0.999, help="EMA decay, warmed up as min(d, (1 + k)/(10 + k))")
    ap.add_argument("--label-dropout", type=float, default=0.1)
    ap.add_argument("--dropout", type=float, default=0.0,
                    help="dropout in every residual block before conv2, training only (panflow train --dropout)")
    ap.add_argument("--time-sampling", choices=("logit-normal", "uniform"), default="logit-normal")
    ap.add_argument("--time-location", type=float, default=0.0, help="m of t = sigmoid(m + z)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=0, help="after a budget run: draw this many images")
    ap.add_argument("--solver-steps", type=int, default=20, help="Euler steps of --sample")
    ap.add_argument("--sample-seed", type=int, default=0)
    ap.add_argument("--sample-out", default="samples-torch.npy")
    args = ap.parse_args()
    dev = torch.device(args.device)
    if dev.type == "cuda":  # fp32 as Panflow: no TF32 in convolutions or matmuls
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(args.seed)
    images, labels = load_fashion_mnist()
    classes = 10 if args.conditional else 0
    if not 0 <= args.dropout < 1:
        sys.exit(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.check and args.dropout > 0:
        sys.exit("--check compares one deterministic pass: run it without --dropout")
    net = UNet(1, [int(c) for c in args.channels.split(",")], args.groups, args.frequencies, classes, args.dropout, args.attention)
    nparams = sum(p.numel() for p in net.parameters())
    if args.params_from:
        check_params(net, args.params_from)
    if args.check:
        check_against(net, args.check)
    if args.check_only:
        return
    net = net.to(dev)
    images, labels = images.to(dev), labels.to(dev)
    if args.budget:
        train_for_budget(args, net, images, labels, classes, dev, nparams)
        return
    params = list(net.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    ema = [p.detach().clone() for p in params]
    B, N = args.batch, images.shape[0]
    print(f"torch {torch.__version__} on {dev}, {THREADS} threads, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; "
          f"U-Net {args.channels}, groups {args.groups}, {'conditional' if classes else 'unconditional'}, "
          f"batch {B}, {nparams:,} parameters; {args.warmup} warm-up + {args.steps} timed steps", flush=True)

    def step(k):
        idx = torch.randint(0, N, (B,), device=dev)
        x1 = images[idx]
        y = None
        if classes:
            y = labels[idx]
            y = torch.where(torch.rand(B, device=dev) < 0.1, torch.full_like(y, classes), y)
        x0 = torch.randn_like(x1)
        t = torch.sigmoid(torch.randn(B, device=dev))
        tt = t[:, None, None, None]
        xt = (1 - (1 - SIGMA_MIN) * tt) * x0 + tt * x1
        u = x1 - (1 - SIGMA_MIN) * x0
        v = net(xt, t, y)
        loss = (v - u).pow(2).sum() / B
        if not math.isfinite(loss.item()):
            sys.exit(f"loss is {loss.item()} at step {k}")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in params]))
        if not math.isfinite(norm.item()):
            sys.exit(f"gradient norm is {norm.item()} at step {k}")
        for g in opt.param_groups:
            g["lr"] = 1e-3 * min(1.0, k / 100)
        opt.step()
        d = min(0.999, (1 + k) / (10 + k))
        with torch.no_grad():
            torch._foreach_mul_(ema, d)
            torch._foreach_add_(ema, params, alpha=1 - d)
        if dev.type == "cuda":
            torch.cuda.synchronize()  # the step's time includes its device work

    times = []
    prof_groups = None
    for k in range(1, args.warmup + 1):
        step(k)
    if args.profile:
        from torch.autograd import profiler
        with profiler.profile() as prof:
            for k in range(args.warmup + 1, args.warmup + args.steps + 1):
                t0 = time.perf_counter()
                step(k)
                times.append((time.perf_counter() - t0) * 1e3)
        prof_groups = {g: ms / args.steps for g, ms in conv_share(prof).items()}
        top = sorted(prof.key_averages(), key=lambda ev: -ev.self_cpu_time_total)[:12]
        print("top ops by self CPU time per step: " + ", ".join(f"{ev.key} {ev.self_cpu_time_total / 1e3 / args.steps:.1f} ms" for ev in top))
    else:
        for k in range(args.warmup + 1, args.warmup + args.steps + 1):
            t0 = time.perf_counter()
            step(k)
            times.append((time.perf_counter() - t0) * 1e3)
            print(f"torch  step {times[-1]:7.1f} ms", flush=True)
    med = statistics.median(times)
    conv = float("nan")
    if prof_groups:
        total = sum(prof_groups.values())
        print(f"profiled (self CPU time per step, profiler overhead included): total {total:.1f} ms, median wall {med:.1f} ms")
        for g, ms in prof_groups.items():
            print(f"  {g:<34} {ms:8.1f} ms  {100 * ms / total:5.1f} %")
        conv = prof_groups["conv"]
    print(f"RESULT torch {THREADS} {B} {med:.3f} {conv:.3f} {nparams} nan nan nan {min(times):.3f}", flush=True)


if __name__ == "__main__":
    main()
