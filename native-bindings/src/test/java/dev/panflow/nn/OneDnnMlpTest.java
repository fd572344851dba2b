package dev.panflow.nn;

import static dev.panflow.cuda.TestGpu.random;
import static dev.panflow.cuda.TestGpu.relErr;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.Pool;
import dev.panflow.onednn.OneDnnDense;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * An MLP whose dense layers run on oneDNN against the same MLP on the JVM's GEMM, from the same
 * weights and inputs: forward, backward (weights, biases, input), the input VJP, the JVP and the
 * per-thread inference pass, with the row split over the pool on and off. ‖onednn − jvm‖/‖jvm‖
 * ≤ 1e-5 (fp32, another summation order). Needs libdnnl.so.2 (never skipped).
 */
class OneDnnMlpTest {
    private static final double TOL = 1e-5;

    @Test
    void everyPassAgreesWithTheJvmGemm() {
        for (boolean split : new boolean[] {true, false})
            for (int hidden : new int[] {40, 131}) check(split, hidden);
    }

    private static void check(boolean split, int hidden) {
        int rows = 203, dim = 3;
        String what = "H " + hidden + (split ? ", row split" : ", layer by layer");
        try (Arena a = Arena.ofShared(); Workspace wj = new Workspace(); Workspace wd = new Workspace(); Pool pool = new Pool(2)) {
            MlpConfig cfg = new MlpConfig(dim, hidden, 3, "sinusoidal", 6);
            Mlp jvm = new Mlp(cfg, pool, wj), dnnl = new Mlp(cfg, pool, wd, OneDnnDense.open(2));
            jvm.init(new Rng(3));
            dnnl.init(new Rng(3));
            jvm.setRowSplit(split);
            dnnl.setRowSplit(split);
            Rng rng = new Rng(4);
            Tensor x = random(a, rng, 2, rows, dim), t = random(a, rng, 0.5f, rows), dOut = random(a, rng, 1, rows, dim);
            for (long i = 0; i < rows; i++) t.set(i, t.get(i) + 0.5f);
            Mlp.Activations aj = jvm.activations(wj, rows, true), ad = dnnl.activations(wd, rows, true);
            close(what + " forward", jvm.forward(aj, x.segment(), t.segment(), rows), dnnl.forward(ad, x.segment(), t.segment(), rows),
                    (long) rows * dim);
            Tensor dxj = Tensor.allocate(a, rows, dim), dxd = Tensor.allocate(a, rows, dim);
            jvm.backward(aj, dOut.segment(), dxj.segment(), rows);
            dnnl.backward(ad, dOut.segment(), dxd.segment(), rows);
            close(what + " dL/dx", dxj.segment(), dxd.segment(), (long) rows * dim);
            close(what + " parameter gradients", jvm.params().grads().segment(), dnnl.params().grads().segment(), jvm.params().flatSize());

            jvm.forward(aj, x.segment(), t.segment(), rows);
            dnnl.forward(ad, x.segment(), t.segment(), rows);
            Tensor tj = Tensor.allocate(a, rows, dim), td = Tensor.allocate(a, rows, dim);
            jvm.jvp(aj, dOut.segment(), 0.3f, 0f, tj.segment(), rows);
            dnnl.jvp(ad, dOut.segment(), 0.3f, 0f, td.segment(), rows);
            close(what + " jvp", tj.segment(), td.segment(), (long) rows * dim);
            jvm.inputVjp(aj, dOut.segment(), tj.segment(), rows);
            dnnl.inputVjp(ad, dOut.segment(), td.segment(), rows);
            close(what + " input vjp", tj.segment(), td.segment(), (long) rows * dim);

            jvm.prepackWeights();
            dnnl.prepackWeights();
            Mlp.Activations sj = jvm.activations(wj, 64), sd = dnnl.activations(wd, 64);
            close(what + " forwardSerial", jvm.forwardSerial(sj, x.segment(), 100, 0.7f, 64, true),
                    dnnl.forwardSerial(sd, x.segment(), 100, 0.7f, 64, true), 64L * dim);
        }
    }

    private static void close(String what, MemorySegment want, MemorySegment got, long n) {
        double e = relErr(Tensor.wrap(got, (int) n), Tensor.wrap(want, (int) n), n);
        assertTrue(e <= TOL, what + ": relative error " + e);
    }
}
