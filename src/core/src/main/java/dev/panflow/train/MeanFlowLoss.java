package dev.panflow.train;

import dev.panflow.kernels.Elementwise;
import dev.panflow.nn.FewStepModel;
import dev.panflow.path.AffinePath;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The MeanFlow loss (Geng et al. 2025) in Panflow's time (t = 0 noise, t = 1 data). The network
 * u(z, t, h) is the average velocity from t to e = t + h: h·u(z_t, t, h) = ∫_t^e v(z_τ, τ) dτ.
 * Differentiating in t at fixed e gives the MeanFlow identity u = v + h·du/dt, with the total
 * derivative du/dt = ∂_z u·v + ∂_t u − ∂_h u: the network's JVP along (v, 1, −1), v the
 * conditional velocity of the path. Loss = ‖u − sg(v + h·du/dt)‖² (the target is a constant: the
 * backward pass is the ordinary backward pass of u), each row's error weighted adaptively as in
 * the paper ({@link #adaptiveLossAndGrad}).
 *
 * <p>(t, h) as the paper's best setting (Table 1): two draws from the logit-normal with location
 * −0.4 and scale 1 in the paper's time (1 = noise), the larger is its t and the smaller its r;
 * in 75 % of rows r = t (h = 0, plain flow matching). Here t = 1 − t_paper, h = t_paper − r_paper.
 */
final class MeanFlowLoss {
    static final float LOCATION = -0.4f;
    static final float DISTINCT_FRACTION = 0.25f;
    static final double ADAPTIVE_P = 1, ADAPTIVE_C = 1e-3;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final FewStepModel model;
    private final AffinePath path;
    private final int dim;
    private final Tensor t, h, xt, v, target;

    MeanFlowLoss(FewStepModel model, AffinePath path, int batch, Workspace ws) {
        this.model = model;
        this.path = path;
        this.dim = model.dim();
        t = ws.tensor(batch);
        h = ws.tensor(batch);
        xt = ws.tensor(batch, dim);
        v = ws.tensor(batch, dim);
        target = ws.tensor(batch, dim);
    }

    /** Draws (t, h) for {@code rows} rows: see the class comment. */
    static void drawTimes(Rng rng, MemorySegment t, MemorySegment h, int rows) {
        for (int r = 0; r < rows; r++) {
            double a = sigmoid(LOCATION + rng.nextGaussian()), b = sigmoid(LOCATION + rng.nextGaussian());
            double hi = Math.max(a, b), lo = rng.nextFloat() < DISTINCT_FRACTION ? Math.min(a, b) : hi;
            t.setAtIndex(F32, r, (float) (1 - hi));
            h.setAtIndex(F32, r, (float) (hi - lo));
        }
    }

    private static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }

    /**
     * Forward and forward-mode passes over the batch (x0, x1) of {@code rows} rows (labels: per
     * row for a class-conditional model, else null); writes
     * dL/du = gradScale·2·(u − target) into {@code grad}, leaves the forward pass for the
     * backward one, and returns Σ_rows ‖u − target‖². The forward pass is optimizer step
     * {@code step}'s training pass (its dropout masks, if any, which the JVP then linearises with).
     */
    double lossAndGrad(Rng rng, MemorySegment x0, MemorySegment x1, int[] labels, MemorySegment grad, int rows, float gradScale, long step) {
        drawTimes(rng, t.segment(), h.segment(), rows);
        path.sample(x0, x1, t.segment(), xt.segment(), v.segment(), rows, dim);
        model.trainingPass(step, 0);
        MemorySegment u = model.forward(xt.segment(), t.segment(), h.segment(), labels, rows);
        model.jvp(v.segment(), 1f, -1f, target.segment(), rows);                       // du/dt along (v, 1, −1)
        Elementwise.addScaledRows(v.segment(), target.segment(), h.segment(), target.segment(), rows, dim); // v + h·du/dt
        return adaptiveLossAndGrad(u, target.segment(), grad, rows, dim, gradScale);
    }

    /**
     * The paper's adaptive weight (its §4.3, p = 1, c = 1e-3): row r's squared error ‖Δ_r‖² is
     * weighted by w_r = sg(1/(‖Δ_r‖² + c)^p), so grad_r = gradScale·2·w_r·Δ_r. Without it the
     * JVP's ∂_t through high time frequencies makes targets, and the loss, blow up early on.
     * Returns the unweighted Σ_rows ‖Δ_r‖² (the number logs show).
     */
    static double adaptiveLossAndGrad(MemorySegment u, MemorySegment target, MemorySegment grad, int rows, int dim, float gradScale) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            long base = (long) r * dim;
            double sq = 0;
            for (int j = 0; j < dim; j++) {
                double d = u.getAtIndex(F32, base + j) - (double) target.getAtIndex(F32, base + j);
                sq += d * d;
            }
            total += sq;
            float g = (float) (2.0 * gradScale / Math.pow(sq + ADAPTIVE_C, ADAPTIVE_P));
            for (int j = 0; j < dim; j++) grad.setAtIndex(F32, base + j, g * (u.getAtIndex(F32, base + j) - target.getAtIndex(F32, base + j)));
        }
        return total;
    }
}
