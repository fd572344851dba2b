package dev.panflow.cli;

import dev.panflow.io.ImageGrid;
import dev.panflow.io.Npy;
import dev.panflow.sampling.Sampler;
import dev.panflow.api.Samples;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/** Labels for image sampling and writing its outputs (.npy rows and a PNG grid). */
final class ImageSampling {
    private ImageSampling() {}

    /** Per-sample labels: null if unconditional; class {@code cls}, or (cls = −1) class r mod classes (one column per class). */
    static int[] labels(int n, int classes, int cls) {
        if (classes == 0) return null;
        int[] l = new int[n];
        for (int r = 0; r < n; r++) l[r] = cls >= 0 ? cls : r % classes;
        return l;
    }

    /** The samples as a tensor of {@code arena} (for the writers). */
    static Tensor tensor(Samples s, Arena arena) {
        Tensor x = Tensor.allocate(arena, s.n(), s.dim());
        MemorySegment.copy(s.values(), 0, x.segment(), ValueLayout.JAVA_FLOAT, 0, s.values().length);
        return x;
    }

    static void write(Samples s, String solver, int c, int h, int w, int classes, Path npy, Path png) {
        try (Arena arena = Arena.ofConfined()) {
            write(new Sampler.Result(tensor(s, arena), new dev.panflow.ode.SolveStats((int) s.nfe(), 0, 0), s.seconds()), solver, c, h, w,
                    classes, npy, png);
        }
    }

    static void write(Sampler.Result r, String solver, int c, int h, int w, int classes, Path npy, Path png) {
        int n = r.samples().rows();
        Npy.write(npy, r.samples());
        int cols = classes > 0 ? classes : (int) Math.ceil(Math.sqrt(n));
        System.out.printf("sampled %d images (%s, %d NFE, %.2f s) -> %s (rows of %d×%d×%d floats in [-1, 1])%n",
                n, solver, r.stats().nfe(), r.seconds(), npy, c, h, w);
        if (png != null) {
            ImageGrid.writePng(png, r.samples().segment(), n, c, h, w, Math.min(cols, n), 2);
            System.out.println("wrote " + png + (classes > 0 ? " (one column per class)" : ""));
        }
    }
}
