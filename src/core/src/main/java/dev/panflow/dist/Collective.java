package dev.panflow.dist;

import java.lang.foreign.MemorySegment;

/**
 * The collective operations data-parallel training needs, over the processes ("ranks") of one
 * job. {@link #SINGLE} is the one-process job (every call a no-op); a {@link CollectiveProvider}
 * (MPI, in panflow-native) runs them over the processes of a job. Every rank must make the same calls in the same order.
 */
public interface Collective extends AutoCloseable {
    /** This process's index in [0, size). */
    int rank();

    /** Number of processes in the job. */
    int size();

    /** In place: every rank's {@code count} floats become the element-wise sum over all ranks. */
    void allreduceSum(MemorySegment floats, long count);

    /** In place, as {@link #allreduceSum(MemorySegment, long)}, for a few doubles. */
    void allreduceSum(double[] values);

    /** Every rank's {@code count} floats become those of rank {@code root}. */
    void broadcast(MemorySegment floats, long count, int root);

    /**
     * Rank r's {@code rowsOf(r) × cols} floats at the start of {@code local} are copied, rank by
     * rank, into {@code all} on rank 0 (other ranks' {@code all} is untouched).
     */
    void gatherRows(MemorySegment local, MemorySegment all, RowSplit split, int cols);

    void barrier();

    /** Ends the job's use of the collective (idempotent). */
    @Override
    void close();

    default boolean isRoot() { return rank() == 0; }

    /** The job of one process. */
    Collective SINGLE = new Collective() {
        @Override public int rank() { return 0; }
        @Override public int size() { return 1; }
        @Override public void allreduceSum(MemorySegment floats, long count) {}
        @Override public void allreduceSum(double[] values) {}
        @Override public void broadcast(MemorySegment floats, long count, int root) {}
        @Override public void gatherRows(MemorySegment local, MemorySegment all, RowSplit split, int cols) {
            if (local.address() != all.address()) MemorySegment.copy(local, 0, all, 0, 4L * split.rows(0) * cols);
        }
        @Override public void barrier() {}
        @Override public void close() {}
        @Override public String toString() { return "single process"; }
    };
}
