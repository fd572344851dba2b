package dev.panflow.train;

import dev.panflow.UserError;
import dev.panflow.tensor.Rng;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How training draws t ∈ [0, t_max): uniform (the paper), or logit-normal, t = t_max·σ(z) with
 * z ~ N(0, 1) (Esser et al. 2024), which spends more of the batch at mid times where the
 * marginal field is hardest to learn and less at the ends, where it is nearly linear.
 */
public enum TimeSampling {
    UNIFORM("uniform"),
    LOGIT_NORMAL("logit-normal");

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public final String flag;

    TimeSampling(String flag) { this.flag = flag; }

    public static TimeSampling byName(String name) {
        for (TimeSampling s : values()) if (s.flag.equals(name)) return s;
        throw new UserError("unknown --time-sampling '" + name + "'; choose uniform or logit-normal");
    }

    /** Fills t[0, n) with draws in [0, tMax). */
    public void fill(Rng rng, MemorySegment t, int n, float tMax) {
        if (this == UNIFORM) {
            rng.fillUniform(t, n, 0f, tMax);
            return;
        }
        for (int i = 0; i < n; i++) {
            double sig = 1.0 / (1.0 + Math.exp(-rng.nextGaussian()));
            t.setAtIndex(F32, i, (float) Math.min(tMax * sig, Math.nextDown(tMax)));
        }
    }
}
