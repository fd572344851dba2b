#!/usr/bin/env bash
# Straightness against the coupling batch M (issue 18 item 3): the same MLP trained on a 2-D set
# with a plan per batch and with plans over M pairs, then dopri5 NFE (atol = rtol = 1e-5, 2000
# samples), energy distance to fresh data (8gaussians: energy_8gaussians.py) and the wall time per step.
# Usage: [PANFLOW=cmd] [DATA=8gaussians] bench/coupling_batch_nfe.sh [steps] [batch] [outdir]
# Each RUNS entry is name:flags, with '+' for spaces.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pf() { ${PANFLOW:-"$root/bin/panflow"} "$@"; }
steps=${1:-1000}; batch=${2:-256}; out=${3:-runs/coupling-batch}; data=${DATA:-8gaussians}
runs=${RUNS:-"independent:--coupling+independent sinkhorn:--coupling+sinkhorn+--sinkhorn-reg+0.01 sinkhorn-M1024:--coupling+sinkhorn+--sinkhorn-reg+0.01+--coupling-batch+1024 sinkhorn-M4096:--coupling+sinkhorn+--sinkhorn-reg+0.01+--coupling-batch+4096 ot:--coupling+ot ot-M1024:--coupling+ot+--coupling-batch+1024"}
mkdir -p "$out"
for v in $runs; do
  name=${v%%:*}; flags=${v#*:}; flags=${flags//+/ }
  d="$out/$data-$name"
  s=$(date +%s.%N)
  # shellcheck disable=SC2086
  pf train --data "$data" --hidden 128 --layers 3 --batch "$batch" --steps "$steps" --threads 2 --samples 0 --seed 1 \
      $flags --out "$d" >"$d.train.log" 2>&1 || { cat "$d.train.log"; exit 1; }
  e=$(echo "$(date +%s.%N) - $s" | bc)
  line=$(pf sample --model "$d/model.safetensors" --n 2000 --solver dopri5 --atol 1e-5 --rtol 1e-5 --threads 2 \
      --out "$d/dopri5.npy" 2>&1 | grep -o 'NFE [0-9]*')
  if [ "$data" = 8gaussians ]; then line="$line, $(python3 "$root/bench/energy_8gaussians.py" "$d/dopri5.npy")"; fi
  printf '%s %s | steps %s batch %s | train %.1f s (%.1f ms/step incl. start-up) | %s\n' "$data" "$name" "$steps" "$batch" "$e" \
      "$(echo "$e * 1000 / $steps" | bc -l)" "$line"
done
