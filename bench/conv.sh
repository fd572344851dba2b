#!/usr/bin/env bash
# Conv layer benchmark: oneDNN through Panflow's FFM backend (plain NCHW and blocked layouts) vs
# PyTorch CPU (Debian python3-torch, /usr/bin/python3) on U-Net-like shapes, same threads.
# The two processes alternate ROUNDS times (default 5); each reports medians over REPS calls;
# the table shows the median over rounds, GFLOP/s and oneDNN/PyTorch speed ratios.
# Usage: THREADS=2 ROUNDS=5 bench/conv.sh [n,c,h,w,k,r,s,stride,pad ...]
set -euo pipefail
# bench/build.sh: a JDK 22+, $root, and $bench_jar (bench/target/benchmarks.jar, rebuilt when stale).
. "$(dirname "${BASH_SOURCE[0]}")/build.sh"
export THREADS=${THREADS:-2} REPS=${REPS:-5}
rounds=${ROUNDS:-5}
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(
  64,32,28,28,32,3,3,1,1  256,32,28,28,32,3,3,1,1
  64,64,14,14,64,3,3,1,1  256,64,14,14,64,3,3,1,1
  64,1,28,28,32,3,3,1,1   64,32,28,28,64,3,3,2,1 )
cd "$root"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 1; i <= rounds; i++)); do
  echo "round $i/$rounds" >&2
  "$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}" -cp "$bench_jar" \
      dev.panflow.onednn.ConvBench "${shapes[@]}" 2>/dev/null >>"$out"
  /usr/bin/python3 bench/conv_torch.py "${shapes[@]}" >>"$out"
done
/usr/bin/python3 - "$out" <<'PY'
import statistics, sys, collections
rows = collections.defaultdict(lambda: ([], [], None))
fwd, step, impl = collections.defaultdict(list), collections.defaultdict(list), {}
for line in open(sys.argv[1]):
    b, shape, f, s, im = line.split()
    fwd[b, shape].append(float(f)); step[b, shape].append(float(s)); impl[b, shape] = im
backends = sorted({b for b, _ in fwd}, key=lambda b: (b == "torch", b))
shapes = list(dict.fromkeys(s for _, s in fwd))
import os
print(f"THREADS={os.environ['THREADS']}; medians over {len(fwd[backends[0], shapes[0]])} alternating rounds; "
      "GFLOP/s = 2·N·K·OH·OW·C·R·S per forward, 3× that per step (fwd + bwd data + bwd weights)")
print(f"{'shape n,c,h,w,k,r,s,stride,pad':32} {'backend':15} {'fwd ms':>8} {'GF/s':>6} {'step ms':>8} {'GF/s':>6}  {'fwd×torch':>9} {'step×torch':>10}  impl")
for sh in shapes:
    n, c, h, w, k, r, s, st, p = map(int, sh.split(","))
    oh, ow = (h + 2 * p - r) // st + 1, (w + 2 * p - s) // st + 1
    gf = 2.0 * n * k * oh * ow * c * r * s / 1e9
    tf, ts = statistics.median(fwd["torch", sh]), statistics.median(step["torch", sh])
    for b in backends:
        mf, ms = statistics.median(fwd[b, sh]), statistics.median(step[b, sh])
        print(f"{sh:32} {b:15} {mf:8.2f} {gf / mf * 1e3:6.1f} {ms:8.2f} {3 * gf / ms * 1e3:6.1f}  "
              f"{tf / mf:8.2f}× {ts / ms:9.2f}×  {impl[b, sh]}")
PY
