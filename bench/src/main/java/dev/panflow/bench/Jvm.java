package dev.panflow.bench;

/** JVM flags every forked benchmark JVM needs (a fork does not inherit the parent's flags). */
public final class Jvm {
    public static final String VECTOR = "--add-modules=jdk.incubator.vector";
    public static final String NATIVE = "--enable-native-access=ALL-UNNAMED";

    private Jvm() {}
}
