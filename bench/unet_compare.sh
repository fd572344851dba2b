#!/usr/bin/env bash
# One U-Net CFM training step (forward + backward + AdamW + EMA, the step of
# `panflow train --data fashion-mnist --model unet`): Panflow with its JVM conv backend, Panflow
# with its oneDNN conv backend, and the PyTorch CPU twin (bench/unet_torch.py), same shapes,
# batch and threads. The three run as separate processes, alternating for ROUNDS rounds (the
# order rotates each round); each process reports the median of STEPS timed steps after WARMUP
# untimed ones, and the table shows the median over rounds and the speed ratios.
#
# Usage: bench/unet_compare.sh [THREADS=2] [BATCH=64] [ROUNDS=3]
#   env: STEPS=8 WARMUP=4 (per process), CONDITIONAL=1 (class-conditional U-Net),
#        CHANNELS=32,64,64, PROFILE=1 (one extra profiled torch run for its op breakdown),
#        PER_LAYER=1 (one extra Panflow run printing convolution time per shape, both backends)
# Needs: apt-get install libdnnl2 python3-torch python3-numpy dataset-fashion-mnist
set -euo pipefail
# bench/build.sh: a JDK 22+, $root, and $bench_jar (bench/target/benchmarks.jar, rebuilt when stale).
. "$(dirname "${BASH_SOURCE[0]}")/build.sh"
T=${1:-2}; B=${2:-64}; R=${3:-3}
STEPS=${STEPS:-8}; WARMUP=${WARMUP:-4}; CH=${CHANNELS:-32,64,64}
cond=(); [[ "${CONDITIONAL:-0}" == 1 ]] && cond=(--conditional)
py=/usr/bin/python3
"$py" -c 'import torch, numpy' 2>/dev/null || { echo "needs PyTorch: apt-get install python3-torch python3-numpy" >&2; exit 1; }

bench=("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}"
       -cp "$bench_jar" dev.panflow.nn.UNetBench)
java=("${bench[@]}" "$B" "$T" "$CH" ${cond[@]+"${cond[@]}"})
export THREADS=$T OMP_WAIT_POLICY=PASSIVE
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Same network on both sides: every parameter name and size, the total, and the same output and
# gradients for the same weights and inputs (Panflow after 3 training steps of batch 8).
"${java[@]}" --list-params 2>/dev/null > "$tmp/params.txt"
"${bench[@]}" 8 "$T" "$CH" ${cond[@]+"${cond[@]}"} --dump "$tmp/dump" >/dev/null 2>&1 || { echo "UNetBench --dump failed" >&2; exit 1; }
"$py" "$root/bench/unet_torch.py" --channels "$CH" ${cond[@]+"${cond[@]}"} --params-from "$tmp/params.txt" --check "$tmp/dump" --check-only

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# threads $T, batch $B, channels $CH${cond[@]+ conditional}, $R rounds × ($WARMUP warm-up + $STEPS timed steps) per process"
contenders=(jvm onednn torch)
for ((r = 0; r < R; r++)); do
  for ((i = 0; i < 3; i++)); do
    c=${contenders[$(((r + i) % 3))]}
    if [[ $c == torch ]]; then
      out=$("$py" "$root/bench/unet_torch.py" --batch "$B" --channels "$CH" ${cond[@]+"${cond[@]}"} --steps "$STEPS" --warmup "$WARMUP")
    else
      out=$("${java[@]}" --backend "$c" --steps "$STEPS" --warmup "$WARMUP" 2>/dev/null)
    fi
    line=$(grep '^RESULT' <<<"$out")
    echo "round $((r + 1)) $line   (load $(cut -d' ' -f1 /proc/loadavg))"
    echo "$line" >> "$tmp/results"
  done
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

"$py" - "$tmp/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    p = line.split()
    v = [float(x) for x in p[4:6] + p[7:11]]  # median, conv, fwd, bwd-data, bwd-weights, min
    rows.setdefault(p[1], []).append(v)
med = {k: [statistics.median(col) for col in zip(*v)] for k, v in rows.items()}
best = {k: min(r[5] for r in v) for k, v in rows.items()}
j, o, t = med["jvm"][0], med["onednn"][0], med["torch"][0]
print()
print("| contender | ms/step (median of rounds) | best step ms | conv ms | conv fwd / bwd-data / bwd-weights ms | other ms | per round (ms) |")
print("|---|---:|---:|---:|---|---:|---|")
for k, name in (("jvm", "Panflow, --backend jvm"), ("onednn", "Panflow, --backend onednn"), ("torch", "PyTorch CPU")):
    m = med[k]
    each = ", ".join(f"{v[0]:.0f}" for v in rows[k])
    if k == "torch":
        print(f"| {name} | {m[0]:.1f} | {best[k]:.1f} | | | | {each} |")
    else:
        print(f"| {name} | {m[0]:.1f} | {best[k]:.1f} | {m[1]:.1f} ({100 * m[1] / m[0]:.0f} %) | {m[2]:.0f} / {m[3]:.0f} / {m[4]:.0f} | {m[0] - m[1]:.1f} | {each} |")
print()
print(f"onednn / torch speed: {t / o:.2f}×  (target ≥ 1.0: {'met' if t / o >= 1.0 else 'missed'})")
print(f"jvm / onednn speed:   {o / j:.2f}×  (target ≥ 0.5, within 2×: {'met' if o / j >= 0.5 else 'missed'})")
print(f"jvm / torch speed:    {t / j:.2f}×")
bj, bo, bt = best["jvm"], best["onednn"], best["torch"]
print(f"best steps (least disturbed): onednn / torch {bt / bo:.2f}×, jvm / onednn {bo / bj:.2f}×")
PY

if [[ "${PER_LAYER:-0}" == 1 ]]; then
  echo; echo "# Panflow convolution time by shape (one extra process, jvm and onednn alternating step by step)"
  "${java[@]}" --backend both --per-layer --steps "$STEPS" --warmup "$WARMUP" 2>/dev/null | grep -v -e '^RESULT' -e '^jvm  ' -e '^onednn '
fi
if [[ "${PROFILE:-0}" == 1 ]]; then
  echo; echo "# PyTorch op breakdown (autograd profiler, one extra run)"
  "$py" "$root/bench/unet_torch.py" --batch "$B" --channels "$CH" ${cond[@]+"${cond[@]}"} --steps "$STEPS" --warmup "$WARMUP" --profile | grep -v '^RESULT'
fi
