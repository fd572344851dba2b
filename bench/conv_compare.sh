#!/usr/bin/env bash
# Conv layer forward/backward: Panflow's JVM kernels vs PyTorch CPU on the same shapes, threads
# and batch, printed as ratios (JVM time / PyTorch time; < 1 means the JVM is faster).
# Usage: bench/conv_compare.sh [THREADS=2] [BATCH=64]    (needs: apt-get install python3-torch)
set -euo pipefail
# bench/build.sh: a JDK 22+, $root, and $bench_jar (bench/target/benchmarks.jar, rebuilt when stale).
. "$(dirname "${BASH_SOURCE[0]}")/build.sh"
T=${1:-2}; B=${2:-64}
jvm=$("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}" -cp "$bench_jar" \
      dev.panflow.kernels.ConvBench "$T" "$B" 2>/dev/null)
torch=$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 "$root/bench/conv_compare_torch.py" "$T" "$B")
echo "$jvm" | grep -v '^RESULT'
echo "$torch" | grep '^RESULT' | sed 's/^RESULT [0-9]* /torch: /'
/usr/bin/python3 - "$jvm" "$torch" <<'PY'
import sys
def parse(s):
    return {l.split()[1]: [float(v) for v in l.split()[2:5]] for l in s.splitlines() if l.startswith("RESULT")}
j, t = parse(sys.argv[1]), parse(sys.argv[2])
print("shape  JVM/torch time ratio:  forward  backward-data  backward-weights")
for k in sorted(j, key=int):
    print(f"{k:>5}  " + "  ".join(f"{a / b:14.2f}" for a, b in zip(j[k], t[k])))
PY
