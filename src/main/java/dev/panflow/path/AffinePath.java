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
