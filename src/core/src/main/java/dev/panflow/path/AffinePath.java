package dev.panflow.path;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Gaussian conditional path p_t(x|x1) = N(α_t x1, σ_t² I) with flow ψ_t(x0) = σ_t x0 + α_t x1
 * (Theorem 3 of Lipman et al.), and the CFM training pairs built from it.
 * Training times and sampling run over [0, tMax]; tMax < 1 where σ'_t/σ_t is singular at 1.
 */
public final class AffinePath {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private final Scheduler scheduler;
    private final float tMax;

    public AffinePath(Scheduler scheduler, double tMax) {
        if (scheduler == null) throw new IllegalArgumentException("scheduler is null");
        if (!(tMax > 0 && tMax <= 1)) throw new IllegalArgumentException("tMax must be in (0, 1], got " + tMax);
        this.scheduler = scheduler;
        this.tMax = (float) tMax;
    }

    public Scheduler scheduler() { return scheduler; }

    public String name() { return scheduler.name(); }

    /** Upper end of training times and of sampling. */
    public float tMax() { return tMax; }

    /** σ_0: the noise is drawn from p0 = N(0, noiseStd² I). */
    public float noiseStd() { return (float) scheduler.sigma(0); }

    /**
     * One CFM batch. For each row r at time t[r]: xt = σ_t x0 + α_t x1 and
     * ut = d/dt ψ_t(x0) = σ'_t x0 + α'_t x1, with x0 ~ N(0, I) standard (σ_t scales it; the
     * sampler instead starts from N(0, noiseStd² I)). All segments are row-major [rows×dim]
     * floats (t is [rows]); xt and ut must not alias the inputs. Allocation-free.
     */
    public void sample(MemorySegment x0, MemorySegment x1, MemorySegment t, MemorySegment xt, MemorySegment ut,
                       int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            double tr = t.getAtIndex(F32, r);
            double a = scheduler.alpha(tr), da = scheduler.dAlpha(tr);
            double s = scheduler.sigma(tr), ds = scheduler.dSigma(tr);
            long base = (long) r * dim;
            for (int j = 0; j < dim; j++) {
                long i = base + j;
                double n0 = x0.getAtIndex(F32, i), d1 = x1.getAtIndex(F32, i);
                xt.setAtIndex(F32, i, (float) (s * n0 + a * d1));
                ut.setAtIndex(F32, i, (float) (ds * n0 + da * d1));
            }
        }
    }

    /**
     * The training step's half of {@link #sample}: writes xt = σ_t x0 + α_t x1 and, per row, the
     * target's coefficients (σ'_t, α'_t) as two doubles into {@code coef} (16 bytes a row), so
     * that {@link #lossAndGrad} builds the target u_t on the fly instead of storing it.
     */
    public void sampleInputs(MemorySegment x0, MemorySegment x1, MemorySegment t, MemorySegment xt, MemorySegment coef,
                             int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            double tr = t.getAtIndex(F32, r);
            double a = scheduler.alpha(tr), s = scheduler.sigma(tr);
            coef.setAtIndex(F64, 2L * r, scheduler.dSigma(tr));
            coef.setAtIndex(F64, 2L * r + 1, scheduler.dAlpha(tr));
            long base = (long) r * dim;
            for (int j = 0; j < dim; j++) {
                long i = base + j;
                xt.setAtIndex(F32, i, (float) (s * x0.getAtIndex(F32, i) + a * x1.getAtIndex(F32, i)));
            }
        }
    }

    /**
     * The CFM loss of a batch fused with the target's construction: with u = σ'_t x0 + α'_t x1
     * (rounded to float exactly as {@link #sample} writes ut), returns Σ_rows ‖v − u‖² in double
     * and writes grad = gradScale·2·(v − u). {@code coef} comes from {@link #sampleInputs}.
     */
    public static double lossAndGrad(MemorySegment v, MemorySegment x0, MemorySegment x1, MemorySegment coef,
                                     MemorySegment grad, int rows, int dim, float gradScale) {
        float g2 = 2f * gradScale;
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double ds = coef.getAtIndex(F64, 2L * r), da = coef.getAtIndex(F64, 2L * r + 1);
            long base = (long) r * dim;
            for (int j = 0; j < dim; j++) {
                long i = base + j;
                float u = (float) (ds * x0.getAtIndex(F32, i) + da * x1.getAtIndex(F32, i));
                float d = v.getAtIndex(F32, i) - u;
                total += (double) d * d;
                grad.setAtIndex(F32, i, g2 * d);
            }
        }
        return total;
    }

    /**
     * Theorem 3, one coordinate: u_t(x|x1) = σ'_t/σ_t·(x − α_t x1) + α'_t x1.
     * Needs σ_t > 0 (t < 1 for VP, cosine and poly).
     */
    public double conditionalVelocity(double x, double x1, double t) {
        double a = scheduler.alpha(t);
        return scheduler.dSigma(t) / scheduler.sigma(t) * (x - a * x1) + scheduler.dAlpha(t) * x1;
    }

    @Override
    public String toString() {
        return "AffinePath[" + scheduler + ", tMax=" + tMax + "]";
    }
}
