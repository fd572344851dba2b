#!/usr/bin/env bash
# Couplings for a class-conditional model (issue 18 item 2): a small conditional U-Net on
# Fashion-MNIST trained with each coupling, then dopri5 NFE on N samples (classes cycling)
# and the energy distance of the samples to held-out images of their class (energy_by_class.py).
# Usage: [PANFLOW=cmd] bench/conditional_coupling.sh [steps] [outdir] [n]
# Each VARIANTS entry is name:flags, with '+' for spaces.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pf() { ${PANFLOW:-"$root/bin/panflow"} "$@"; }
steps=${1:-300}; out=${2:-runs/conditional-coupling}; n=${3:-200}
variants=${VARIANTS:-"independent:--coupling+independent ot-within:--coupling+ot ot-plain:--coupling+ot+--class-weight+0 ot-c2ot1:--coupling+ot+--class-weight+1 sinkhorn-within:--coupling+sinkhorn+--sinkhorn-reg+0.01 ot-within-M256:--coupling+ot+--coupling-batch+256 ot-within-M1024:--coupling+ot+--coupling-batch+1024"}
mkdir -p "$out"
for v in $variants; do
  name=${v%%:*}; flags=${v#*:}; flags=${flags//+/ }
  d="$out/$name"
  s=$(date +%s.%N)
  # shellcheck disable=SC2086
  pf train --data fashion-mnist --model unet --conditional --channels 16,32,32 --groups 8 --batch 64 --steps "$steps" \
      --threads 2 --samples 0 --seed 1 $flags --out "$d" >"$d.train.log" 2>&1 || { cat "$d.train.log"; exit 1; }
  e=$(echo "$(date +%s.%N) - $s" | bc)
  loss=$(grep -o 'smoothed [0-9.]*' "$d.train.log" | tail -1)
  nfe=$(pf sample --model "$d/model.safetensors" --n "$n" --solver dopri5 --atol 1e-4 --rtol 1e-4 \
      --threads 2 --out "$d/dopri5.npy" 2>&1 | grep -o '[0-9.]* NFE[^,)]*' | head -1)
  q=$(python3 "$root/bench/energy_by_class.py" "$d/dopri5.npy")
  printf '%s | steps %s | train %.1f s | %s | dopri5 %s | %s\n' "$name" "$steps" "$e" "$loss" "$nfe" "$q"
done
