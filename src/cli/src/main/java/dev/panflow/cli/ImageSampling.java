package dev.panflow.cli;

import dev.panflow.io.ImageGrid;
import dev.panflow.io.Npy;
import dev.panflow.api.Samples;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/** Writing sampled images: .npy rows and a PNG grid. */
final class ImageSampling {
    private ImageSampling() {}

    /** The samples as a tensor of {@code arena} (for the writers). */
    static Tensor tensor(Samples s, Arena arena) {
        Tensor x = Tensor.allocate(arena, s.n(), s.dim());
        MemorySegment.copy(s.values(), 0, x.segment(), ValueLayout.JAVA_FLOAT, 0, s.values().length);
        return x;
    }

    static void write(Samples s, String solver, int c, int h, int w, int classes, Path npy, Path png) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = tensor(s, arena);
            int n = s.n();
            Npy.write(npy, x);
            System.out.printf("sampled %d images (%s, %d NFE, %.2f s) -> %s (rows of %d×%d×%d floats in [-1, 1])%n",
                    n, solver, s.nfe(), s.seconds(), npy, c, h, w);
            if (png != null) {
                ImageGrid.Layout g = ImageGrid.layout(n, classes, h, w);
                ImageGrid.writePng(png, x.segment(), g.shown(), c, h, w, g.cols(), g.zoom());
                String what = g.shown() < n ? "the first " + g.shown() + " of " + n + " images, " : "";
                System.out.println("wrote " + png + " (" + what + g.rows() + "×" + g.cols()
                        + (classes > 0 ? ", one class per column" : "") + ")");
            }
        }
    }
}
