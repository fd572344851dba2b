package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of the image layers: L = Σ w·y with random w. */
class ConvLayersTest {
    static Tensor rand(Workspace ws, Rng rng, float lo, float hi, int... shape) {
        Tensor t = ws.tensor(shape);
        rng.fillUniform(t.segment(), t.size(), lo, hi);
        return t;
    }

    @Test
    void conv2dGradients() {
        for (int stride : new int[] {1, 2})
            try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
                Rng rng = new Rng(stride);
                ParamStore ps = new ParamStore();
                Conv2d c = new Conv2d(ps, conv, "c", 3, 4, 3, stride, 1, 6, 5);
                ps.allocate(ws.arena());
                c.init(rng);
                int n = 2;
                Tensor x = rand(ws, rng, -1, 1, n, 3, 6, 5), y = ws.tensor(n, 4, c.outH(), c.outW());
                Tensor w = rand(ws, rng, -1, 1, n, 4, c.outH(), c.outW()), dx = ws.tensor(n, 3, 6, 5);
                c.forward(x.segment(), y.segment(), n);
                c.backward(x.segment(), w.segment(), dx.segment(), n);
                Runnable fwd = () -> c.forward(x.segment(), y.segment(), n);
                var loss = loss(fwd, y, w);
                GradCheck.check("conv weight", c.weight.value().segment(), c.weight.grad().segment(), c.weight.size(), 40, loss);
                GradCheck.check("conv bias", c.bias.value().segment(), c.bias.grad().segment(), 4, 4, loss);
                GradCheck.check("conv x", x.segment(), dx.segment(), x.size(), 40, loss);
            }
    }

    @Test
    void upsampleGradientsAndValues() {
        try (Workspace ws = new Workspace()) {
            Rng rng = new Rng(1);
            Tensor x = rand(ws, rng, -1, 1, 2, 3, 5), y = ws.tensor(2, 6, 10), w = rand(ws, rng, -1, 1, 2, 6, 10), dx = ws.tensor(2, 3, 5);
            Upsample2x.forward(x.segment(), y.segment(), 2, 3, 5);
            assertEquals(x.get(5 + 2), y.get(2 * 10 + 4));   // (row 1, col 2) → (row 2, col 4)
            assertEquals(x.get(5 + 2), y.get(3 * 10 + 5));   // … and (row 3, col 5)
            assertEquals(x.get(15), y.get(60));              // second plane
            Upsample2x.backward(w.segment(), dx.segment(), 2, 3, 5);
            GradCheck.check("upsample x", x.segment(), dx.segment(), x.size(), 30,
                    loss(() -> Upsample2x.forward(x.segment(), y.segment(), 2, 3, 5), y, w));
        }
    }

    /** Every output is its source pixel's bits; backward is the 2×2 sum in row order, bitwise; odd widths included. */
    @Test
    void upsampleIsExactOnRaggedPlanes() {
        for (int[] hw : new int[][] {{1, 1}, {3, 5}, {7, 7}, {4, 14}})
            try (Workspace ws = new Workspace()) {
                int h = hw[0], w = hw[1], planes = 3;
                Rng rng = new Rng(h * 31 + w);
                Tensor x = rand(ws, rng, -4, 4, planes, h, w), y = ws.tensor(planes, 2 * h, 2 * w);
                Tensor dy = rand(ws, rng, -4, 4, planes, 2 * h, 2 * w), dx = ws.tensor(planes, h, w);
                Upsample2x.forward(x.segment(), y.segment(), planes, h, w);
                Upsample2x.backward(dy.segment(), dx.segment(), planes, h, w);
                for (int p = 0; p < planes; p++)
                    for (int i = 0; i < 2 * h; i++)
                        for (int j = 0; j < 2 * w; j++)
                            assertEquals(Float.floatToRawIntBits(x.get((p * h + i / 2) * w + j / 2)),
                                    Float.floatToRawIntBits(y.get((p * 2 * h + i) * 2 * w + j)), "y " + p + "," + i + "," + j);
                for (int p = 0; p < planes; p++)
                    for (int i = 0; i < h; i++)
                        for (int j = 0; j < w; j++) {
                            int r0 = (p * 2 * h + 2 * i) * 2 * w + 2 * j, r1 = r0 + 2 * w;
                            float want = dy.get(r0) + dy.get(r0 + 1) + dy.get(r1) + dy.get(r1 + 1);
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(dx.get((p * h + i) * w + j)),
                                    "dx " + p + "," + i + "," + j);
                        }
            }
    }

    @Test
    void groupNormGradientsAndNormalisation() {
        try (Workspace ws = new Workspace()) {
            Rng rng = new Rng(2);
            ParamStore ps = new ParamStore();
            GroupNorm gn = new GroupNorm(ps, "gn", 6, 3, 7);
            ps.allocate(ws.arena());
            gn.init();
            int n = 2;
            Tensor x = rand(ws, rng, -2, 3, n, 6, 7), y = ws.tensor(n, 6, 7), w = rand(ws, rng, -1, 1, n, 6, 7), dx = ws.tensor(n, 6, 7);
            gn.forward(x.segment(), y.segment(), n);
            double s = 0, ss = 0;
            for (int i = 0; i < 14; i++) {  // image 0, group 0 = channels 0, 1
                s += y.get(i);
                ss += y.get(i) * y.get(i);
            }
            assertEquals(0, s / 14, 1e-5);
            assertEquals(1, ss / 14, 1e-3);
            rng.fillUniform(gn.gamma.value().segment(), 6, 0.5f, 1.5f);
            rng.fillUniform(gn.beta.value().segment(), 6, -0.5f, 0.5f);
            gn.forward(x.segment(), y.segment(), n);
            gn.backward(x.segment(), w.segment(), dx.segment(), n);
            var loss = loss(() -> gn.forward(x.segment(), y.segment(), n), y, w);
            GradCheck.check("gn gamma", gn.gamma.value().segment(), gn.gamma.grad().segment(), 6, 6, loss);
            GradCheck.check("gn beta", gn.beta.value().segment(), gn.beta.grad().segment(), 6, 6, loss);
            GradCheck.check("gn x", x.segment(), dx.segment(), x.size(), 40, loss);
        }
    }

    /** Split over a 2-thread pool, the group norm gives the single thread's bits (dγ, dβ summed in image order). */
    @Test
    void groupNormIsIndependentOfThreads() {
        int c = 8, g = 4, hw = 49, n = 48; // 192 slots: two chunks of 98-value groups
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2)) {
            Rng rng = new Rng(3);
            ParamStore p1 = new ParamStore(), p2 = new ParamStore();
            GroupNorm one = new GroupNorm(p1, "gn", c, g, hw), two = new GroupNorm(p2, pool, "gn", c, g, hw);
            p1.allocate(ws.arena());
            p2.allocate(ws.arena());
            rng.fillUniform(one.gamma.value().segment(), c, 0.5f, 1.5f);
            rng.fillUniform(one.beta.value().segment(), c, -0.5f, 0.5f);
            two.gamma.value().segment().copyFrom(one.gamma.value().segment());
            two.beta.value().segment().copyFrom(one.beta.value().segment());
            Tensor x = rand(ws, rng, -2, 3, n, c, hw), dy = rand(ws, rng, -1, 1, n, c, hw);
            Tensor y1 = ws.tensor(n, c, hw), y2 = ws.tensor(n, c, hw), dx1 = ws.tensor(n, c, hw), dx2 = ws.tensor(n, c, hw);
            one.forward(x.segment(), y1.segment(), n);
            two.forward(x.segment(), y2.segment(), n);
            one.backward(x.segment(), dy.segment(), dx1.segment(), n);
            two.backward(x.segment(), dy.segment(), dx2.segment(), n);
            for (int i = 0; i < x.size(); i++) {
                assertEquals(Float.floatToRawIntBits(y1.get(i)), Float.floatToRawIntBits(y2.get(i)), "y " + i);
                assertEquals(Float.floatToRawIntBits(dx1.get(i)), Float.floatToRawIntBits(dx2.get(i)), "dx " + i);
            }
            for (int i = 0; i < c; i++) {
                assertEquals(one.gamma.grad().get(i), two.gamma.grad().get(i), 0f, "dγ " + i);
                assertEquals(one.beta.grad().get(i), two.beta.grad().get(i), 0f, "dβ " + i);
            }
        }
    }

    @Test
    void resBlockGradients() {
        for (int out : new int[] {4, 6})
            try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
                Rng rng = new Rng(out);
                ParamStore ps = new ParamStore();
                ResBlock b = new ResBlock(ps, conv, pool, "b", 4, out, 5, 4, 3, 2);
                ps.allocate(ws.arena());
                b.init(rng);
                randomize(ps, rng);
                int n = 2;
                b.reserve(ws, n);
                Tensor x = rand(ws, rng, -1, 1, n, 4, 20), e = rand(ws, rng, -1, 1, n, 3), w = rand(ws, rng, -1, 1, n, out, 20);
                Tensor dx = ws.tensor(n, 4, 20), dE = ws.tensor(n, 3);
                MemorySegment y = b.forward(x.segment(), e.segment(), n);
                b.backward(x.segment(), e.segment(), w.segment(), dx.segment(), dE.segment(), n);
                var loss = (java.util.function.DoubleSupplier) () ->
                        GradCheck.weightedSum(b.forward(x.segment(), e.segment(), n), w.segment(), (long) n * out * 20);
                for (Param p : ps.params()) GradCheck.check("res " + p.name(), p.value().segment(), p.grad().segment(), p.size(), 12, loss);
                GradCheck.check("res x", x.segment(), dx.segment(), x.size(), 30, loss);
                GradCheck.check("res e", e.segment(), dE.segment(), e.size(), 6, loss);
            }
    }

    /** With dropout: the training pass's mask is fixed by its key (step, row), so finite differences of that pass check backward. */
    @Test
    void resBlockGradientsThroughADropoutMask() {
        for (int out : new int[] {4, 6})
            try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
                Rng rng = new Rng(20 + out);
                ParamStore ps = new ParamStore();
                ResBlock b = new ResBlock(ps, conv, pool, "b", 4, out, 5, 4, 3, 2);
                ps.allocate(ws.arena());
                b.init(rng);
                randomize(ps, rng);
                b.enableDropout(0.3f, 11, 0, pool);
                int n = 2;
                b.reserve(ws, n);
                Tensor x = rand(ws, rng, -1, 1, n, 4, 20), e = rand(ws, rng, -1, 1, n, 3), w = rand(ws, rng, -1, 1, n, out, 20);
                Tensor dx = ws.tensor(n, 4, 20), dE = ws.tensor(n, 3);
                long size = (long) n * out * 20;
                float[] plain = new float[(int) size];
                MemorySegment.copy(b.forward(x.segment(), e.segment(), n), java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, plain, 0, plain.length);
                MemorySegment y = b.forwardTraining(x.segment(), e.segment(), n, 5, 0);
                assertTrue(y.asSlice(0, 4 * size).mismatch(MemorySegment.ofArray(plain)) >= 0, "dropout changed nothing");
                b.backward(x.segment(), e.segment(), w.segment(), dx.segment(), dE.segment(), n);
                var loss = (java.util.function.DoubleSupplier) () ->
                        GradCheck.weightedSum(b.forwardTraining(x.segment(), e.segment(), n, 5, 0), w.segment(), size);
                for (Param p : ps.params()) GradCheck.check("res+dropout " + p.name(), p.value().segment(), p.grad().segment(), p.size(), 12, loss);
                GradCheck.check("res+dropout x", x.segment(), dx.segment(), x.size(), 30, loss);
                GradCheck.check("res+dropout e", e.segment(), dE.segment(), e.size(), 6, loss);
            }
    }

    /** The whole U-Net's backward pass through its training pass's dropout masks. */
    @Test
    void unetGradientsThroughDropoutMasks() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            Rng rng = new Rng(31);
            UNet net = new UNet(new UNetConfig(1, 8, 4, new int[] {4, 6, 6}, 2, 3, 0), conv, pool, ws);
            net.init(rng);
            randomize(net.params(), rng);
            net.setDropout(0.25f, 3);
            int n = 2;
            net.reserve(n);
            Tensor x = rand(ws, rng, -1, 1, n, 32), t = rand(ws, rng, 0, 1, n), w = rand(ws, rng, -1, 1, n, 32);
            var loss = (java.util.function.DoubleSupplier) () -> {
                net.trainingPass(4, 6);
                return GradCheck.weightedSum(net.forward(x.segment(), t.segment(), null, n), w.segment(), (long) n * 32);
            };
            double plain = GradCheck.weightedSum(net.forward(x.segment(), t.segment(), null, n), w.segment(), (long) n * 32);
            assertTrue(plain != loss.getAsDouble(), "dropout changed nothing");
            net.backward(w.segment(), n);
            for (Param p : net.params().params())
                GradCheck.check("unet+dropout " + p.name(), p.value().segment(), p.grad().segment(), p.size(), 6, loss);
        }
    }

    @Test
    void unetGradients() {
        for (int classes : new int[] {0, 3})
            try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
                Rng rng = new Rng(7 + classes);
                UNet net = new UNet(new UNetConfig(1, 8, 4, new int[] {4, 6, 6}, 2, 3, classes), conv, pool, ws);
                net.init(rng);
                randomize(net.params(), rng);
                int n = 2;
                net.reserve(n);
                Tensor x = rand(ws, rng, -1, 1, n, 32), t = rand(ws, rng, 0, 1, n), w = rand(ws, rng, -1, 1, n, 32);
                int[] labels = classes > 0 ? new int[] {2, 3} : null; // 3 = the null class
                net.forward(x.segment(), t.segment(), labels, n);
                net.backward(w.segment(), n);
                var loss = (java.util.function.DoubleSupplier) () ->
                        GradCheck.weightedSum(net.forward(x.segment(), t.segment(), labels, n), w.segment(), (long) n * 32);
                for (Param p : net.params().params())
                    GradCheck.check("unet " + p.name(), p.value().segment(), p.grad().segment(), p.size(), 6, loss);
                // dL/dx (the log-likelihood's vector–Jacobian product), twice after one forward pass: the same
                Tensor dx = ws.tensor(n, 32), dx2 = ws.tensor(n, 32);
                net.forward(x.segment(), t.segment(), labels, n);
                net.backward(w.segment(), dx.segment(), n);
                net.backward(w.segment(), dx2.segment(), n);
                assertEquals(-1L, dx.segment().mismatch(dx2.segment()), "a second backward pass changed dL/dx");
                GradCheck.check("unet x", x.segment(), dx.segment(), x.size(), 32, loss);
            }
    }

    /** Random weights everywhere (zero-initialised layers would hide gradients), norms' γ near 1. */
    static void randomize(ParamStore ps, Rng rng) {
        for (Param p : ps.params()) {
            boolean gamma = p.name().contains("norm") && p.name().endsWith(".weight");
            rng.fillUniform(p.value().segment(), p.size(), gamma ? 0.6f : -0.5f, gamma ? 1.4f : 0.5f);
        }
    }

    static java.util.function.DoubleSupplier loss(Runnable forward, Tensor y, Tensor w) {
        return () -> {
            forward.run();
            return GradCheck.weightedSum(y.segment(), w.segment(), y.size());
        };
    }
}
