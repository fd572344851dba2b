#!/usr/bin/env bash
# Data-parallel scaling on this machine: the same CFM training (same global batch) as
#   1 process × T threads, 1 process × 1 thread, and R MPI ranks × 1 thread (mpirun),
# for the MLP of the performance issue and the U-Net on Fashion-MNIST. Each run prints rank 0's
# steps/s and the all-reduce time per step (waiting for the slower rank included), measured
# after the first fifth of its steps; the table gives medians over ROUNDS alternating rounds.
#
# Usage: bench/mpi_scaling.sh [ROUNDS=3]
#   env: RANKS=2 THREADS=2 MLP_STEPS=150 SMALL_STEPS=3000 UNET_STEPS=30 UNET_BACKEND=onednn
#        CONFIGS="mlp512 mlp128 unet"
# Needs: apt-get install openmpi-bin libopenmpi-dev (and libdnnl2 dataset-fashion-mnist for the U-Net)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/jdk.sh"
ROUNDS=${1:-3}; RANKS=${RANKS:-2}; T=${THREADS:-2}
command -v mpirun >/dev/null || { echo "needs Open MPI: apt-get install openmpi-bin libopenmpi-dev" >&2; exit 1; }
jar="$root/target/panflow.jar"
if [ ! -f "$jar" ] || [ -n "$(find "$root/src/core/src/main" "$root/src/cli/src/main" "$root/native-bindings/src/main" -newer "$jar" -print -quit)" ]; then
  (cd "$root" && mvn -B -q -o -DskipTests package -pl src/cli -am 2>&1 | grep -v -e 'sun.misc.Unsafe' -e '^WARNING: ' >&2 || true)
fi
java=("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}" -jar "$jar")
mpi=(mpirun --oversubscribe --bind-to none); [ "$(id -u)" = 0 ] && mpi+=(--allow-run-as-root)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
common=(--samples 0 --checkpoint-every 0 --seed 1)
declare -A args=(
  [mlp512]="--data checkerboard --time-embedding concat --hidden 512 --layers 3 --batch 4096 --steps ${MLP_STEPS:-150}"
  [mlp128]="--data checkerboard --time-embedding concat --hidden 128 --layers 3 --batch 256 --steps ${SMALL_STEPS:-3000}"
  [unet]="--data fashion-mnist --model unet --channels 32,64,64 --batch 64 --steps ${UNET_STEPS:-30} --backend ${UNET_BACKEND:-onednn}"
)
layouts=("1x$T" "1x1" "${RANKS}x1")
echo "# $(date -u '+%F %T') UTC, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(mpirun --version | head -1)"
for c in ${CONFIGS:-mlp512 mlp128 unet}; do
  for ((r = 0; r < ROUNDS; r++)); do
    for l in "${layouts[@]}"; do
      np=${l%x*}; th=${l#*x}
      # shellcheck disable=SC2086
      "${mpi[@]}" -np "$np" "${java[@]}" train ${args[$c]} "${common[@]}" --threads "$th" --distributed \
          --out "$tmp/$c-$l" > "$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
      line=$(grep '^distributed: .* steps/s' "$tmp/log")
      echo "$c $l $line" | tee -a "$tmp/all" | sed 's/^/  /'
    done
  done
done
echo
python3 - "$tmp/all" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    c, l = line.split()[:2]
    sps = float(re.search(r'([\d.]+) steps/s', line).group(1))
    comm = float(re.search(r'= ([\d.]+) % of a step', line).group(1))
    mb = float(re.search(r'([\d.]+) MB of gradients', line).group(1))
    rows.setdefault(c, {}).setdefault(l, []).append((sps, comm, mb))
print("| config | layout | steps/s (median) | all-reduce share | gradient MB/step | vs 1 process, all threads |")
print("|---|---|---:|---:|---:|---:|")
for c, ls in rows.items():
    base = statistics.median(s for s, _, _ in next(iter(ls.values())))
    for l, v in ls.items():
        s = statistics.median(x[0] for x in v); cm = statistics.median(x[1] for x in v)
        print(f"| {c} | {l.replace('x', ' proc × ')} thr | {s:.2f} | {cm:.1f} % | {v[0][2]:.2f} | {s / base:.2f}× |")
PY
