#!/usr/bin/env bash
# The HTTP layer alone, Javalin 7 vs Helidon SE 4: the same POST endpoint answering a fixed
# 16-point JSON (no model), loaded by ServeLoad at 1 and 64 clients, alternating, ROUNDS times.
# How panflow serve's web server was chosen (bench/README.md, "HTTP layer"). A separate Maven
# project so neither server is a dependency of Panflow's build: bench/http-layer/run.sh [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/bench/build.sh"
secs=${1:-6}
(cd "$here" && mvn -B -q compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt >/dev/null)
cp="$here/target/classes:$(cat "$here/target/cp.txt")"
for round in $(seq "${ROUNDS:-2}"); do
  for s in javalin helidon; do
    port=$(( 21000 + RANDOM % 1000 ))
    "$JAVA_HOME/bin/java" -cp "$cp" cmp.Servers "$s" "$port" >/dev/null 2>&1 &
    pid=$!
    sleep 2.5
    for c in 1 64; do
      echo "$s round $round: $("$JAVA_HOME/bin/java" "${PANFLOW_JVM_FLAGS[@]}" -cp "$bench_jar" dev.panflow.bench.serve.ServeLoad "http://127.0.0.1:$port" "$c" 16 "$secs" 2>/dev/null)"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
