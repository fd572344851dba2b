package dev.panflow.cli;

import dev.panflow.api.Samples;
import dev.panflow.data.Checkerboard;
import dev.panflow.data.DataSource;
import dev.panflow.data.SampleDistance;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Sample quality against a data set: energy distance, sliced W2 and (checkerboard) on-square fraction. */
record Quality(double energy, double slicedW2, double onSquare, long nfe) {
    /** Compares samples drawn with {@code seed} with as many fresh data draws. */
    static Quality of(Samples samples, DataSource data, long seed) {
        int n = samples.n();
        try (Workspace ws = new Workspace()) {
            Tensor s = ws.tensor(n, data.dim());
            MemorySegment.copy(samples.values(), 0, s.segment(), ValueLayout.JAVA_FLOAT, 0, samples.values().length);
            Tensor ref = ws.tensor(n, data.dim());
            data.sample(new Rng(seed ^ 0x2545F4914F6CDD1DL), ref.segment(), n);
            double on = data.name().equals("checkerboard") && data.dim() == 2 ? Checkerboard.onFraction(s.segment(), n) : Double.NaN;
            double e = SampleDistance.energy(s.segment(), n, ref.segment(), n, data.dim());
            double sw = SampleDistance.slicedWasserstein(s.segment(), n, ref.segment(), n, data.dim(), 64, seed);
            return new Quality(e, sw, on, samples.nfe());
        }
    }

    /** Energy distance and sliced W2 of the data against itself (two independent draws): the noise floor. */
    static Quality floor(DataSource data, int n, long seed) {
        try (Workspace ws = new Workspace()) {
            Tensor a = ws.tensor(n, data.dim()), b = ws.tensor(n, data.dim());
            data.sample(new Rng(seed), a.segment(), n);
            data.sample(new Rng(seed + 1), b.segment(), n);
            return new Quality(SampleDistance.energy(a.segment(), n, b.segment(), n, data.dim()),
                    SampleDistance.slicedWasserstein(a.segment(), n, b.segment(), n, data.dim(), 64, seed), 1, 0);
        }
    }

    String format() {
        return Double.isNaN(onSquare) ? String.format("energy %.4f  SW2 %.4f", energy, slicedW2)
                : String.format("energy %.4f  SW2 %.4f  on-square %.3f", energy, slicedW2, onSquare);
    }
}
