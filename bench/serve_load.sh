#!/usr/bin/env bash
# Load test of panflow serve: throughput and p50/p99 latency at 1, 8, 64 and 256 concurrent clients
# of POINTS points each, with dynamic batching and without (--max-batch 1 --max-wait-ms 0), on a
# checkerboard model (trained here if MODEL is not given). Prints one table; run on a quiet machine.
#   bench/serve_load.sh [SECONDS per cell, default 10]
# Env: MODEL=path/model.safetensors, JAR (the panflow.jar to serve; default target/), POINTS (16), STEPS (Euler steps, 20), CLIENTS ("1 8 64 256"), THREADS,
#      WORKERS (solver batches at once, 1), WAIT_MS (the batched server's --max-wait-ms, 5),
#      BACKEND (the server's --backend: jvm, or onednn for its dense GEMM; default jvm).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bench/build.sh"
secs=${1:-10}
points=${POINTS:-16}
steps=${STEPS:-20}
clients=${CLIENTS:-1 8 64 256}
threads=${THREADS:-$(nproc)}
jar=${JAR:-$root/target/panflow.jar}
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package -pl src/cli -am >/dev/null)
run=("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}")
model=${MODEL:-}
if [ -z "$model" ]; then
  model=$(mktemp -d)/model.safetensors
  "${run[@]}" -jar "$jar" train --steps 1000 --samples 0 --out "$(dirname "$model")" >/dev/null 2>&1
fi
echo "serve load: $(lscpu | sed -n 's/^Model name: *//p') ($(grep -o -m1 'avx512f' /proc/cpuinfo || echo avx2)), $threads threads × ${WORKERS:-1} workers, backend ${BACKEND:-jvm}, batch wait ${WAIT_MS:-5} ms, $points points/request, Euler $steps steps, ${secs}s per cell"
printf '%-10s %8s %12s %12s %10s %10s %8s %8s\n' mode clients "requests/s" "points/s" "p50 ms" "p99 ms" "429" errors
for mode in batched unbatched; do
  flags=(--max-wait-ms "${WAIT_MS:-5}"); [ "$mode" = unbatched ] && flags=(--max-batch 1 --max-wait-ms 0)
  port=$(( 20000 + RANDOM % 20000 ))
  "${run[@]}" -jar "$jar" serve --model "$model" --port "$port" --threads "$threads" --workers "${WORKERS:-1}" --backend "${BACKEND:-jvm}" --max-queue 1024 "${flags[@]}" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  for c in $clients; do
    "${run[@]}" -cp "$bench_jar" dev.panflow.bench.serve.ServeLoad "http://127.0.0.1:$port" "$c" "$points" "$secs" "$steps" \
      | awk -v m="$mode" '{printf "%-10s %8s %12s %12s %10s %10s %8s %8s\n", m, $2, $6, $8, $10, $13, $18, $20}'
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
done
