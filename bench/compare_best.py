#!/usr/bin/python3
"""Best repeat of each side in a `bench/compare --raw` file, as ratios.

On a machine shared with other work, a side's median moves with whatever else ran during its
repeats; its fastest repeat is the least disturbed estimate of what it can do. Prints, per case,
each side's best rate (units per second of its fastest repeat over all rounds) and the ratios;
Panflow --backend onednn (side "onednn") gets its own columns when the file has it.

  bench/compare_best.py results.jsonl
"""
import collections
import json
import sys

CASES = {("train_step", 2, 512): "train dim 2, H 512, batch 4096",
         ("train_step", 2, 128): "train dim 2, H 128, batch 256",
         ("sample_euler100", 2, 128): "sample 16384 pts, Euler 100 (H 128)",
         ("sample_rk4_25", 2, 128): "sample 16384 pts, RK4 25 (H 128)",
         ("train_step", 784, 1024): "train dim 784, H 1024, batch 256"}
STEPS = {512: 10, 128: 200, 1024: 20}   # training steps per repeat, as bench/compare runs them


def main(path):
    best = collections.defaultdict(dict)
    for line in open(path):
        r = json.loads(line)
        label = CASES.get((r["what"], r["dim"], r["hidden"]))
        if label is None or not r.get("repeat_s"):
            continue
        unit = STEPS[r["hidden"]] if r["what"] == "train_step" else r["batch"]
        rate = unit / min(r["repeat_s"])
        best[label][r["side"]] = max(best[label].get(r["side"], 0.0), rate)
    sides = [c for c in ("base", "panflow", "onednn") if any(c in x for x in best.values())]
    names = {"base": "Panflow before", "panflow": "Panflow", "onednn": "Panflow onednn"}
    print("| case | " + " | ".join(names[c] + ", best" for c in sides) + " | PyTorch, best | "
          + " | ".join("ratio" + names[c][7:] for c in sides) + " |")
    print("| --- | " + "---: | " * (2 * len(sides) + 1))
    for label in CASES.values():
        b = best.get(label)
        if not b or "torch" not in b or "panflow" not in b:
            continue
        row = [label] + ["%.1f" % b.get(c, 0) for c in sides] + ["%.1f" % b["torch"]]
        row += ["%.2f×" % (b.get(c, 0) / b["torch"]) for c in sides]
        print("| " + " | ".join(row) + " |")

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
