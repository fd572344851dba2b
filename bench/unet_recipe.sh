#!/usr/bin/env bash
# Named variants of the `panflow train --data fashion-mnist --model unet --conditional` recipe,
# each trained for the same wall-clock budget, two at a time (one thread each, so both see the
# same background load), then sampled (N images, SOLVER STEPS) and scored by `panflow eval fid`
# on one cached feature network. Prints a table: variant, flags, steps, FID, KID.
#
# Usage: bench/unet_recipe.sh NAME='FLAGS' [NAME='FLAGS' ...]     (pairs in the order given)
#   e.g. bench/unet_recipe.sh default= lr2e-3='--lr 2e-3'
#   env: BUDGET=15m THREADS=1 N=1000 SOLVER=euler STEPS=20 BACKEND=onednn (the fastest image
#        backend; libdnnl2) OUT=runs/recipe JAR=target/panflow.jar (freeze a copy while you edit)
#        SEEDS="0" (sample seeds scored per variant; two show the FID noise)
#        FEATURES=bench/cache/fashion-mnist-features.safetensors (trained once when missing)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/jdk.sh"
BUDGET=${BUDGET:-15m}; THREADS=${THREADS:-1}; N=${N:-1000}; SOLVER=${SOLVER:-euler}; STEPS=${STEPS:-20}
BACKEND=${BACKEND:-onednn}; OUT=${OUT:-$root/runs/recipe}; JAR=${JAR:-$root/target/panflow.jar}
SEEDS=${SEEDS:-0}; FEATURES=${FEATURES:-$root/bench/cache/fashion-mnist-features.safetensors}
(($# > 0)) || { sed -n '2,13p' "$0" >&2; exit 2; }
[ -f "$JAR" ] || { echo "no $JAR: mvn -B -DskipTests package -pl src/cli -am" >&2; exit 3; }
pf=("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}" -jar "$JAR")
. "$root/bench/image_features.sh"   # ensure_features: trains $FEATURES once

# One variant: train for the budget, sample each seed, score each sample file.
run_variant() {
  local name=$1 flags=$2 dir=$OUT/$1
  mkdir -p "$dir"
  {
    echo "# variant $name: flags '$flags'; start $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    # shellcheck disable=SC2086  # flags are words on purpose
    "${pf[@]}" train --data fashion-mnist --model unet --conditional --time-budget "$BUDGET" --threads "$THREADS" \
      --backend "$BACKEND" --samples 0 --out "$dir" --log-every 60 $flags 2>&1 | grep -v '^WARNING: Using incubator'
    for s in $SEEDS; do
      "${pf[@]}" sample --model "$dir/model.safetensors" --n "$N" --solver "$SOLVER" --steps "$STEPS" --seed "$s" \
        --threads "$THREADS" --backend "$BACKEND" --out "$dir/samples-seed$s.npy" --no-png --quiet 2>&1 | grep -v '^WARNING: Using incubator'
      echo "# scored: seed $s"
      "${pf[@]}" eval fid --samples "$dir/samples-seed$s.npy" --features "$FEATURES" --threads "$THREADS" --backend "$BACKEND" 2>&1 \
        | grep -v '^WARNING: Using incubator'
    done
    echo "# end $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
  } > "$dir/log.txt" 2>&1
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# budget $BUDGET per variant, $THREADS thread(s) each, two variants at a time; backend $BACKEND; $N samples $SOLVER-$STEPS; jar $JAR"
ensure_features
names=(); flagsOf=()
for a in "$@"; do names+=("${a%%=*}"); flagsOf+=("${a#*=}"); done
for ((i = 0; i < ${#names[@]}; i += 2)); do
  run_variant "${names[i]}" "${flagsOf[i]}" &
  p1=$!; p2=
  if ((i + 1 < ${#names[@]})); then run_variant "${names[i+1]}" "${flagsOf[i+1]}" & p2=$!; fi
  wait "$p1"; [ -n "$p2" ] && wait "$p2"
  echo "# pair done $(date -u +%T): ${names[i]}${p2:+ ${names[i+1]}}"
done

printf '%-14s %-34s %7s %8s %8s %10s %10s\n' variant flags steps "img/s" seed FID KID
for ((i = 0; i < ${#names[@]}; i++)); do
  log=$OUT/${names[i]}/log.txt
  steps=$(sed -n 's/^trained \([0-9]*\) steps.*/\1/p' "$log" | tail -1)
  ips=$(grep -o '[0-9.]* images/s' "$log" | tail -1 | cut -d' ' -f1)
  awk -v n="${names[i]}" -v f="${flagsOf[i]:-(default)}" -v st="${steps:-?}" -v ips="${ips:-?}" '
    /^# scored: seed/ {seed = $4}
    /^FID / {fid = $2; floor = $3}
    $1 == "KID" && $2 != "std" {printf "%-14s %-34s %7s %8s %8s %10s %10s\n", n, f, st, ips, seed, fid, $2; seen = 1}
    END {if (!seen) printf "%-14s %-34s %7s %8s %8s %10s %10s\n", n, f, st, ips, "-", "failed", "(see log)"}' "$log"
done
grep -h '^FID ' "$OUT/${names[0]}/log.txt" | head -1 | awk '{print "# real-data floor (1000 train images vs the test set): FID " $3}'
