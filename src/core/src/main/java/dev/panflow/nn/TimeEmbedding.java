package dev.panflow.nn;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Features of the time t fed to the velocity network beside x. {@code concat} passes t itself
 * (the PyTorch reference's network); {@code sinusoidal} passes [sin(ω_k t), cos(ω_k t)] with
 * ω_k geometric from 1 to 100 rad per unit time, which lets an MLP bend sharply in t.
 * Time is not a learned input, so there is no backward pass; {@link #jvp} gives the features'
 * derivative along a time tangent (forward mode, for MeanFlow's total derivative).
 */
public final class TimeEmbedding {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private final String kind;
    private final float[] omega;

    private TimeEmbedding(String kind, int frequencies) {
        this.kind = kind;
        this.omega = new float[frequencies];
        for (int k = 0; k < frequencies; k++)
            omega[k] = (float) Math.exp(Math.log(100.0) * k / Math.max(1, frequencies - 1));
    }

    public static TimeEmbedding concat() { return new TimeEmbedding("concat", 0); }

    public static TimeEmbedding sinusoidal(int frequencies) {
        if (frequencies < 1) throw new IllegalArgumentException("frequencies must be ≥ 1");
        return new TimeEmbedding("sinusoidal", frequencies);
    }

    /** Number of features per row. */
    public int width() { return omega.length == 0 ? 1 : 2 * omega.length; }

    public String kind() { return kind; }

    public int frequencies() { return omega.length; }

    /** Writes the features of t into columns [col, col + width()) of row r of a matrix with {@code stride} columns. */
    public void write(float t, MemorySegment dst, long r, int stride, int col) {
        long base = r * stride + col;
        if (omega.length == 0) {
            dst.setAtIndex(F32, base, t);
            return;
        }
        for (int k = 0; k < omega.length; k++) {
            double a = omega[k] * (double) t;
            dst.setAtIndex(F32, base + 2L * k, (float) Math.sin(a));
            dst.setAtIndex(F32, base + 2L * k + 1, (float) Math.cos(a));
        }
    }

    /**
     * Forward mode: the features' tangent for a time tangent {@code dt}, from the features
     * themselves (row r, columns [col, col + width()) of {@code features}) into the same place of
     * {@code dst}: d sin(ωt) = ω cos(ωt)·dt, d cos(ωt) = −ω sin(ωt)·dt; concat: dt.
     */
    public void jvp(MemorySegment features, float dt, MemorySegment dst, long r, int stride, int col) {
        long base = r * stride + col;
        if (omega.length == 0) {
            dst.setAtIndex(F32, base, dt);
            return;
        }
        for (int k = 0; k < omega.length; k++) {
            float s = features.getAtIndex(F32, base + 2L * k), c = features.getAtIndex(F32, base + 2L * k + 1);
            float w = omega[k] * dt;
            dst.setAtIndex(F32, base + 2L * k, w * c);
            dst.setAtIndex(F32, base + 2L * k + 1, -w * s);
        }
    }
}
