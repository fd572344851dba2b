package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.ConvScalar;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Softmax cross-entropy and the feature classifier: gradients against finite differences, known values. */
class ConvClassifierTest {
    @Test
    void crossEntropyKnownValueAndGradient() {
        try (Workspace ws = new Workspace()) {
            Tensor z = ws.tensor(2, 3), dz = ws.tensor(2, 3);
            z.copyFrom(new float[] {0, 0, 0, 1, 2, 3});
            int[] y = {1, 2};
            double loss = SoftmaxCrossEntropy.forwardBackward(z.segment(), y, dz.segment(), 2, 3);
            double l2 = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
            assertEquals((Math.log(3) + l2) / 2, loss, 1e-6);
            assertEquals((1.0 / 3 - 1) / 2, dz.get(1), 1e-6);
            assertEquals(2, SoftmaxCrossEntropy.argmax(z.segment(), 1, 3));
            Rng rng = new Rng(4);
            rng.fillUniform(z.segment(), z.size(), -3, 3);
            SoftmaxCrossEntropy.forwardBackward(z.segment(), y, dz.segment(), 2, 3);
            GradCheck.check("logits", z.segment(), dz.segment(), z.size(), 6,
                    () -> SoftmaxCrossEntropy.forwardBackward(z.segment(), y, null, 2, 3));
        }
    }

    @Test
    void classifierGradientsMatchFiniteDifferences() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv conv = new JvmConv(pool)) {
            // Odd sizes: ragged stride-2 outputs and SIMD tails.
            var cfg = new ConvClassifierConfig(2, 9, 7, 3, 4, 5, 6, 3);
            ConvClassifier net = new ConvClassifier(cfg, conv, pool, ws, 3);
            Rng rng = new Rng(7);
            net.init(rng);
            int rows = 3;
            Tensor x = ws.tensor(rows, 2 * 9 * 7);
            rng.fillUniform(x.segment(), x.size(), -1, 1);
            int[] y = {0, 2, 1};
            net.forward(x.segment(), rows);
            net.backward(x.segment(), y, rows);
            java.util.function.DoubleSupplier loss = () -> {
                net.forward(x.segment(), rows);
                return SoftmaxCrossEntropy.forwardBackward(net.logits(), y, null, rows, 3);
            };
            // Copy the analytic gradients: the loss closure does not touch them, but be explicit.
            for (Param p : net.params.params()) {
                Tensor g = ws.tensor((int) p.size());
                g.copyFrom(p.grad());
                GradCheck.check(p.name(), p.value().segment(), g.segment(), p.size(), 12, loss);
            }
        }
    }

    @Test
    void jvmAndScalarConvolutionsGiveTheSameFeatures() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(2); JvmConv jvm = new JvmConv(pool)) {
            var cfg = new ConvClassifierConfig(1, 11, 13, 4, 8, 8, 10, 4);
            ConvClassifier a = new ConvClassifier(cfg, jvm, pool, ws, 5), b = new ConvClassifier(cfg, new ConvScalar(), pool, ws, 5);
            a.init(new Rng(1));
            b.params.values().copyFrom(a.params.values());
            Tensor x = ws.tensor(5, 11 * 13);
            new Rng(2).fillUniform(x.segment(), x.size(), -1, 1);
            a.forward(x.segment(), 5);
            b.forward(x.segment(), 5);
            MemorySegment fa = a.features(), fb = b.features();
            for (long i = 0; i < 5L * 10; i++) {
                float u = fa.getAtIndex(GradCheck.F32, i), v = fb.getAtIndex(GradCheck.F32, i);
                assertTrue(Math.abs(u - v) <= 1e-4f * (1 + Math.abs(v)), "feature " + i + ": " + u + " vs " + v);
            }
        }
    }
}
