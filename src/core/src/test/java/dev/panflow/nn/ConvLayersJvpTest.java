package dev.panflow.nn;

import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Forward mode of the U-Net's layers (Conv2d, GroupNorm, Upsample2x) against central finite differences of their forward passes. */
class ConvLayersJvpTest {
    static final double EPS = 1e-2;

    /** fd = (f(x + εẋ) − f(x − εẋ)) / 2ε; {@code f} writes f(first) into second. */
    static double[] centralDiff(Workspace ws, Tensor x, Tensor dx, long outSize, BiConsumer<MemorySegment, MemorySegment> f) {
        long n = x.size();
        Tensor xp = ws.tensor((int) (n)), up = ws.tensor((int) (outSize)), dn = ws.tensor((int) (outSize));
        for (long i = 0; i < n; i++) xp.segment().setAtIndex(JvpTest.F, i, (float) (x.get(i) + EPS * dx.get(i)));
        f.accept(xp.segment(), up.segment());
        for (long i = 0; i < n; i++) xp.segment().setAtIndex(JvpTest.F, i, (float) (x.get(i) - EPS * dx.get(i)));
        f.accept(xp.segment(), dn.segment());
        double[] fd = new double[(int) outSize];
        for (int i = 0; i < fd.length; i++) fd[i] = (up.get(i) - (double) dn.get(i)) / (2 * EPS);
        return fd;
    }

    @ParameterizedTest
    @CsvSource({"1,3,4,3,1,6,5", "2,2,5,3,2,7,7", "1,4,2,1,1,3,9"})
    void conv2dJvpMatchesFiniteDifferences(int n, int in, int out, int k, int stride, int h, int w) {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            ParamStore ps = new ParamStore();
            Conv2d c = new Conv2d(ps, conv, "c", in, out, k, stride, k / 2, h, w);
            ps.allocate(ws.arena());
            Rng rng = new Rng(2);
            c.init(rng);
            long outSize = (long) n * out * c.outH() * c.outW();
            Tensor x = ws.tensor((int) ((long) n * in * h * w)), dx = ws.tensor((int) (x.size())), j = ws.tensor((int) (outSize));
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillGaussian(dx.segment(), dx.size(), 1f);
            c.jvp(dx.segment(), j.segment(), n);
            JvpTest.assertMatches("conv2d", j.toArray(), centralDiff(ws, x, dx, outSize, (a, b) -> c.forward(a, b, n)), 1e-2);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,4,2,9", "2,6,3,5", "3,8,8,3", "2,8,2,1"})
    void groupNormJvpMatchesFiniteDifferences(int n, int channels, int groups, int hw) {
        try (Workspace ws = new Workspace()) {
            ParamStore ps = new ParamStore();
            GroupNorm g = new GroupNorm(ps, "g", channels, groups, hw);
            ps.allocate(ws.arena());
            Rng rng = new Rng(3);
            rng.fillUniform(g.gamma.value().segment(), channels, 0.5f, 1.5f);
            rng.fillUniform(g.beta.value().segment(), channels, -0.5f, 0.5f);
            long size = (long) n * channels * hw;
            Tensor x = ws.tensor((int) (size)), dx = ws.tensor((int) (size)), y = ws.tensor((int) (size)), j = ws.tensor((int) (size));
            rng.fillGaussian(x.segment(), size, 2f);
            rng.fillGaussian(dx.segment(), size, 1f);
            double[] fd = centralDiff(ws, x, dx, size, (a, b) -> g.forward(a, b, n));
            g.forward(x.segment(), y.segment(), n);   // the pass jvp differentiates
            g.jvp(x.segment(), dx.segment(), j.segment(), n);
            JvpTest.assertMatches("groupnorm", j.toArray(), fd, 2e-2);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,2,5", "2,4,3"})
    void upsampleJvpMatchesFiniteDifferences(int planes, int h, int w) {
        try (Workspace ws = new Workspace()) {
            Rng rng = new Rng(4);
            long size = (long) planes * h * w, outSize = 4 * size;
            Tensor x = ws.tensor((int) (size)), dx = ws.tensor((int) (size)), j = ws.tensor((int) (outSize));
            rng.fillGaussian(x.segment(), size, 1f);
            rng.fillGaussian(dx.segment(), size, 1f);
            Upsample2x.jvp(dx.segment(), j.segment(), planes, h, w);
            JvpTest.assertMatches("upsample", j.toArray(), centralDiff(ws, x, dx, outSize, (a, b) -> Upsample2x.forward(a, b, planes, h, w)), 1e-3);
        }
    }

    /** The residual block along (ẋ, ė), both skips (identity and 1×1 conv); conv2 randomised (it starts at zero). */
    @ParameterizedTest
    @CsvSource({"2,4,4,5,4,2", "1,2,6,3,6,2"})
    void resBlockJvpMatchesFiniteDifferences(int n, int in, int out, int h, int w, int groups) {
        int tdim = 5;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            ParamStore ps = new ParamStore();
            ResBlock b = new ResBlock(ps, conv, pool, "b", in, out, h, w, tdim, groups);
            ps.allocate(ws.arena());
            Rng rng = new Rng(6);
            b.init(rng);
            rng.fillUniform(ps.values().segment(), ps.flatSize(), -0.4f, 0.4f);   // every weight nonzero, conv2 included
            b.reserve(ws, n);
            long inSize = (long) n * in * h * w, outSize = (long) n * out * h * w;
            Tensor x = ws.tensor((int) inSize), dx = ws.tensor((int) inSize), e = ws.tensor(n * tdim), de = ws.tensor(n * tdim);
            Tensor j = ws.tensor((int) outSize), xp = ws.tensor((int) inSize), ep = ws.tensor(n * tdim);
            rng.fillGaussian(x.segment(), inSize, 1f);
            rng.fillGaussian(dx.segment(), inSize, 1f);
            rng.fillGaussian(e.segment(), n * tdim, 1f);
            rng.fillGaussian(de.segment(), n * tdim, 1f);
            double[][] f = new double[2][];
            for (int side = 0; side < 2; side++) {
                double s = side == 0 ? EPS : -EPS;
                for (long i = 0; i < inSize; i++) xp.segment().setAtIndex(JvpTest.F, i, (float) (x.get(i) + s * dx.get(i)));
                for (long i = 0; i < n * tdim; i++) ep.segment().setAtIndex(JvpTest.F, i, (float) (e.get(i) + s * de.get(i)));
                MemorySegment o = b.forward(xp.segment(), ep.segment(), n);
                f[side] = new double[(int) outSize];
                for (int i = 0; i < outSize; i++) f[side][i] = o.getAtIndex(JvpTest.F, i);
            }
            double[] fd = new double[(int) outSize];
            for (int i = 0; i < fd.length; i++) fd[i] = (f[0][i] - f[1][i]) / (2 * EPS);
            b.forward(x.segment(), e.segment(), n);
            b.jvp(x.segment(), dx.segment(), de.segment(), j.segment(), n);
            JvpTest.assertMatches("resblock " + in + "→" + out, j.toArray(), fd, 3e-2);
        }
    }

    /** Through a training pass's dropout mask (fixed by its key): forward mode against finite differences of that pass. */
    @ParameterizedTest
    @CsvSource({"2,4,4,5,4,2", "1,2,6,3,6,2"})
    void resBlockJvpThroughADropoutMask(int n, int in, int out, int h, int w, int groups) {
        int tdim = 5;
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            ParamStore ps = new ParamStore();
            ResBlock b = new ResBlock(ps, conv, pool, "b", in, out, h, w, tdim, groups);
            ps.allocate(ws.arena());
            Rng rng = new Rng(16);
            b.init(rng);
            rng.fillUniform(ps.values().segment(), ps.flatSize(), -0.4f, 0.4f);
            b.enableDropout(0.3f, 2, 1, pool);
            b.reserve(ws, n);
            long inSize = (long) n * in * h * w, outSize = (long) n * out * h * w;
            Tensor x = ws.tensor((int) inSize), dx = ws.tensor((int) inSize), e = ws.tensor(n * tdim), de = ws.tensor(n * tdim);
            Tensor j = ws.tensor((int) outSize), jPlain = ws.tensor((int) outSize), xp = ws.tensor((int) inSize), ep = ws.tensor(n * tdim);
            rng.fillGaussian(x.segment(), inSize, 1f);
            rng.fillGaussian(dx.segment(), inSize, 1f);
            rng.fillGaussian(e.segment(), n * tdim, 1f);
            rng.fillGaussian(de.segment(), n * tdim, 1f);
            double[][] f = new double[2][];
            for (int side = 0; side < 2; side++) {
                double s = side == 0 ? EPS : -EPS;
                for (long i = 0; i < inSize; i++) xp.segment().setAtIndex(JvpTest.F, i, (float) (x.get(i) + s * dx.get(i)));
                for (long i = 0; i < n * tdim; i++) ep.segment().setAtIndex(JvpTest.F, i, (float) (e.get(i) + s * de.get(i)));
                MemorySegment o = b.forwardTraining(xp.segment(), ep.segment(), n, 9, 3);
                f[side] = new double[(int) outSize];
                for (int i = 0; i < outSize; i++) f[side][i] = o.getAtIndex(JvpTest.F, i);
            }
            double[] fd = new double[(int) outSize];
            for (int i = 0; i < fd.length; i++) fd[i] = (f[0][i] - f[1][i]) / (2 * EPS);
            b.forward(x.segment(), e.segment(), n);
            b.jvp(x.segment(), dx.segment(), de.segment(), jPlain.segment(), n);
            b.forwardTraining(x.segment(), e.segment(), n, 9, 3);
            b.jvp(x.segment(), dx.segment(), de.segment(), j.segment(), n);
            JvpTest.assertMatches("resblock+dropout " + in + "→" + out, j.toArray(), fd, 3e-2);
            org.junit.jupiter.api.Assertions.assertTrue(j.segment().mismatch(jPlain.segment()) >= 0, "the mask changed no tangent");
        }
    }
}
