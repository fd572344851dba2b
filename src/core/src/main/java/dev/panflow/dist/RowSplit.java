package dev.panflow.dist;

/**
 * The rows [0, total) of a batch dealt to {@code ranks} processes in contiguous blocks:
 * rank r holds [r·total/ranks, (r+1)·total/ranks), so sizes differ by at most one.
 */
public record RowSplit(long total, int ranks) {
    public RowSplit {
        if (total < 0) throw new IllegalArgumentException("total rows " + total + " < 0");
        if (ranks < 1) throw new IllegalArgumentException("ranks " + ranks + " < 1");
    }

    public long first(int rank) { return total * rank / ranks; }

    public long end(int rank) { return total * (rank + 1) / ranks; }

    public int rows(int rank) { return Math.toIntExact(end(rank) - first(rank)); }
}
