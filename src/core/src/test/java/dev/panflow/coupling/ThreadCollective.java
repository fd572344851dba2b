package dev.panflow.coupling;

import dev.panflow.dist.Collective;
import dev.panflow.dist.RowSplit;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/** A job of N threads in one JVM, for tests: the sums add the ranks' values in rank order. */
final class ThreadCollective implements Collective {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final int rank, size;
    private final CyclicBarrier barrier;
    private final float[][] slots;
    private final double[][] dslots;

    private ThreadCollective(int rank, int size, CyclicBarrier barrier, float[][] slots, double[][] dslots) {
        this.rank = rank;
        this.size = size;
        this.barrier = barrier;
        this.slots = slots;
        this.dslots = dslots;
    }

    /** One collective per rank of a job of {@code size} threads. */
    static ThreadCollective[] job(int size, int maxFloats) {
        CyclicBarrier b = new CyclicBarrier(size);
        float[][] s = new float[size][maxFloats];
        double[][] d = new double[size][64];
        ThreadCollective[] out = new ThreadCollective[size];
        for (int r = 0; r < size; r++) out[r] = new ThreadCollective(r, size, b, s, d);
        return out;
    }

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }

    @Override
    public void allreduceSum(MemorySegment floats, long count) {
        int n = Math.toIntExact(count);
        MemorySegment.copy(floats, F, 0, slots[rank], 0, n);
        await();
        for (int i = 0; i < n; i++) {
            float s = 0;
            for (int r = 0; r < size; r++) s += slots[r][i];
            floats.setAtIndex(F, i, s);
        }
        await();
    }

    @Override
    public void allreduceSum(double[] values) {
        System.arraycopy(values, 0, dslots[rank], 0, values.length);
        await();
        for (int i = 0; i < values.length; i++) {
            double s = 0;
            for (int r = 0; r < size; r++) s += dslots[r][i];
            values[i] = s;
        }
        await();
    }

    @Override public void broadcast(MemorySegment floats, long count, int root) { throw new UnsupportedOperationException(); }
    @Override public void gatherRows(MemorySegment local, MemorySegment all, RowSplit split, int cols) { throw new UnsupportedOperationException(); }
    @Override public void barrier() { await(); }
    @Override public void close() {}

    private void await() {
        try {
            barrier.await();
        } catch (InterruptedException | BrokenBarrierException e) {
            throw new IllegalStateException(e);
        }
    }
}
