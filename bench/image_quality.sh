#!/usr/bin/env bash
# Image quality per CPU-time, Panflow beside its PyTorch twin (bench/unet_torch.py --budget): both
# train the class-conditional Fashion-MNIST U-Net with the same recipe for the same wall-clock
# budget, draw N images with the same solver (Euler, STEPS steps, labels i mod 10, no guidance),
# timed, and both sample files are scored by Panflow's `eval fid` on one feature network
# (trained once, cached in the git-ignored bench/cache/). Prints steps done, training images/s,
# sampling images/s and the ratio, FID and KID of each side, and the real-data floor.
#
# Usage: bench/image_quality.sh
#   env: BUDGET=15m THREADS=1 N=1000 SOLVER=euler STEPS=20 MODE=parallel|sequential
#        BACKEND=onednn (Panflow's fastest image backend here; jvm also works) RECIPE='' (extra
#        `panflow train` flags, mirrored on the torch side: --lr --warmup --ema --batch --channels
#        --groups --label-dropout --dropout --time-sampling --time-location --lr-schedule --attention [HEADS])
#        SEED=0 (training seed of both sides; sampling seeds stay 0) OUT=runs/image-quality JAR=target/panflow.jar FEATURES=bench/cache/fashion-mnist-features.safetensors
# MODE=parallel runs the two sides at the same time, THREADS each (THREADS=1 on 2 cores): both see
# the same background load. MODE=sequential runs Panflow, then PyTorch.
# Needs: apt-get install libdnnl2 python3-torch python3-numpy dataset-fashion-mnist
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/jdk.sh"
BUDGET=${BUDGET:-15m}; THREADS=${THREADS:-1}; N=${N:-1000}; SOLVER=${SOLVER:-euler}; STEPS=${STEPS:-20}
MODE=${MODE:-parallel}; BACKEND=${BACKEND:-onednn}; RECIPE=${RECIPE:-}; SEED=${SEED:-0}
OUT=${OUT:-$root/runs/image-quality}; JAR=${JAR:-$root/target/panflow.jar}
FEATURES=${FEATURES:-$root/bench/cache/fashion-mnist-features.safetensors}
py=/usr/bin/python3
[[ "$SOLVER" == euler ]] || { echo "SOLVER=$SOLVER: the PyTorch side samples with euler only" >&2; exit 2; }
[[ "$SEED" =~ ^[0-9]+$ ]] || { echo "SEED is a non-negative integer, not '$SEED'" >&2; exit 2; }
[[ "$MODE" == parallel || "$MODE" == sequential ]] || { echo "MODE is parallel or sequential, not '$MODE'" >&2; exit 2; }
[ -f "$JAR" ] || { echo "no $JAR: mvn -B -DskipTests package -pl src/cli -am" >&2; exit 3; }
"$py" -c 'import torch, numpy' 2>/dev/null || { echo "needs PyTorch: apt-get install python3-torch python3-numpy" >&2; exit 3; }
pf=("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}" -jar "$JAR")
. "$root/bench/image_features.sh"

# The recipe's flags on the torch side (same names but --warmup, which is --lr-warmup there).
read -r -a recipe <<< "$RECIPE"
torch_recipe=()
for ((i = 0; i < ${#recipe[@]}; i++)); do
  f=${recipe[i]}; v=${recipe[i+1]:-}
  case "$f" in
    --lr|--ema|--batch|--channels|--groups|--label-dropout|--dropout|--time-sampling|--time-location|--lr-schedule) torch_recipe+=("$f" "$v"); i=$((i + 1)) ;;
    --warmup) torch_recipe+=(--lr-warmup "$v"); i=$((i + 1)) ;;
    --attention) # an optional HEADS, as train --attention[=HEADS]
      if [[ "$v" =~ ^[0-9]+$ ]]; then torch_recipe+=("$f" "$v"); i=$((i + 1)); else torch_recipe+=("$f"); fi ;;
    --attention=*) torch_recipe+=(--attention "${f#--attention=}") ;;
    *) echo "RECIPE flag $f has no PyTorch twin here" >&2; exit 2 ;;
  esac
done
# --model unet trains with one mid attention head unless told otherwise; unet_torch.py's default is none.
[[ " $RECIPE " == *" --attention"* ]] || torch_recipe+=(--attention 1)

mkdir -p "$OUT/panflow" "$OUT/torch"
panflow_side() {
  {
    echo "# panflow start $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    "${pf[@]}" train --data fashion-mnist --model unet --conditional --time-budget "$BUDGET" --threads "$THREADS" \
      --backend "$BACKEND" --seed "$SEED" --samples 0 --out "$OUT/panflow" --log-every 60 ${recipe[@]+"${recipe[@]}"} 2>&1 | grep --line-buffered -v '^WARNING: Using incubator'
    "${pf[@]}" sample --model "$OUT/panflow/model.safetensors" --n "$N" --solver "$SOLVER" --steps "$STEPS" --threads "$THREADS" \
      --backend "$BACKEND" --out "$OUT/panflow/samples.npy" --no-png --quiet 2>&1 | grep --line-buffered -v '^WARNING: Using incubator'
    echo "# panflow end $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
  } > "$OUT/panflow/log.txt" 2>&1
}
torch_side() {
  {
    echo "# torch start $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
    THREADS=$THREADS "$py" "$root/bench/unet_torch.py" --conditional --budget "$BUDGET" --seed "$SEED" ${torch_recipe[@]+"${torch_recipe[@]}"} \
      --sample "$N" --solver-steps "$STEPS" --sample-out "$OUT/torch/samples.npy"
    echo "# torch end $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
  } > "$OUT/torch/log.txt" 2>&1
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# budget $BUDGET each, $THREADS thread(s) each, $MODE; Panflow backend $BACKEND; recipe: defaults${RECIPE:+ + $RECIPE}; training seed $SEED; $N images $SOLVER-$STEPS; jar $JAR"
ensure_features
if [[ "$MODE" == parallel ]]; then
  panflow_side & p=$!; torch_side & t=$!
  wait "$p" || echo "# the Panflow side failed: $OUT/panflow/log.txt"
  wait "$t" || echo "# the PyTorch side failed: $OUT/torch/log.txt"
else
  panflow_side || echo "# the Panflow side failed: $OUT/panflow/log.txt"
  torch_side || echo "# the PyTorch side failed: $OUT/torch/log.txt"
fi
echo "# both sides done $(date -u +%T), load $(cut -d' ' -f1-3 /proc/loadavg)"
for side in panflow torch; do
  [ -f "$OUT/$side/samples.npy" ] && "${pf[@]}" eval fid --samples "$OUT/$side/samples.npy" --features "$FEATURES" \
    --backend "$BACKEND" 2>&1 | grep -v '^WARNING: Using incubator' > "$OUT/$side/fid.txt" || true
done

pl=$OUT/panflow/log.txt; tl=$OUT/torch/log.txt
p_steps=$(sed -n 's/^trained \([0-9]*\) steps.*/\1/p' "$pl"); t_steps=$(awk '/^RESULT-TRAIN/ {print $2}' "$tl")
batch=$(sed -n 's/.*, batch \([0-9]*\),.*/\1/p' "$pl" | head -1)
secs=$("$py" -c "import re,sys; s='$BUDGET'; print(sum(float(n)*{'h':3600,'m':60,'s':1}[u] for n,u in re.findall(r'([0-9.]+)([hms])', s)))")
p_tips=$(awk -v s="${p_steps:-0}" -v b="${batch:-64}" -v t="$secs" 'BEGIN {printf "%.1f", s * b / t}')
t_tips=$(awk '/^RESULT-TRAIN/ {print $4}' "$tl")
p_samp=$(sed -n 's/^sampled \([0-9]*\) images (.*, \([0-9.]*\) s).*/\1 \2/p' "$pl" | awk '{printf "%.1f %.2f", $1 / $2, $2}')
t_samp=$(awk '/^RESULT-SAMPLE/ {printf "%.1f %.2f", $5, $4}' "$tl")
fid() { awk -v c="$2" '$1 == "FID" {print $c}' "$OUT/$1/fid.txt" 2>/dev/null; }
kid() { awk '$1 == "KID" && $2 != "std" {print $2}' "$OUT/$1/fid.txt" 2>/dev/null; }
printf '%-28s %14s %14s %10s\n' "" "Panflow" "PyTorch" "ratio P/T"
row() { printf '%-28s %14s %14s %10s\n' "$1" "${2:-?}" "${3:-?}" "$(awk -v a="${2:-0}" -v b="${3:-0}" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "-"}')"; }
row "training steps" "$p_steps" "$t_steps"
row "training images/s" "$p_tips" "$t_tips"
row "sampling images/s ($N, $SOLVER-$STEPS)" "${p_samp%% *}" "${t_samp%% *}"
row "sampling seconds" "${p_samp##* }" "${t_samp##* }"
printf '%-28s %14s %14s\n' "FID" "$(fid panflow 2)" "$(fid torch 2)"
printf '%-28s %14s %14s\n' "KID (x1000)" "$(kid panflow)" "$(kid torch)"
echo "real-data floor ($N train images vs the test set): FID $(fid panflow 3), KID $(awk '$1 == "KID" && $2 != "std" {print $3}' "$OUT/panflow/fid.txt" 2>/dev/null)"
echo "# logs: $pl $tl; scores: $OUT/{panflow,torch}/fid.txt"
