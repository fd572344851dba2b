# Sourced by bench/jmh and bench/gemm: finds a JDK 22+ (bin/jdk.sh) and builds
# bench/target/benchmarks.jar when it is missing or older than the bench or Panflow sources.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/bin/jdk.sh"
bench_jar="$root/bench/target/benchmarks.jar"
if [ ! -f "$bench_jar" ] || [ -n "$(find "$root/bench/src" "$root/bench/pom.xml" "$root/src/core/src/main" "$root/src/cli/src/main" \
      "$root/native-bindings/src/main" "$root/pom.xml" -newer "$bench_jar" -print -quit 2>/dev/null)" ]; then
  command -v mvn >/dev/null || { echo "bench: Maven (mvn) is needed to build $bench_jar: apt-get install maven" >&2; exit 3; }
  echo "bench: building $bench_jar ..." >&2
  rm -f "$bench_jar"
  (cd "$root" && mvn -B -q -Dstyle.color=never -DskipTests package -pl bench -am 2>&1 | grep -v -e 'sun.misc.Unsafe' -e '^WARNING: ' >&2) || true
  [ -f "$bench_jar" ] || { echo "bench: the build failed; run 'mvn -B package' in $root/bench to see why." >&2; exit 3; }
fi
