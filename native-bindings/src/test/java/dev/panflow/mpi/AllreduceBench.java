package dev.panflow.mpi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The all-reduce alone, at the gradient sizes of Panflow's models: after a barrier (so waiting
 * for a slower rank is left out), the median time of one in-place float all-reduce, and the bus
 * bandwidth 2(N−1)/N · bytes / time that a ring all-reduce moves per rank. Run under mpirun from the
 * repository root, after {@code mvn -B -q -o test-compile -pl native-bindings -am}:
 * <pre>mpirun -np 2 java --enable-native-access=ALL-UNNAMED \
 *     -cp src/core/target/classes:native-bindings/target/classes:native-bindings/target/test-classes \
 *     dev.panflow.mpi.AllreduceBench</pre>
 */
public final class AllreduceBench {
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        // gradient floats: MLP 128×3 concat, MLP 256×3 (default), U-Net 32,64,64, MLP 512×3 concat; plus 8 MB
        long[] sizes = {34_000, 141_000, 460_000, 528_000, 2_000_000};
        try (Mpi mpi = Mpi.open(); Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(ValueLayout.JAVA_FLOAT, sizes[sizes.length - 1]);
            if (mpi.isRoot()) System.out.printf("# %d ranks, %d repetitions per size%n", mpi.size(), reps);
            for (long n : sizes) {
                double[] t = new double[reps];
                for (int i = 0; i < 10; i++) mpi.allreduceSum(buf, n); // warm-up
                for (int i = 0; i < reps; i++) {
                    mpi.barrier();
                    long t0 = System.nanoTime();
                    mpi.allreduceSum(buf, n);
                    t[i] = (System.nanoTime() - t0) * 1e-9;
                    buf.fill((byte) 0); // keep values finite
                }
                Arrays.sort(t);
                double med = t[reps / 2], bytes = 4.0 * n;
                double bus = 2.0 * (mpi.size() - 1) / mpi.size() * bytes / med;
                if (mpi.isRoot())
                    System.out.printf("allreduce %6.2f MB: median %8.1f µs, best %8.1f µs, bus bandwidth %5.2f GB/s%n",
                            bytes / 1e6, med * 1e6, t[0] * 1e6, bus / 1e9);
            }
        }
    }
}
