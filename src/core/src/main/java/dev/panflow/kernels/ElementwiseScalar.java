package dev.panflow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain-loop reference twin of {@link Elementwise}: same signatures and semantics. */
public final class ElementwiseScalar {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ElementwiseScalar() {}

    private static float get(MemorySegment s, long i) { return s.getAtIndex(F, i); }
    private static void set(MemorySegment s, long i, float v) { s.setAtIndex(F, i, v); }

    /** y[r,c] += bias[c]. */
    public static void addBias(MemorySegment y, MemorySegment bias, int rows, int cols) {
        addBias(y, bias, 0, rows, cols);
    }

    /** y[r,c] += bias[c] for rows [rowFrom, rowTo). */
    public static void addBias(MemorySegment y, MemorySegment bias, int rowFrom, int rowTo, int cols) {
        for (int r = rowFrom; r < rowTo; r++)
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                set(y, i, get(y, i) + get(bias, c));
            }
    }

    /** out[c] (+)= Σ_r dy[r,c]. */
    public static void sumRows(MemorySegment dy, MemorySegment out, int rows, int cols, boolean accumulate) {
        for (int c = 0; c < cols; c++) {
            float s = accumulate ? get(out, c) : 0f;
            for (int r = 0; r < rows; r++) s += get(dy, (long) r * cols + c);
            set(out, c, s);
        }
    }

    static float sigmoid(float x) { return (float) (1.0 / (1.0 + Math.exp(-x))); }

    /** y = x·sigmoid(x). */
    public static void silu(MemorySegment x, MemorySegment y, long n) {
        for (long i = 0; i < n; i++) {
            float v = get(x, i);
            set(y, i, v * sigmoid(v));
        }
    }

    /** dx = dy·s·(1 + x·(1−s)), s = sigmoid(x): the derivative of x·s(x). */
    public static void siluBackward(MemorySegment x, MemorySegment dy, MemorySegment dx, long n) {
        for (long i = 0; i < n; i++) {
            float v = get(x, i), s = sigmoid(v);
            set(dx, i, get(dy, i) * s * (1f + v * (1f - s)));
        }
    }

    /** gate = sigmoid(x), y = x·gate. */
    public static void siluWithGate(MemorySegment x, MemorySegment gate, MemorySegment y, long n) {
        for (long i = 0; i < n; i++) {
            float v = get(x, i), s = sigmoid(v);
            set(gate, i, s);
            set(y, i, v * s);
        }
    }

    /** dx = dy·s·(1 + x·(1−s)) from x and its gate s = sigmoid(x). */
    public static void siluBackwardWithGate(MemorySegment x, MemorySegment gate, MemorySegment dy, MemorySegment dx, long n) {
        for (long i = 0; i < n; i++) {
            float v = get(x, i), s = get(gate, i);
            set(dx, i, get(dy, i) * s * (1f + v * (1f - s)));
        }
    }

    /** y[r,c] += bias[c]; out[r,c] = silu(y[r,c]) for rows [rowFrom, rowTo). */
    public static void biasSilu(MemorySegment y, MemorySegment bias, MemorySegment out, int rowFrom, int rowTo, int cols) {
        for (int r = rowFrom; r < rowTo; r++)
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                float v = get(y, i) + get(bias, c);
                set(y, i, v);
                set(out, i, v * sigmoid(v));
            }
    }

    /** y[r,c] ← s = sigmoid(y[r,c] + bias[c]); out[r,c] = (y[r,c] + bias[c])·s for rows [rowFrom, rowTo). */
    public static void biasSiluGate(MemorySegment y, MemorySegment bias, MemorySegment out, int rowFrom, int rowTo, int cols) {
        for (int r = rowFrom; r < rowTo; r++)
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                float v = get(y, i) + get(bias, c), s = sigmoid(v);
                set(y, i, s);
                set(out, i, v * s);
            }
    }

    /** dx = dy·(s + y·(1−s)) from the gate s = sigmoid(x) and the output y = x·s. */
    public static void siluBackwardGate(MemorySegment gate, MemorySegment y, MemorySegment dy, MemorySegment dx, long n) {
        for (long i = 0; i < n; i++) {
            float s = get(gate, i);
            set(dx, i, get(dy, i) * (s + get(y, i) * (1f - s)));
        }
    }

    public static void add(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) set(out, i, get(a, i) + get(b, i));
    }

    /** x[p, j] += v[p] for planes p < planes of hw values each. */
    public static void addPlanes(MemorySegment x, MemorySegment v, int planes, int hw) {
        for (int p = 0; p < planes; p++)
            for (int j = 0; j < hw; j++) {
                long i = (long) p * hw + j;
                set(x, i, get(x, i) + get(v, p));
            }
    }

    /** out[p] = Σ_j x[p, j] (in double). */
    public static void sumPlanes(MemorySegment x, MemorySegment out, int planes, int hw) {
        for (int p = 0; p < planes; p++) {
            double s = 0;
            for (int j = 0; j < hw; j++) s += get(x, (long) p * hw + j);
            set(out, p, (float) s);
        }
    }

    public static void sub(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) set(out, i, get(a, i) - get(b, i));
    }

    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, long n) {
        mul(a, b, out, 0, n);
    }

    public static void mul(MemorySegment a, MemorySegment b, MemorySegment out, long from, long to) {
        for (long i = from; i < to; i++) set(out, i, get(a, i) * get(b, i));
    }

    public static void scale(MemorySegment x, float s, MemorySegment out, long n) {
        for (long i = 0; i < n; i++) set(out, i, get(x, i) * s);
    }

    /** y += alpha·x. */
    public static void axpy(float alpha, MemorySegment x, MemorySegment y, long n) {
        for (long i = 0; i < n; i++) set(y, i, get(y, i) + alpha * get(x, i));
    }

    public static void fill(MemorySegment x, float v, long n) {
        for (long i = 0; i < n; i++) set(x, i, v);
    }

    public static void copy(MemorySegment src, MemorySegment dst, long n) {
        for (long i = 0; i < n; i++) set(dst, i, get(src, i));
    }

    public static double sum(MemorySegment x, long n) {
        double s = 0;
        for (long i = 0; i < n; i++) s += get(x, i);
        return s;
    }

    public static double sumSquares(MemorySegment x, long n) {
        double s = 0;
        for (long i = 0; i < n; i++) { double v = get(x, i); s += v * v; }
        return s;
    }

    public static double dot(MemorySegment a, MemorySegment b, long n) {
        double s = 0;
        for (long i = 0; i < n; i++) s += (double) get(a, i) * get(b, i);
        return s;
    }

    /** out = x + Σ_{t<terms} coef[t]·ks[t]. */
    public static void linComb(MemorySegment out, MemorySegment x, float[] coef, MemorySegment[] ks, int terms, long n) {
        for (long i = 0; i < n; i++) {
            float s = get(x, i);
            for (int t = 0; t < terms; t++) s += coef[t] * get(ks[t], i);
            set(out, i, s);
        }
    }

    /** avg = decay·avg + (1−decay)·x. */
    public static void ema(MemorySegment avg, MemorySegment x, float decay, long n) {
        for (long i = 0; i < n; i++) set(avg, i, decay * get(avg, i) + (1f - decay) * get(x, i));
    }

    /** Returns Σ(pred−target)²; grad = gradScale·2·(pred−target). */
    public static double squaredErrorGrad(MemorySegment pred, MemorySegment target, MemorySegment grad, long n, float gradScale) {
        double s = 0;
        for (long i = 0; i < n; i++) {
            float d = get(pred, i) - get(target, i);
            s += (double) d * d;
            set(grad, i, gradScale * 2f * d);
        }
        return s;
    }

    /** out[r,c] = base[r,c] + scale[r]·slope[r,c]. */
    public static void addScaledRows(MemorySegment base, MemorySegment slope, MemorySegment scale, MemorySegment out, int rows, int cols) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                set(out, i, Math.fma(get(slope, i), get(scale, r), get(base, i)));
            }
    }

    /** y[r, c] += table[index[r], c] for r &lt; rows. */
    public static void addIndexedRows(MemorySegment y, MemorySegment table, int[] index, int rows, int cols) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                set(y, i, get(y, i) + get(table, (long) index[r] * cols + c));
            }
    }

    /** table[index[r], c] += x[r, c], rows in increasing order. */
    public static void scatterAddRows(MemorySegment table, MemorySegment x, int[] index, int rows, int cols) {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                long i = (long) index[r] * cols + c;
                set(table, i, get(table, i) + get(x, (long) r * cols + c));
            }
    }
}
