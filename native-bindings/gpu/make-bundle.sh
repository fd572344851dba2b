#!/usr/bin/env bash
# Builds what a GPU machine without Java needs into DIR (default .gpu): a jlinked runtime, the
# standalone jar (target/panflow.jar: core, native backends, CLI), the bench module's own classes
# (CudaBench, CudnnBench and UNetBench live in bench/, not in the shipped jar; its shaded jar would
# repeat panflow.jar and add JMH, too big beside the runtime), the GPU tests' classes (from
# native-bindings and src/cli), the JUnit launcher jars, the test runner and the PyTorch peer scripts.
# Then on the GPU machine: cd DIR && ./gpu-run.sh   (see native-bindings/README.md)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
dir="${1:-$repo/.gpu}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
cd "$repo"
# package compiles every module's tests too (-DskipTests only skips running them).
mvn -B -o -q -DskipTests package
mkdir -p "$dir/lib"
if [ ! -x "$dir/rt/bin/java" ]; then
  # java.desktop is for PNG plots (ImageIO), jdk.management for MemoryBudget (jdeps --print-module-deps); stripped and without CDS archives the runtime is about 57 MiB,
  # under the GPU machine's 64 MiB transfer limit with the rest of the bundle.
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.desktop,java.logging,java.management,jdk.management \
    --compress zip-9 --strip-debug --no-man-pages --no-header-files --output "$dir/rt"
  rm -f "$dir"/rt/lib/server/*.jsa
  strip --strip-unneeded "$dir"/rt/lib/server/libjvm.so "$dir"/rt/lib/*.so
fi
cp target/panflow.jar "$dir/"
rm -rf "$dir/bench-classes" && cp -r bench/target/classes "$dir/bench-classes"
# One folder for both modules' test classes (distinct packages: dev.panflow.{cuda,nn} and dev.panflow.cli).
rm -rf "$dir/test-classes" && mkdir -p "$dir/test-classes"
cp -r native-bindings/target/test-classes/. src/cli/target/test-classes/. "$dir/test-classes/"
m2=~/.m2/repository
for j in org/junit/platform/junit-platform-launcher/1.11.3/junit-platform-launcher-1.11.3.jar \
         org/junit/platform/junit-platform-engine/1.11.3/junit-platform-engine-1.11.3.jar \
         org/junit/platform/junit-platform-commons/1.11.3/junit-platform-commons-1.11.3.jar \
         org/junit/jupiter/junit-jupiter-api/5.11.3/junit-jupiter-api-5.11.3.jar \
         org/junit/jupiter/junit-jupiter-engine/5.11.3/junit-jupiter-engine-5.11.3.jar \
         org/junit/jupiter/junit-jupiter-params/5.11.3/junit-jupiter-params-5.11.3.jar \
         org/opentest4j/opentest4j/1.3.0/opentest4j-1.3.0.jar \
         org/apiguardian/apiguardian-api/1.1.2/apiguardian-api-1.1.2.jar; do
  cp "$m2/$j" "$dir/lib/"
done
"$JAVA_HOME/bin/javac" -d "$dir/runner" -cp "$dir/lib/*" native-bindings/gpu/RunTests.java
cp native-bindings/gpu/gpu-run.sh bench/cuda_mlp_torch.py bench/cudnn_conv_torch.py bench/unet_torch.py "$dir/"
# The flags every Panflow JVM gets (bin/jdk.sh's PANFLOW_JVM_FLAGS: Vector API, FFM, the JIT's force-inlines), for gpu-run.sh.
(. bin/jdk.sh && printf '%s\n' "${PANFLOW_JVM_FLAGS[@]}") > "$dir/jvm.flags"
du -sh "$dir"
