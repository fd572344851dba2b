package dev.panflow.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.data.FashionMnist;
import dev.panflow.kernels.Pool;
import dev.panflow.path.Paths;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.ModelSpec;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A warmed-up CFM step of a conditional U-Net with its convolutions on oneDNN allocates nothing
 * on the heap of the caller or the pool's workers (the core's UNetStepAllocationTest with the
 * JVM's convolutions). In a JVM of its own (tag "isolated": C2's profiles). Needs libdnnl.so.2.
 */
@Tag("isolated")
class OneDnnUNetStepAllocationTest {
    @Test
    void steadyStateStepAllocatesNothingOnAnyThread(@TempDir Path dir) throws Exception {
        TrainConfig cfg = new TrainConfig("fashion-mnist", "ot", 32, 2, "sinusoidal", 4, 8, Long.MAX_VALUE / 2, 1e-3f,
                LrSchedule.CONSTANT, 1, 0f, 0.999f, 1f, 0, 0, TimeSampling.LOGIT_NORMAL, 0f);
        ModelSpec spec = new ModelSpec("unet", new int[] {8, 16}, 4, true, 0.2f);
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared(); Pool pool = new Pool(2); OneDnnConv conv = OneDnnConv.open(2)) {
            FashionMnist data = tinySet(dir, arena);
            try (CfmTrainer tr = new CfmTrainer(cfg, spec, data, Paths.byName("ot"), pool, conv)) {
                long[] ids = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t == Thread.currentThread() || t.getName().startsWith("panflow-kernel-"))
                        .mapToLong(Thread::threadId).toArray();
                // Warm-up bounded in steps, not seconds (see the core's SteadyState): C2 and the steps share the CPU.
                long perStep = Long.MAX_VALUE, steps = 0;
                while (perStep >= 64 && steps < 40_000) {
                    long before = total(mx.getThreadAllocatedBytes(ids));
                    for (int i = 0; i < 200; i++) tr.trainStep();
                    steps += 200;
                    perStep = (total(mx.getThreadAllocatedBytes(ids)) - before) / 200;
                }
                System.out.printf("steady state on oneDNN: %d B/step after %d steps%n", perStep, steps);
                assertTrue(perStep < 64, "a warmed-up U-Net step on oneDNN still allocated " + perStep + " bytes on the heap");
            }
        }
    }

    private static long total(long[] xs) {
        long s = 0;
        for (long x : xs) s += Math.max(0, x); // -1: a thread that has ended
        return s;
    }

    /** 12 labelled 1 × 8 × 8 images in IDX files (3 classes, a stripe per class). */
    private static FashionMnist tinySet(Path dir, Arena arena) throws Exception {
        int n = 12;
        byte[] px = new byte[n * 64], lab = new byte[n];
        for (int i = 0; i < n; i++) {
            lab[i] = (byte) (i % 3);
            for (int p = 0; p < 64; p++) px[i * 64 + p] = (byte) ((p / 8) % 3 == lab[i] ? 230 : 20);
        }
        Files.write(dir.resolve("train-images-idx3-ubyte"), idx(new int[] {n, 8, 8}, px));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), idx(new int[] {n}, lab));
        return FashionMnist.load(dir, "train", arena);
    }

    private static byte[] idx(int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.put((byte) 0).put((byte) 0).put((byte) 8).put((byte) dims.length);
        for (int d : dims) b.putInt(d);
        return b.put(data).array();
    }
}
