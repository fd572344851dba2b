package dev.panflow.api;

/**
 * Sampled points, row-major ({@code n × dim} floats), with the solver's name, its network
 * evaluations (NFE) and accepted/rejected steps (an adaptive solver rejects some), and the
 * seconds the solve took.
 */
public record Samples(float[] values, int n, int dim, String solver, long nfe, long acceptedSteps, long rejectedSteps,
                      double seconds) {
    static Samples of(float[] values, SampleRequest req, int dim, dev.panflow.sampling.Sampler.Result r) {
        return new Samples(values, req.n(), dim, req.solver().id(), r.stats().nfe(), r.stats().acceptedSteps(), r.stats().rejectedSteps(), r.seconds());
    }

    /** The points as rows. */
    public float[][] rows() {
        float[][] out = new float[n][dim];
        for (int r = 0; r < n; r++) System.arraycopy(values, r * dim, out[r], 0, dim);
        return out;
    }
}
