package dev.panflow.api;

/**
 * Sampled points, row-major ({@code n × dim} floats), with the solver's name, its network
 * evaluations (NFE) and accepted/rejected steps (an adaptive solver rejects some), and the
 * seconds the solve took.
 */
public record Samples(float[] values, int n, int dim, String solver, long nfe, long acceptedSteps, long rejectedSteps,
                      double seconds, double nfeMeanPerPoint, long nfeMaxPerPoint, int unfinishedPoints) {
    /**
     * Every point evaluated at every call (NFE per point = nfe). For dopri5-point the last three
     * say what each point cost (nfe is then its batched calls) and how many points stopped
     * before the end (its step bound).
     */
    public Samples(float[] values, int n, int dim, String solver, long nfe, long acceptedSteps, long rejectedSteps, double seconds) {
        this(values, n, dim, solver, nfe, acceptedSteps, rejectedSteps, seconds, nfe, nfe, 0);
    }

    static Samples of(float[] values, SampleRequest req, int dim, dev.panflow.sampling.Sampler.Result r) {
        dev.panflow.ode.SolveStats st = r.stats();
        return new Samples(values, req.n(), dim, req.solver().id(), st.nfe(), st.acceptedSteps(), st.rejectedSteps(), r.seconds(),
                st.nfeMeanPerPoint(), st.nfeMaxPerPoint(), st.unfinishedPoints());
    }

    /** Network row evaluations over all points: n × mean NFE per point. */
    public long pointEvaluations() { return Math.round(n * nfeMeanPerPoint); }

    /** The points as rows. */
    public float[][] rows() {
        float[][] out = new float[n][dim];
        for (int r = 0; r < n; r++) System.arraycopy(values, r * dim, out[r], 0, dim);
        return out;
    }
}
