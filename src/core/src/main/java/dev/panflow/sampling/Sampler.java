package dev.panflow.sampling;

import dev.panflow.dist.Collective;
import dev.panflow.dist.RowSplit;
import dev.panflow.nn.FlowModel;
import dev.panflow.nn.FlowModelField;
import dev.panflow.nn.Mlp;
import dev.panflow.nn.MlpVelocityField;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.SolveStats;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.UserError;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Generation: x0 ~ N(0, σ_0² I), then dx/dt = v_θ(x, t) from t = 0 to the path's t_max. */
public final class Sampler {
    /** Most rows the network evaluates at once; bounds activation memory for large n. */
    public static final int CHUNK_ROWS = 4096;

    /**
     * Rows per network evaluation for hidden width H: about 64 K activations (256 KB), so a
     * layer's output is still in L2 when the bias+SiLU pass and the next GEMM read it (at H = 128,
     * one thread: ~5 % less CPU time than 4096-row chunks). Rows are independent, so the samples
     * do not depend on the chunk size.
     */
    public static int chunkRows(int hidden) {
        return Math.max(64, Math.min(CHUNK_ROWS, (1 << 16) / Math.max(1, hidden)));
    }

    private Sampler() {}

    /** The JVM's sampler over an MLP's current weights, its points split over the ranks of {@code c}. */
    public static FlowSampler onJvm(Mlp mlp, Collective c) {
        return (path, solver, n, seed, labels, guidance, ws) -> {
            if (labels != null || guidance != 0) throw new UserError("an MLP model takes no class labels or guidance");
            try (OdeSolver ode = solver.open()) {
                return sample(mlp, path, ode, n, seed, ws, c);
            }
        };
    }

    /** The JVM's sampler over any {@link FlowModel}, {@code chunkRows} rows per network evaluation. */
    public static FlowSampler onJvm(FlowModel model, Collective c, int chunkRows) {
        return (path, solver, n, seed, labels, guidance, ws) -> {
            try (OdeSolver ode = solver.open()) {
                return sample(model, path, ode, n, seed, ws, labels, guidance, chunkRows, c);
            }
        };
    }

    public record Result(Tensor samples, SolveStats stats, double seconds) {}

    /** Draws n samples into a tensor of {@code ws}; the model's current weights are used. */
    public static Result sample(Mlp mlp, AffinePath path, OdeSolver solver, int n, long seed, Workspace ws) {
        return sample(mlp, path, solver, n, seed, ws, Collective.SINGLE);
    }

    /**
     * Data parallel: every rank draws all n noise rows (the same seed, so the same points as one
     * process), integrates its block of rows, and rank 0 gathers the blocks into the result (the
     * other ranks' result holds only their own block). Fixed-step solvers give exactly the
     * one-process samples; dopri5 adapts its steps to each rank's block.
     */
    public static Result sample(Mlp mlp, AffinePath path, OdeSolver solver, int n, long seed, Workspace ws, Collective c) {
        Tensor x = noise(n, mlp.dim(), path, seed, ws, c);
        RowSplit split = new RowSplit(n, c.size());
        int rows = split.rows(c.rank());
        MlpVelocityField field = new MlpVelocityField(mlp, ws, Math.min(rows, chunkRows(mlp.config.hidden())));
        return solveBlock(field, solver, x, split, path, c);
    }

    private static Tensor noise(int n, int dim, AffinePath path, long seed, Workspace ws, Collective c) {
        if (n < c.size()) throw new UserError(n + " samples over " + c.size() + " ranks: every rank needs at least one");
        Tensor x = ws.tensor(n, dim);
        new Rng(seed).fillGaussian(x.segment(), x.size(), path.noiseStd());
        return x;
    }

    private static Result solveBlock(dev.panflow.ode.VelocityField field, OdeSolver solver, Tensor x, RowSplit split,
                                     AffinePath path, Collective c) {
        int dim = x.cols(), rows = split.rows(c.rank());
        MemorySegment mine = x.segment().asSlice(4L * split.first(c.rank()) * dim, 4L * rows * dim);
        long start = System.nanoTime();
        SolveStats stats = solver.solve(field, mine, rows, 0f, path.tMax());
        c.gatherRows(mine, x.segment(), split, dim);
        double seconds = (System.nanoTime() - start) * 1e-9;
        return new Result(x, stats, seconds);
    }

    /** Images evaluated at once by a convolutional model. */
    public static final int IMAGE_CHUNK = 64;

    /**
     * Draws n samples from any {@link FlowModel}; {@code labels} (per sample, or null) condition a
     * class-conditional model, {@code guidance} is the classifier-free guidance weight w.
     */
    public static Result sample(FlowModel model, AffinePath path, OdeSolver solver, int n, long seed, Workspace ws,
                                int[] labels, float guidance, int chunkRows) {
        return sample(model, path, solver, n, seed, ws, labels, guidance, chunkRows, Collective.SINGLE);
    }

    /** As above, data parallel over the ranks of {@code c} (see the MLP version). */
    public static Result sample(FlowModel model, AffinePath path, OdeSolver solver, int n, long seed, Workspace ws,
                                int[] labels, float guidance, int chunkRows, Collective c) {
        Tensor x = noise(n, model.dim(), path, seed, ws, c);
        RowSplit split = new RowSplit(n, c.size());
        int first = (int) split.first(c.rank()), rows = split.rows(c.rank());
        int[] mine = labels == null || c.size() == 1 ? labels : Arrays.copyOfRange(labels, first, first + rows);
        FlowModelField field = new FlowModelField(model, ws, Math.min(rows, chunkRows), mine, guidance);
        return solveBlock(field, solver, x, split, path, c);
    }
}
