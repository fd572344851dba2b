package dev.panflow.io;

/** NpyTest's .npy layout helper, reachable from other packages (the fuzz seed writer). */
public final class NpySeeds {
    private NpySeeds() {}

    public static byte[] npy(int major, String dict, byte[] data) {
        return NpyTest.npy(major, dict, data);
    }
}
