package dev.panflow.api;

/**
 * Sampled points, row-major ({@code n × dim} floats), with the number of network evaluations the
 * solver made (NFE) and the seconds the solve took.
 */
public record Samples(float[] values, int n, int dim, long nfe, double seconds) {
    /** The points as rows. */
    public float[][] rows() {
        float[][] out = new float[n][dim];
        for (int r = 0; r < n; r++) System.arraycopy(values, r * dim, out[r], 0, dim);
        return out;
    }
}
