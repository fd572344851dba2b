package dev.panflow.nn;

import dev.panflow.UserError;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Group normalisation (Wu and He 2018) over NCHW: per image and group of C/G channels,
 * x̂ = (x − μ)/√(σ² + ε), y = γ_c x̂ + β_c. Backward:
 * dx = (1/√(σ² + ε)) · (g − mean(g) − x̂ · mean(g x̂)) with g = γ_c dy, means over the group.
 * Mean and 1/σ of the last forward pass are kept for the backward pass (sums in double).
 */
public final class GroupNorm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final double EPS = 1e-5;
    public final int channels, groups, hw;
    public final Param gamma, beta;
    private double[] mean = new double[0], rstd = new double[0];

    public GroupNorm(ParamStore store, String name, int channels, int groups, int hw) {
        if (groups < 1 || channels % groups != 0)
            throw new UserError("group norm: " + channels + " channels do not split into " + groups + " groups");
        this.channels = channels;
        this.groups = groups;
        this.hw = hw;
        this.gamma = store.declare(name + ".weight", channels);
        this.beta = store.declare(name + ".bias", channels);
    }

    public void init() {
        gamma.value().fill(1f);
        beta.value().zero();
    }

    public void forward(MemorySegment x, MemorySegment y, int n) {
        if (mean.length < n * groups) {
            mean = new double[n * groups];
            rstd = new double[n * groups];
        }
        int cg = channels / groups;
        long m = (long) cg * hw;
        MemorySegment gv = gamma.value().segment(), bv = beta.value().segment();
        for (int i = 0; i < n; i++)
            for (int g = 0; g < groups; g++) {
                long base = ((long) i * channels + (long) g * cg) * hw;
                double s = 0, ss = 0;
                for (long p = 0; p < m; p++) {
                    double v = x.getAtIndex(F, base + p);
                    s += v;
                    ss += v * v;
                }
                double mu = s / m, var = Math.max(0, ss / m - mu * mu), r = 1 / Math.sqrt(var + EPS);
                mean[i * groups + g] = mu;
                rstd[i * groups + g] = r;
                for (int c = 0; c < cg; c++) {
                    int ch = g * cg + c;
                    float a = (float) (gv.getAtIndex(F, ch) * r);
                    float b = (float) (bv.getAtIndex(F, ch) - mu * gv.getAtIndex(F, ch) * r);
                    long o = base + (long) c * hw;
                    for (int p = 0; p < hw; p++) y.setAtIndex(F, o + p, a * x.getAtIndex(F, o + p) + b);
                }
            }
    }

    /**
     * Forward mode through the last forward pass (its input x): for an input tangent ẋ,
     * ẏ = γ_c·r·(ẋ − mean(ẋ) − x̂·mean(x̂ ẋ)), means over the group, r = 1/√(σ² + ε).
     */
    public void jvp(MemorySegment x, MemorySegment dx, MemorySegment dy, int n) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        MemorySegment gv = gamma.value().segment();
        for (int i = 0; i < n; i++)
            for (int g = 0; g < groups; g++) {
                long base = ((long) i * channels + (long) g * cg) * hw;
                double mu = mean[i * groups + g], r = rstd[i * groups + g];
                double s = 0, sx = 0;
                for (long p = 0; p < m; p++) {
                    double d = dx.getAtIndex(F, base + p);
                    s += d;
                    sx += d * (x.getAtIndex(F, base + p) - mu) * r;
                }
                double md = s / m, mdx = sx / m;
                for (int c = 0; c < cg; c++) {
                    double gr = gv.getAtIndex(F, g * cg + c) * r;
                    long o = base + (long) c * hw;
                    for (int p = 0; p < hw; p++) {
                        double xh = (x.getAtIndex(F, o + p) - mu) * r;
                        dy.setAtIndex(F, o + p, (float) (gr * (dx.getAtIndex(F, o + p) - md - xh * mdx)));
                    }
                }
            }
    }

    /** Given the forward input x and dL/dy: overwrites dγ, dβ and writes dL/dx. */
    public void backward(MemorySegment x, MemorySegment dy, MemorySegment dx, int n) {
        int cg = channels / groups;
        long m = (long) cg * hw;
        MemorySegment gv = gamma.value().segment(), dg = gamma.grad().segment(), db = beta.grad().segment();
        gamma.grad().zero();
        beta.grad().zero();
        for (int i = 0; i < n; i++)
            for (int g = 0; g < groups; g++) {
                long base = ((long) i * channels + (long) g * cg) * hw;
                double mu = mean[i * groups + g], r = rstd[i * groups + g];
                double sumG = 0, sumGx = 0;
                for (int c = 0; c < cg; c++) {
                    int ch = g * cg + c;
                    long o = base + (long) c * hw;
                    double s1 = 0, s2 = 0;
                    for (int p = 0; p < hw; p++) {
                        double d = dy.getAtIndex(F, o + p), xh = (x.getAtIndex(F, o + p) - mu) * r;
                        s1 += d;
                        s2 += d * xh;
                    }
                    double gm = gv.getAtIndex(F, ch);
                    db.setAtIndex(F, ch, (float) (db.getAtIndex(F, ch) + s1));
                    dg.setAtIndex(F, ch, (float) (dg.getAtIndex(F, ch) + s2));
                    sumG += gm * s1;
                    sumGx += gm * s2;
                }
                double mg = sumG / m, mgx = sumGx / m;
                for (int c = 0; c < cg; c++) {
                    int ch = g * cg + c;
                    double gm = gv.getAtIndex(F, ch);
                    long o = base + (long) c * hw;
                    for (int p = 0; p < hw; p++) {
                        double xh = (x.getAtIndex(F, o + p) - mu) * r;
                        dx.setAtIndex(F, o + p, (float) (r * (gm * dy.getAtIndex(F, o + p) - mg - xh * mgx)));
                    }
                }
            }
    }
}
