package dev.panflow.bench.kernels;

/**
 * A GEMM problem C[m×n] (+)= op(A)·op(B) with inner dimension k, written "MxNxK".
 * Layout nn: A [m×k], B [k×n]; tn: A stored [k×m]; nt: B stored [n×k].
 */
public record GemmShape(int m, int n, int k) {
    /** Square sizes and the dense layers' real shapes (MLP batch × width, all three layouts' C). */
    public static final String[] DEFAULTS = {
            "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            // dim 2, hidden 512, batch 4096: forward/dx (4096 rows) and the weight gradient (k = batch)
            "4096x512x512", "512x512x4096",
            // dim 784, hidden 1024, batch 256: hidden layers, first layer, its weight gradient and dx
            "256x1024x1024", "256x1024x784", "784x1024x256", "256x784x1024",
            // dim 2, hidden 128, batch 256
            "256x128x128"};

    public static GemmShape parse(String s) {
        String[] p = s.toLowerCase().split("x");
        if (p.length != 3) throw new IllegalArgumentException("shape must be MxNxK: " + s);
        return new GemmShape(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
    }

    public double flops() {
        return 2.0 * m * n * k;
    }

    @Override
    public String toString() {
        return m + "x" + n + "x" + k;
    }
}
