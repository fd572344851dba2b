package dev.panflow.train;

import dev.panflow.coupling.Coupling;
import dev.panflow.data.DataSource;
import dev.panflow.data.ImageDataSource;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * OT beyond the training batch (coupling batch M ≥ batch B): M data rows and M noise rows are
 * drawn and paired by one plan over all M, then the next R = ⌊M/B⌋ steps train on disjoint
 * minibatches of B pairs taken in a shuffled order, after which a fresh pool is drawn. So every
 * pair is used once, and the plan sees M points: closer to the population OT map than a batch
 * of B (Tong et al. 2023 note the minibatch plan's bias falls with its size).
 *
 * <p>Pool k (the one steps kR … kR + R − 1 use) is drawn from its own stream, seeded by the
 * run's seed and k: which pairs a step trains on depends only on the seed and the step, so a
 * resumed run rebuilds the pool it stopped in and continues bit for bit, with nothing of it in
 * the checkpoint. Buffers are made once; a plan's recompute allocates nothing.
 */
final class CouplingPool {
    private final Coupling coupling;
    private final DataSource data;
    private final int poolRows, batch, dim, nullClass;
    private final float labelDropout;
    private final long seed;
    private final Rng rng = new Rng(0);
    private final Tensor p0, p1;
    private final int[] labels, order;
    private long loaded = -1;

    /** labelled: draw labels (an ImageDataSource) with label dropout p to nullClass before pairing. */
    CouplingPool(Coupling coupling, int poolRows, int batch, int dim, DataSource data, boolean labelled, float labelDropout,
                 int nullClass, long seed, Workspace ws) {
        if (poolRows < batch) throw new IllegalArgumentException("pool of " + poolRows + " rows < batch " + batch);
        this.coupling = coupling;
        this.poolRows = poolRows;
        this.batch = batch;
        this.dim = dim;
        this.data = data;
        this.labelDropout = labelDropout;
        this.nullClass = nullClass;
        this.seed = seed;
        p0 = ws.tensor(poolRows, dim);
        p1 = ws.tensor(poolRows, dim);
        labels = labelled ? new int[poolRows] : null;
        order = new int[poolRows];
    }

    int poolRows() { return poolRows; }

    /** Steps trained on one plan. */
    int stepsPerPlan() { return poolRows / batch; }

    /** Plans computed so far (for tests). */
    long pool() { return loaded; }

    /** The batch of 0-based step {@code step}: its B pairs into x0, x1 (and the labels the model sees). */
    void fill(long step, MemorySegment x0, MemorySegment x1, int[] batchLabels) {
        int r = stepsPerPlan();
        long k = step / r;
        if (k != loaded) draw(k);
        int first = (int) (step % r) * batch;
        long rowBytes = 4L * dim;
        MemorySegment s0 = p0.segment(), s1 = p1.segment();
        for (int q = 0; q < batch; q++) {
            int i = order[first + q];
            MemorySegment.copy(s0, i * rowBytes, x0, q * rowBytes, rowBytes);
            MemorySegment.copy(s1, i * rowBytes, x1, q * rowBytes, rowBytes);
            if (labels != null) batchLabels[q] = labels[i];
        }
    }

    /** Pool k: data, label dropout, noise, the plan over all rows, then a Fisher–Yates order. */
    private void draw(long k) {
        rng.reseed(seed ^ (0x5DEECE66DL + k * 0x9E3779B97F4A7C15L));
        int m = poolRows;
        if (labels == null) {
            data.sample(rng, p1.segment(), m);
        } else {
            ((ImageDataSource) data).sample(rng, p1.segment(), labels, m);
            for (int q = 0; q < m; q++) if (rng.nextFloat() < labelDropout) labels[q] = nullClass;
        }
        rng.fillGaussian(p0.segment(), (long) m * dim, 1f);
        coupling.pair(p0.segment(), p1.segment(), labels, m, dim, rng);
        for (int q = 0; q < m; q++) order[q] = q;
        for (int q = m - 1; q > 0; q--) {
            int j = rng.nextInt(q + 1);
            int t = order[q];
            order[q] = order[j];
            order[j] = t;
        }
        loaded = k;
    }
}
