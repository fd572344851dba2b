package dev.panflow.sampling;

import dev.panflow.UserError;
import dev.panflow.dist.Collective;
import dev.panflow.dist.RowSplit;
import dev.panflow.nn.FlowModel;
import dev.panflow.nn.MlpModel;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.SolveListener;
import dev.panflow.ode.SolveStats;
import dev.panflow.ode.SolverSpec;
import dev.panflow.ode.VelocityField;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Generation: x0 ~ N(0, σ_0² I), then dx/dt = v_θ(x, t) from t = 0 to the path's t_max. */
public final class Sampler {
    /** Most rows an MLP evaluates at once; bounds activation memory for large n. */
    public static final int CHUNK_ROWS = 4096;

    /** Images evaluated at once by a convolutional model. */
    public static final int IMAGE_CHUNK = 64;

    private Sampler() {}

    public record Result(Tensor samples, SolveStats stats, double seconds) {}

    /** Rows per MLP evaluation for hidden width H (see {@link MlpModel#chunkRows()}). */
    public static int chunkRows(int hidden) { return MlpModel.chunkRows(hidden); }

    /** The JVM's sampler over a model's current weights, its points split over the ranks of {@code c}. */
    public static FlowSampler onJvm(FlowModel model, Collective c) {
        return new FlowSampler() {
            @Override
            public Result sample(AffinePath path, SolverSpec solver, int n, long seed, int[] labels, float guidance, Workspace ws) {
                return sample(path, solver, n, seed, labels, guidance, ws, SolveListener.NONE);
            }

            @Override
            public Result sample(AffinePath path, SolverSpec solver, int n, long seed, int[] labels, float guidance, Workspace ws,
                                 SolveListener listener) {
                try (OdeSolver ode = solver.open()) {
                    return Sampler.sample(model, path, ode, n, seed, ws, labels, guidance, c, listener);
                }
            }
        };
    }

    /** n unconditional samples into a tensor of {@code ws}, with the model's current weights. */
    public static Result sample(FlowModel model, AffinePath path, OdeSolver solver, int n, long seed, Workspace ws) {
        return sample(model, path, solver, n, seed, ws, null, 0f, Collective.SINGLE);
    }

    /**
     * n samples from any {@link FlowModel}, {@link FlowModel#chunkRows()} rows per evaluation;
     * {@code labels} (per sample, or null) condition a class-conditional model, {@code guidance}
     * is the classifier-free guidance weight w.
     *
     * <p>Data parallel over {@code c}: every rank draws all n noise rows (the same seed, so the
     * same points as one process), integrates its block of rows, and rank 0 gathers the blocks
     * into the result (the other ranks' result holds only their own block). Fixed-step solvers
     * give exactly the one-process samples; dopri5 adapts its steps to each rank's block.
     */
    public static Result sample(FlowModel model, AffinePath path, OdeSolver solver, int n, long seed, Workspace ws,
                                int[] labels, float guidance, Collective c) {
        return sample(model, path, solver, n, seed, ws, labels, guidance, c, SolveListener.NONE);
    }

    /** The same, {@code listener} hearing this rank's solve between its steps. */
    public static Result sample(FlowModel model, AffinePath path, OdeSolver solver, int n, long seed, Workspace ws,
                                int[] labels, float guidance, Collective c, SolveListener listener) {
        if (n < c.size()) throw new UserError(n + " samples over " + c.size() + " ranks: every rank needs at least one");
        Tensor x = ws.tensor(n, model.dim());
        new Rng(seed).fillGaussian(x.segment(), x.size(), path.noiseStd());
        return solve(model, path, solver, x, ws, labels, guidance, c, listener);
    }

    /**
     * Integrates the rows of {@code x} (noise drawn by the caller, e.g. each block of rows from a
     * seed of its own) in place from t = 0 to t_max. Rows are independent, so a row's result does
     * not depend on the other rows of the batch (fixed-step solvers; an adaptive one picks one step
     * size for all).
     */
    public static Result solve(FlowModel model, AffinePath path, OdeSolver solver, Tensor x, Workspace ws,
                               int[] labels, float guidance, Collective c) {
        return solve(model, path, solver, x, ws, labels, guidance, c, SolveListener.NONE);
    }

    /** The same, {@code listener} hearing this rank's solve between its steps. */
    public static Result solve(FlowModel model, AffinePath path, OdeSolver solver, Tensor x, Workspace ws,
                               int[] labels, float guidance, Collective c, SolveListener listener) {
        int n = x.rows();
        if (labels != null && labels.length != n) throw new IllegalArgumentException(labels.length + " labels for " + n + " samples");
        RowSplit split = new RowSplit(n, c.size());
        int first = (int) split.first(c.rank()), rows = split.rows(c.rank());
        int[] mine = labels == null || c.size() == 1 ? labels : Arrays.copyOfRange(labels, first, first + rows);
        VelocityField field = model.field(ws, Math.min(rows, model.chunkRows()), mine, guidance);
        int dim = x.cols();
        MemorySegment block = x.segment().asSlice(4L * first * dim, 4L * rows * dim);
        long start = System.nanoTime();
        SolveStats stats = solver.solve(field, block, rows, 0f, path.tMax(), listener);
        c.gatherRows(block, x.segment(), split, dim);
        return new Result(x, stats, (System.nanoTime() - start) * 1e-9);
    }
}
