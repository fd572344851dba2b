package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.ode.Divergence;
import dev.panflow.ode.LogLikelihood;
import dev.panflow.ode.Rk4;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * The U-Net as a log-likelihood field: its divergence from vector–Jacobian products equals the
 * trace of the Jacobian by finite differences, and Hutchinson's estimate of a whole
 * log-likelihood agrees with the exact one within its standard error.
 */
class FlowModelFieldVjpTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    static UNet smallUNet(Workspace ws, Pool pool, JvmConv conv, int classes, long seed) {
        UNet net = new UNet(new UNetConfig(1, 8, 4, new int[] {4, 6}, 2, 3, classes), conv, pool, ws);
        Rng rng = new Rng(seed);
        net.init(rng);
        ConvLayersTest.randomize(net.params(), rng);
        return net;
    }

    @Test
    void divergenceFromVjpsIsTheJacobianTrace() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1); JvmConv conv = new JvmConv(pool)) {
            for (int classes : new int[] {0, 3}) {
                UNet net = smallUNet(ws, pool, conv, classes, 3 + classes);
                int n = 2, d = net.dim();
                dev.panflow.ode.VjpField f = net.field(ws, n, null, 0f);
                Tensor x = ws.tensor(n, d), v = ws.tensor(n, d), u = ws.tensor(n, d), g = ws.tensor(n, d);
                Tensor xp = ws.tensor(n, d), vp = ws.tensor(n, d), vm = ws.tensor(n, d);
                new Rng(9).fillGaussian(x.segment(), x.size(), 1f);
                float t = 0.4f;
                double[] exact = new double[n], numeric = new double[n];
                f.eval(t, x.segment(), v.segment(), n);
                for (int i = 0; i < d; i++) { // e_iᵀ J e_i, one product per dimension
                    u.zero();
                    for (int r = 0; r < n; r++) u.segment().setAtIndex(F32, (long) r * d + i, 1f);
                    f.vjp(u.segment(), g.segment(), n);
                    for (int r = 0; r < n; r++) exact[r] += g.segment().getAtIndex(F32, (long) r * d + i);
                }
                double eps = 1e-2;
                for (int i = 0; i < d; i++) { // central differences of v_i along x_i
                    for (int sign : new int[] {1, -1}) {
                        xp.copyFrom(x);
                        for (int r = 0; r < n; r++) {
                            long k = (long) r * d + i;
                            xp.segment().setAtIndex(F32, k, (float) (x.segment().getAtIndex(F32, k) + sign * eps));
                        }
                        f.eval(t, xp.segment(), (sign > 0 ? vp : vm).segment(), n);
                    }
                    for (int r = 0; r < n; r++) {
                        long k = (long) r * d + i;
                        numeric[r] += (vp.segment().getAtIndex(F32, k) - vm.segment().getAtIndex(F32, k)) / (2 * eps);
                    }
                }
                for (int r = 0; r < n; r++)
                    assertTrue(Math.abs(exact[r] - numeric[r]) <= 2e-2 * Math.max(1, Math.abs(numeric[r])),
                            "classes " + classes + " row " + r + ": divergence " + exact[r] + " vs finite differences " + numeric[r]);
            }
        }
    }

    @Test
    void hutchinsonLogLikelihoodAgreesWithExact() {
        try (Workspace ws = new Workspace(); Pool pool = new Pool(1); JvmConv conv = new JvmConv(pool)) {
            UNet net = smallUNet(ws, pool, conv, 0, 21);
            int n = 4, d = net.dim();
            dev.panflow.ode.VjpField f = net.field(ws, n, null, 0f);
            Tensor x = ws.tensor(n, d), y = ws.tensor(n, d);
            new Rng(5).fillGaussian(x.segment(), x.size(), 1f);
            LogLikelihood.Result exact, hutch;
            y.copyFrom(x);
            try (LogLikelihood ll = new LogLikelihood(f, Divergence.exact(), n); Rk4 rk = new Rk4(8)) {
                exact = ll.compute(y.segment(), n, 1f, 1.0, rk, 0);
            }
            y.copyFrom(x);
            try (LogLikelihood ll = new LogLikelihood(f, Divergence.parse("hutchinson", "rademacher", 64, 1), n); Rk4 rk = new Rk4(8)) {
                hutch = ll.compute(y.segment(), n, 1f, 1.0, rk, 0);
            }
            for (int r = 0; r < n; r++) {
                double a = exact.logp()[r], b = hutch.logp()[r];
                assertTrue(Double.isFinite(a), "exact log p " + a);
                // 64 Rademacher probes: the estimate's spread is a small fraction of |div|·t; 5 % of the scale is generous
                assertTrue(Math.abs(a - b) <= 0.05 * Math.max(1, Math.abs(a)), "row " + r + ": exact " + a + " vs Hutchinson " + b);
            }
        }
    }
}
