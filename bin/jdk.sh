# Sourced by bin/panflow and bin/test: sets JAVA_HOME to a JDK 22+ (FFM and the Vector API)
# or exits with a message saying what is needed. Looks at $PANFLOW_JAVA_HOME, $JAVA_HOME,
# the JDKs under /usr/lib/jvm (newest first), then the java on PATH.
panflow_jdk_feature() { # prints the feature version of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}
panflow_find_jdk() {
  local c v
  for c in "${PANFLOW_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 \
           $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV) \
           "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$c" ] || continue
    c=${c%/}
    v=$(panflow_jdk_feature "$c")
    if [ -n "$v" ] && [ "$v" -ge 22 ]; then echo "$c"; return 0; fi
  done
  return 1
}
if ! PANFLOW_JDK=$(panflow_find_jdk); then
  echo "panflow: no JDK 22 or newer found (Panflow needs the FFM API and jdk.incubator.vector)." >&2
  echo "panflow: install one (e.g. Temurin 25) and set JAVA_HOME or PANFLOW_JAVA_HOME to it." >&2
  exit 3
fi
export JAVA_HOME="$PANFLOW_JDK"
# Force-inline the kernels' small vector helpers (ExpF.exp, Elementwise.load, ...). C2 does not inline a
# method it has already compiled on its own into more than InlineSmallCode bytes, and whether that happens
# first depends on compile order; every vector crossing such a call is then boxed, hundreds of KB a training
# step (TrainStepAllocationTest, made to fail on demand by -XX:InlineSmallCode=500). The same list is
# panflow.jit.flags in pom.xml (JitFlagsTest checks); a JVM that embeds Panflow should pass these too.
# Kept out of its callers: squaredErrorGrad (only segments cross the call), whose loss callers are compiles so big
# that C2 stops inlining even the forced helpers in them (NodeCountInliningCutoff; the shortcut step boxed).
PANFLOW_JIT_FLAGS=(-XX:CompileCommand=quiet \
  -XX:CompileCommand=inline,dev.panflow.kernels.ExpF::exp \
  -XX:CompileCommand=inline,dev.panflow.kernels.Elementwise::sigmoid \
  -XX:CompileCommand=inline,dev.panflow.kernels.Elementwise::load \
  -XX:CompileCommand=inline,dev.panflow.kernels.Elementwise::store \
  -XX:CompileCommand=inline,dev.panflow.kernels.Gemm::ld \
  -XX:CompileCommand=inline,dev.panflow.kernels.Gemm::st \
  -XX:CompileCommand=inline,dev.panflow.kernels.LaneSum::of \
  -XX:CompileCommand=inline,dev.panflow.kernels.GroupNormKernels::load \
  -XX:CompileCommand=inline,dev.panflow.kernels.Softmax::load \
  -XX:CompileCommand=dontinline,dev.panflow.kernels.Elementwise::squaredErrorGrad)
# Flags every Panflow JVM needs: the incubating Vector API and native access for FFM, and the JIT flags.
PANFLOW_JVM_FLAGS=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true "${PANFLOW_JIT_FLAGS[@]}")
