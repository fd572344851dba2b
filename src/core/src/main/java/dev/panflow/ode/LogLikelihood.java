package dev.panflow.ode;

import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Log-likelihood of a continuous normalizing flow (docs/math.md §6): with Δ(t) = log p_t(x_t) −
 * log p_{t1}(x_{t1}), the augmented state [x, Δ] follows dx/dt = v_t(x), dΔ/dt = −div v_t(x).
 * Integrating from t1 (data) back to 0 with Δ(t1) = 0 gives
 *     log p_{t1}(x) = log p0(x_0) − Δ(0),   p0 = N(0, σ0² I).
 * The augmented state is rows × (D + 1), the last column Δ (so adaptive solvers also control
 * its error). One instance holds its buffers; not thread-safe.
 */
public final class LogLikelihood implements AutoCloseable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    /** Per-row log-likelihoods (nats) and what the solve cost. */
    public record Result(double[] logp, SolveStats stats) {
        public double mean() {
            double s = 0;
            for (double v : logp) s += v;
            return s / logp.length;
        }

        /** Standard error of the mean (sample standard deviation / √n); 0 for one row. */
        public double standardError() {
            int n = logp.length;
            if (n < 2) return 0;
            double m = mean(), ss = 0;
            for (double v : logp) ss += (v - m) * (v - m);
            return Math.sqrt(ss / (n - 1) / n);
        }
    }

    private final Arena arena = Arena.ofShared();
    private final VjpField field;
    private final Divergence divergence;
    private final int dim, chunk;
    private final MemorySegment xs, v, u, g, z;
    private final MemorySegment probes; // [probes × capacityRows × D], or null
    private final int capacityRows;
    private final double[] div;

    /** Buffers for solves of up to {@code capacityRows} rows. */
    public LogLikelihood(VjpField field, Divergence divergence, int capacityRows) {
        if (capacityRows < 1) throw new IllegalArgumentException("capacityRows must be ≥ 1");
        this.field = field;
        this.divergence = divergence;
        this.dim = field.dim();
        this.capacityRows = capacityRows;
        this.chunk = Math.max(1, Math.min(field.maxRows(), capacityRows));
        long cd = 4L * chunk * dim;
        xs = arena.allocate(cd, 64);
        v = arena.allocate(cd, 64);
        u = arena.allocate(cd, 64);
        g = arena.allocate(cd, 64);
        z = arena.allocate(4L * capacityRows * (dim + 1), 64);
        probes = divergence.exactTrace() ? null : arena.allocate(4L * divergence.probes() * capacityRows * dim, 64);
        div = new double[chunk];
    }

    /**
     * log p_{t1}(x) for rows of x (rows × D), integrating back from t1 to 0 with {@code solver};
     * sigma0 is the prior's standard deviation (the path's σ at t = 0). Hutchinson probes come
     * from the divergence's seed mixed with {@code batchIndex}, so batches get fresh probes.
     */
    public Result compute(MemorySegment x, int rows, float t1, double sigma0, OdeSolver solver, long batchIndex) {
        if (rows < 1 || rows > capacityRows) throw new IllegalArgumentException("rows " + rows + " not in [1, " + capacityRows + "]");
        if (!(sigma0 > 0)) throw new IllegalArgumentException("sigma0 must be > 0, got " + sigma0);
        int w = dim + 1;
        for (int r = 0; r < rows; r++) {
            MemorySegment.copy(x, 4L * r * dim, z, 4L * r * w, 4L * dim);
            z.setAtIndex(F32, (long) r * w + dim, 0f);
        }
        if (probes != null && solver instanceof Dopri5PerPoint)
            throw new dev.panflow.InvalidParameterException("dopri5-point needs the exact divergence: it moves the running rows"
                    + " together, and Hutchinson's probes are fixed per row of the batch", "solver", "divergence");
        if (probes != null) fillProbes(rows, new Rng(divergence.seed() * 0x9E3779B97F4A7C15L + batchIndex));
        SolveStats stats = solver.solve(augmented, z, rows, t1, 0f);
        double[] logp = new double[rows];
        double s2 = sigma0 * sigma0;
        for (int r = 0; r < rows; r++) {
            double sq = 0;
            for (int j = 0; j < dim; j++) {
                double c = z.getAtIndex(F32, (long) r * w + j);
                sq += c * c;
            }
            double logPrior = -0.5 * dim * (LOG_2PI + Math.log(s2)) - 0.5 * sq / s2;
            logp[r] = logPrior - z.getAtIndex(F32, (long) r * w + dim);
        }
        return new Result(logp, stats);
    }

    private void fillProbes(int rows, Rng rng) {
        long n = (long) rows * dim;
        for (int k = 0; k < divergence.probes(); k++) {
            MemorySegment p = probes.asSlice(4L * k * capacityRows * dim);
            if (divergence.kind() == Divergence.Kind.GAUSSIAN) rng.fillGaussian(p, n, 1f);
            else for (long i = 0; i < n; i++) p.setAtIndex(F32, i, (rng.nextLong() & 1) == 0 ? 1f : -1f);
        }
    }

    /** [x, Δ] ↦ [v_t(x), −div v_t(x)], in chunks the field can backpropagate through. */
    private final VelocityField augmented = new VelocityField() {
        @Override public int dim() { return dim + 1; }

        @Override
        public void eval(float t, MemorySegment zIn, MemorySegment out, int rows) { eval(null, t, zIn, out, rows); }

        /** Row r at time tRows[r] (dopri5-point; exact divergence only: Hutchinson's probes follow the row's place). */
        @Override
        public void evalPerRow(MemorySegment tRows, MemorySegment zIn, MemorySegment out, int rows) { eval(tRows, 0f, zIn, out, rows); }

        private void eval(MemorySegment tRows, float t, MemorySegment zIn, MemorySegment out, int rows) {
            int w = dim + 1;
            for (int r0 = 0; r0 < rows; r0 += chunk) {
                int n = Math.min(chunk, rows - r0);
                for (int r = 0; r < n; r++) MemorySegment.copy(zIn, 4L * (r0 + r) * w, xs, 4L * r * dim, 4L * dim);
                if (tRows == null) field.eval(t, xs, v, n);
                else field.evalPerRow(tRows.asSlice(4L * r0, 4L * n), xs, v, n);
                for (int r = 0; r < n; r++) MemorySegment.copy(v, 4L * r * dim, out, 4L * (r0 + r) * w, 4L * dim);
                java.util.Arrays.fill(div, 0, n, 0.0);
                if (divergence.exactTrace()) exactDivergence(n);
                else hutchinson(r0, n);
                for (int r = 0; r < n; r++) out.setAtIndex(F32, (long) (r0 + r) * w + dim, (float) -div[r]);
            }
        }
    };

    /** div = Σ_i (e_iᵀ ∂v/∂x)_i: one VJP per dimension with a one-hot cotangent. */
    private void exactDivergence(int n) {
        long cells = (long) n * dim;
        for (int i = 0; i < dim; i++) {
            u.asSlice(0, 4 * cells).fill((byte) 0);
            for (int r = 0; r < n; r++) u.setAtIndex(F32, (long) r * dim + i, 1f);
            field.vjp(u, g, n);
            for (int r = 0; r < n; r++) div[r] += g.getAtIndex(F32, (long) r * dim + i);
        }
    }

    /** div ≈ (1/K) Σ_k ε_kᵀ (∂v/∂x) ε_k with each row's fixed probes. */
    private void hutchinson(int r0, int n) {
        int k = divergence.probes();
        for (int p = 0; p < k; p++) {
            MemorySegment eps = probes.asSlice(4L * ((long) p * capacityRows + r0) * dim, 4L * n * dim);
            MemorySegment.copy(eps, 0, u, 0, 4L * n * dim);
            field.vjp(u, g, n);
            for (int r = 0; r < n; r++) {
                double s = 0;
                for (int j = 0; j < dim; j++) {
                    long i = (long) r * dim + j;
                    s += (double) u.getAtIndex(F32, i) * g.getAtIndex(F32, i);
                }
                div[r] += s / k;
            }
        }
    }

    @Override
    public void close() { arena.close(); }
}
