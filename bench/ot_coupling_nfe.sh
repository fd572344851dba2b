#!/usr/bin/env bash
# Minibatch OT coupling vs independent: train the same MLP each way on checkerboard and
# 8gaussians, then count dopri5 NFE at atol = rtol = 1e-5 and print the on-square fraction.
# Usage: [COUPLINGS="independent ot sinkhorn"] [TRAIN_FLAGS="--sinkhorn-reg 0.01"] bench/ot_coupling_nfe.sh [steps] [batch] [outdir]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# PANFLOW=cmd runs another launcher (e.g. java -jar a copied jar while the sources change).
pf() { ${PANFLOW:-"$root/bin/panflow"} "$@"; }
steps=${1:-1500}; batch=${2:-256}; out=${3:-runs/ot-coupling}
for data in checkerboard 8gaussians; do
  for c in ${COUPLINGS:-independent ot sinkhorn}; do
    d="$out/$data-$c"
    mkdir -p "$out"
    s=$(date +%s)
    pf train --data "$data" --coupling "$c" --hidden 128 --layers 3 --batch "$batch" \
        --steps "$steps" --threads 2 --samples 0 ${TRAIN_FLAGS:-} --out "$d" >"$d.train.log" 2>&1 || { cat "$d.train.log"; exit 1; }
    e=$(( $(date +%s) - s ))
    nfe=$(pf sample --model "$d/model.safetensors" --n 2000 --solver dopri5 --atol 1e-5 --rtol 1e-5 \
        --threads 2 --out "$d/dopri5.npy" | grep -o 'NFE [0-9]*')
    q=$(pf sample --model "$d/model.safetensors" --n 5000 --solver euler --steps 100 \
        --threads 2 --out "$d/euler.npy" | grep -o 'on-square fraction [0-9.]*' || true)
    echo "$data coupling=$c steps=$steps batch=$batch train ${e}s dopri5 $nfe ${q}"
  done
done
