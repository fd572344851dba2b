package dev.panflow.ode;

import static org.junit.jupiter.api.Assertions.*;

import dev.panflow.tensor.Rng;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class SolverOrderTest {
    static float[] initial(int rows, int dim, long seed) {
        Rng rng = new Rng(seed);
        float[] x = new float[rows * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) ((1 + i % 3) * rng.nextGaussian());
        return x;
    }

    /** Max error relative to the largest exact value. */
    static double solveError(OdeSolver solver, int rows, int dim, float t0, float t1, float[] x0) {
        RotatingField f = new RotatingField(dim);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * x0.length, 64);
            MemorySegment.copy(x0, 0, x, RotatingField.F32, 0, x0.length);
            solver.solve(f, x, rows, t0, t1);
            double[] ex = f.exact(x0, rows, t0, t1);
            double err = 0, scale = 0;
            for (int i = 0; i < ex.length; i++) {
                err = Math.max(err, Math.abs(x.getAtIndex(RotatingField.F32, i) - ex[i]));
                scale = Math.max(scale, Math.abs(ex[i]));
            }
            return err / scale;
        }
    }

    static void checkOrder(String name, IntFunction<OdeSolver> make, int n, double order) {
        int[][] shapes = {{3, 2}, {5, 3}, {2, 8}};
        for (int[] sh : shapes) {
            int rows = sh[0], dim = sh[1];
            float[] x0 = initial(rows, dim, 7 + rows * dim);
            for (float[] span : new float[][] {{0f, 3f}, {3f, 0.5f}}) {
                double[] e = new double[3];
                for (int k = 0; k < 3; k++) {
                    try (OdeSolver s = make.apply(n << k)) {
                        e[k] = solveError(s, rows, dim, span[0], span[1], x0);
                    }
                }
                double p1 = Math.log(e[0] / e[1]) / Math.log(2), p2 = Math.log(e[1] / e[2]) / Math.log(2);
                System.err.printf("%s %dx%d [%g,%g] N=%d: errors %.3e %.3e %.3e, orders %.3f %.3f%n",
                        name, rows, dim, span[0], span[1], n, e[0], e[1], e[2], p1, p2);
                assertEquals(order, p1, 0.3, name + " observed order N→2N");
                assertEquals(order, p2, 0.3, name + " observed order 2N→4N");
                assertTrue(e[2] > 2e-6, name + ": finest error " + e[2] + " too close to float round-off to measure an order");
            }
        }
    }

    @Test void eulerIsFirstOrder() { checkOrder("euler", Euler::new, 200, 1); }

    @Test void midpointIsSecondOrder() { checkOrder("midpoint", Midpoint::new, 50, 2); }

    @Test void heunIsSecondOrder() { checkOrder("heun", Heun::new, 50, 2); }

    @Test void rk4IsFourthOrder() { checkOrder("rk4", Rk4::new, 16, 4); }
}
