package dev.panflow.nn;

import static dev.panflow.cuda.TestGpu.down;
import static dev.panflow.cuda.TestGpu.random;
import static dev.panflow.cuda.TestGpu.relErr;
import static dev.panflow.cuda.TestGpu.up;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.cuda.CudaCfmTrainer;
import dev.panflow.cuda.CudaMlp;
import dev.panflow.cuda.CudaOdeSolver;
import dev.panflow.cuda.CudaSampler;
import dev.panflow.cuda.DeviceTensor;
import dev.panflow.cuda.Gpu;
import dev.panflow.cuda.TestGpu;
import dev.panflow.data.Datasets;
import dev.panflow.kernels.Elementwise;
import dev.panflow.kernels.Pool;
import dev.panflow.ode.OdeSolver;
import dev.panflow.ode.Solvers;
import dev.panflow.path.AffinePath;
import dev.panflow.path.Paths;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import dev.panflow.train.CfmTrainer;
import dev.panflow.train.LrSchedule;
import dev.panflow.train.TimeSampling;
import dev.panflow.train.TrainConfig;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend against the JVM backend from identical inputs and weights: every layer's
 * forward and backward, one whole training step, one step of each fixed-step solver.
 * Relative error ‖cuda − jvm‖/‖jvm‖ ≤ 1e-4 (fp32). Skipped with a printed reason without a GPU.
 */
class CudaEquivalenceTest {
    private static final double TOL = 1e-4;

    private static void close(String what, Tensor gpu, Tensor jvm, long n) {
        double e = relErr(gpu, jvm, n);
        assertTrue(e <= TOL, what + ": relative error " + e);
    }

    @Test
    void everyLayerForwardAndBackward() {
        for (String emb : new String[] {"sinusoidal", "concat"}) {
            Gpu g = TestGpu.get();
            Rng rng = new Rng(11);
            int rows = 53, dim = 3;
            try (Arena a = Arena.ofConfined(); Workspace ws = new Workspace(); Pool pool = new Pool(1)) {
                Mlp mlp = new Mlp(new MlpConfig(dim, 40, 3, emb, 6), pool, ws);
                mlp.init(rng);
                Mlp.Activations acts = mlp.activations(ws, rows);
                Tensor x = random(a, rng, 2, rows, dim), t = random(a, rng, 0.5f, rows), dOut = random(a, rng, 1, rows, dim);
                for (long i = 0; i < rows; i++) t.set(i, t.get(i) + 0.5f);
                mlp.forward(acts, x.segment(), t.segment(), rows);
                mlp.backward(acts, dOut.segment(), null, rows);
                // dL/d(input) is only formed when dx is asked for; ask on a copy of the activations' state
                Tensor dx = Tensor.allocate(a, rows, dim);
                mlp.backward(acts, dOut.segment(), dx.segment(), rows);
                try (CudaMlp cm = new CudaMlp(g, mlp); CudaMlp.Activations ca = cm.activations(rows);
                     DeviceTensor xd = up(g, x); DeviceTensor td = up(g, t); DeviceTensor dOutD = up(g, dOut)) {
                    cm.forward(ca, xd, td, rows);
                    long inN = (long) rows * acts.input.cols();
                    close(emb + " input [x, emb(t)]", down(a, ca.input(), inN), acts.input, inN);
                    for (int i = 0; i < 3; i++) {
                        long n = (long) rows * 40;
                        Tensor gate = down(a, ca.pre(i), n);   // the JVM keeps σ(pre), the device pre
                        for (long j = 0; j < n; j++) gate.set(j, (float) (1 / (1 + Math.exp(-gate.get(j)))));
                        close(emb + " layer " + i + " Linear forward (its SiLU gate)", gate, acts.gate[i], n);
                        close(emb + " layer " + i + " SiLU forward", down(a, ca.post(i), n), acts.post[i], n);
                    }
                    close(emb + " output", down(a, ca.output(), (long) rows * dim), acts.output, (long) rows * dim);
                    cm.backward(ca, dOutD, true, rows);
                    close(emb + " d input", down(a, ca.gradInput(), inN), acts.gradInput, inN);
                    Tensor grads = Tensor.allocate(a, (int) cm.flatSize());
                    cm.downloadGrads(grads);
                    for (Param p : mlp.params().params()) {
                        Tensor gp = Tensor.wrap(grads.segment().asSlice(4 * p.offset(), 4 * p.size()), p.shape());
                        close(emb + " gradient of " + p.name(), gp, p.grad(), p.size());
                    }
                }
            }
        }
    }

    @Test
    void oneTrainingStepFromTheSameBatch() {
        Gpu g = TestGpu.get();
        TrainConfig cfg = new TrainConfig("checkerboard", "ot", 48, 3, "sinusoidal", 8, 128, 10, 1e-2f, LrSchedule.CONSTANT, 0,
                0.01f, 0.9f, 0.5f, 7, 0, TimeSampling.LOGIT_NORMAL, 1f);
        AffinePath path = Paths.byName("ot");
        try (Arena a = Arena.ofConfined(); Pool pool = new Pool(1);
             CfmTrainer ref = new CfmTrainer(cfg, Datasets.open("checkerboard", a), path, pool);
             CfmTrainer host = new CfmTrainer(cfg, Datasets.open("checkerboard", a), path, pool);
             CudaCfmTrainer gt = new CudaCfmTrainer(g, host, 1)) {
            int b = cfg.batch(), dim = 2;
            long n = (long) b * dim;
            Rng rng = new Rng(99);
            Tensor x0 = Tensor.allocate(a, b, dim), x1 = Tensor.allocate(a, b, dim), t = Tensor.allocate(a, b);
            rng.fillGaussian(x0.segment(), n, 1f);
            ref.data.sample(rng, x1.segment(), b);
            rng.fillUniform(t.segment(), b, 0f, 1f);
            // the JVM step, spelled out from identical inputs (CfmTrainer.trainStep draws its own)
            Tensor xt = Tensor.allocate(a, b, dim), ut = Tensor.allocate(a, b, dim), dv = Tensor.allocate(a, b, dim);
            path.sample(x0.segment(), x1.segment(), t.segment(), xt.segment(), ut.segment(), b, dim);
            try (Workspace ws = new Workspace()) {
                Mlp.Activations acts = ref.mlp.activations(ws, b);
                var v = ref.mlp.forward(acts, xt.segment(), t.segment(), b);
                double loss = Elementwise.squaredErrorGrad(v, ut.segment(), dv.segment(), n, 1f / b) / b;
                ref.mlp.backward(acts, dv.segment(), null, b);
                double norm = GradClip.clip(ref.mlp.params(), cfg.maxGradNorm());
                assertTrue(norm > cfg.maxGradNorm(), "the test exercises clipping (norm " + norm + ")");
                Tensor gradsRef = Tensor.allocate(a, (int) ref.mlp.params().flatSize());
                gradsRef.copyFrom(ref.mlp.params().grads());
                ref.optimizer.step(cfg.lrAt(1));
                ref.ema.update(1);

                double gpuLoss = gt.trainStep(x0, x1, t);
                assertEquals(loss, gpuLoss, 1e-4 * loss, "loss");
                long flat = gt.mlp.flatSize();
                Tensor grads = Tensor.allocate(a, (int) flat);
                gt.mlp.downloadGrads(grads);
                close("clipped gradients", grads, gradsRef, flat);
                gt.toHost();
                assertEquals(1, host.step());
                close("weights after AdamW", host.mlp.params().values(), ref.mlp.params().values(), flat);
                close("Adam m", host.optimizer.firstMoment(), ref.optimizer.firstMoment(), flat);
                close("Adam v", host.optimizer.secondMoment(), ref.optimizer.secondMoment(), flat);
                close("EMA", host.ema.weights(), ref.ema.weights(), flat);
            }
            // and the device-sampled steps run and learn something finite
            double l = 0;
            for (int i = 0; i < 5; i++) l = gt.trainStep();
            assertTrue(Double.isFinite(l) && l > 0, "loss " + l);
            assertEquals(6, gt.step());
        }
    }

    @Test
    void oneStepOfEachFixedStepSolver() {
        Gpu g = TestGpu.get();
        Rng rng = new Rng(12);
        int rows = 300, dim = 2;
        long n = (long) rows * dim;
        try (Arena a = Arena.ofConfined(); Workspace ws = new Workspace(); Pool pool = new Pool(1)) {
            Mlp mlp = new Mlp(new MlpConfig(dim, 32, 2, "sinusoidal", 4), pool, ws);
            mlp.init(rng);
            Tensor x = random(a, rng, 2, rows, dim);
            try (CudaMlp cm = new CudaMlp(g, mlp); CudaMlp.Activations ca = cm.inferenceActivations(128)) {
                for (String s : new String[] {"euler", "midpoint", "heun", "rk4"}) {
                    Tensor ref = Tensor.allocate(a, rows, dim);
                    ref.copyFrom(x);
                    try (OdeSolver ode = Solvers.byName(s, 1, 1e-5, 1e-5)) {
                        ode.solve(new MlpVelocityField(mlp, ws, 100), ref.segment(), rows, 0.2f, 0.45f);
                    }
                    try (DeviceTensor xd = up(g, x); CudaOdeSolver ode = new CudaOdeSolver(g, s, 1, n)) {
                        ode.solve(CudaSampler.field(cm, ca), xd, rows, n, 0.2f, 0.45f);
                        Tensor got = down(a, xd, n);
                        close(s + " step", got, ref, n);
                        // the step moved x: the comparison is not of x with itself
                        assertTrue(relErr(x, ref, n) > 1e-3, s + " moved x");
                    }
                }
            }
        }
    }
}
