#!/usr/bin/env bash
# Sampling settings for one trained image model, each scored by `panflow eval fid` on the cached
# feature network: which solver, steps, time schedule and guidance buy the lowest FID per NFE.
# Every setting draws the same N images (labels i mod 10, sample seeds SEEDS) from the same weights.
#
# Usage: bench/unet_solvers.sh MODEL.safetensors 'SAMPLE FLAGS' ['SAMPLE FLAGS' ...]
#   e.g. bench/unet_solvers.sh runs/recipe/default/model.safetensors '--solver euler --steps 20' \
#          '--solver midpoint --steps 10' '--solver heun --steps 10 --time-schedule logit'
#   env: N=1000 SEEDS="0" THREADS=2 BACKEND=onednn OUT=runs/solvers JAR=target/panflow.jar
#        FEATURES=bench/cache/fashion-mnist-features.safetensors (trained once when missing)
# Prints a table: flags, NFE, sampling seconds, images/s, seed, FID, KID.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/jdk.sh"
N=${N:-1000}; SEEDS=${SEEDS:-0}; THREADS=${THREADS:-2}; BACKEND=${BACKEND:-onednn}
OUT=${OUT:-$root/runs/solvers}; JAR=${JAR:-$root/target/panflow.jar}
FEATURES=${FEATURES:-$root/bench/cache/fashion-mnist-features.safetensors}
(($# >= 2)) || { sed -n '2,10p' "$0" >&2; exit 2; }
model=$1; shift
[ -f "$model" ] || { echo "no model file $model" >&2; exit 2; }
[ -f "$JAR" ] || { echo "no $JAR: mvn -B -DskipTests package -pl src/cli -am" >&2; exit 3; }
pf=("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}" -jar "$JAR")
. "$root/bench/image_features.sh"   # ensure_features: trains $FEATURES once
mkdir -p "$OUT"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# model $model (sha256 $(sha256sum "$model" | cut -c1-12)); $N images per setting, $THREADS thread(s), backend $BACKEND"
ensure_features
printf '%-52s %5s %8s %8s %5s %8s %9s\n' flags NFE seconds "img/s" seed FID KID
i=0
for flags in "$@"; do
  i=$((i + 1))
  for s in $SEEDS; do
    out=$OUT/setting$i-seed$s.npy
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086  # flags are words on purpose
    log=$("${pf[@]}" sample --model "$model" --n "$N" --seed "$s" --threads "$THREADS" --backend "$BACKEND" \
      --out "$out" --no-png --quiet $flags 2>&1 | grep -v '^WARNING: Using incubator') || { echo "$flags: sample failed: $log" >&2; continue; }
    t1=$(date +%s.%N)
    # images print "(euler, 20 NFE, ...)", points "NFE 20": take either order
    nfe=$(grep -oE 'NFE [0-9]+|[0-9]+ NFE' <<< "$log" | head -1 | grep -oE '[0-9]+' || true)
    fid=$("${pf[@]}" eval fid --samples "$out" --features "$FEATURES" --threads "$THREADS" --backend "$BACKEND" 2>&1 \
      | grep -v '^WARNING: Using incubator')
    awk -v f="$flags" -v nfe="${nfe:-?}" -v sec="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" -v n="$N" -v s="$s" '
      /^FID / {fid = $2}
      $1 == "KID" && $2 != "std" {kid = $2}
      END {printf "%-52s %5s %8.1f %8.1f %5s %8s %9s\n", f, nfe, sec, n / sec, s, fid, kid}' <<< "$fid"
  done
done
