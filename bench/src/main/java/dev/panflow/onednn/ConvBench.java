package dev.panflow.onednn;

import dev.panflow.kernels.ConvShape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

/**
 * Conv layer timings for bench/conv.sh (not a test, no assertions): forward (with bias) and a
 * training step's forward + backwardData + backwardWeights(+bias), oneDNN in plain and blocked
 * layouts, on the shapes given as n,c,h,w,k,r,s,stride,pad. One line per (backend, shape):
 * {@code backend shape fwd_ms step_ms impl}, medians over the repetitions. Threads: env THREADS.
 */
public final class ConvBench {
    public static void main(String[] args) {
        int threads = Integer.parseInt(System.getenv().getOrDefault("THREADS", "2"));
        int reps = Integer.parseInt(System.getenv().getOrDefault("REPS", "5"));
        for (String backend : new String[] {"onednn-plain", "onednn-blocked"}) {
            var layout = backend.endsWith("plain") ? OneDnnConv.Layout.PLAIN : OneDnnConv.Layout.BLOCKED;
            try (var conv = OneDnnConv.open(threads, layout)) {
                for (String a : args) {
                    int[] v = Arrays.stream(a.split(",")).mapToInt(Integer::parseInt).toArray();
                    var sh = new ConvShape(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
                    double[] t = time(conv, sh, reps);
                    System.out.printf("%s %s %.3f %.3f %s%n", backend, a, t[0], t[1], conv.implementation(sh).replace(' ', '_'));
                }
            }
        }
    }

    /** Median ms of forward and of a whole training step, after two warm-up rounds. */
    static double[] time(OneDnnConv conv, ConvShape sh, int reps) {
        try (var arena = Arena.ofConfined()) {
            Random rnd = new Random(1);
            MemorySegment x = random(arena, sh.xSize(), rnd), w = random(arena, sh.wSize(), rnd),
                    b = random(arena, sh.k(), rnd), y = random(arena, sh.ySize(), rnd),
                    dy = random(arena, sh.ySize(), rnd), dx = random(arena, sh.xSize(), rnd),
                    dw = random(arena, sh.wSize(), rnd), db = random(arena, sh.k(), rnd);
            double[] fwd = new double[reps], step = new double[reps];
            for (int r = -2; r < reps; r++) {
                long t0 = System.nanoTime();
                conv.forward(sh, x, w, b, y);
                long t1 = System.nanoTime();
                conv.backwardData(sh, dy, w, dx);
                conv.backwardWeights(sh, x, dy, dw, db);
                long t2 = System.nanoTime();
                if (r >= 0) {
                    fwd[r] = (t1 - t0) / 1e6;
                    step[r] = (t2 - t0) / 1e6;
                }
            }
            return new double[] {median(fwd), median(step)};
        }
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static MemorySegment random(Arena arena, long n, Random rnd) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        return s;
    }
}
