package dev.panflow.nn;

import dev.panflow.kernels.ConvKernels;
import dev.panflow.kernels.ConvShape;
import dev.panflow.kernels.JvmConv;
import dev.panflow.kernels.Pool;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import java.lang.foreign.MemorySegment;

/**
 * Rough timing of one U-Net training step's forward and backward, split into convolution time
 * and the rest (not a test). Run:
 * java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes dev.panflow.nn.UNetBench [batch] [threads] [channels]
 */
public final class UNetBench {
    static final class Timed implements ConvKernels {
        final ConvKernels inner;
        long fwd, bwdData, bwdWeights;
        double flops;
        Timed(ConvKernels inner) { this.inner = inner; }
        public void forward(ConvShape sh, MemorySegment x, MemorySegment w, MemorySegment b, MemorySegment y) {
            long t = System.nanoTime(); inner.forward(sh, x, w, b, y); fwd += System.nanoTime() - t; flops += sh.flops();
        }
        public void backwardData(ConvShape sh, MemorySegment dy, MemorySegment w, MemorySegment dx) {
            long t = System.nanoTime(); inner.backwardData(sh, dy, w, dx); bwdData += System.nanoTime() - t; flops += sh.flops();
        }
        public void backwardWeights(ConvShape sh, MemorySegment x, MemorySegment dy, MemorySegment dw, MemorySegment db) {
            long t = System.nanoTime(); inner.backwardWeights(sh, x, dy, dw, db); bwdWeights += System.nanoTime() - t; flops += sh.flops();
        }
        public String name() { return inner.name(); }
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int[] ch = UNetConfig.parseList(args.length > 2 ? args[2] : "32,64,64");
        try (Workspace ws = new Workspace(); Pool pool = new Pool(threads); JvmConv jc = new JvmConv(pool)) {
            Timed conv = new Timed(jc);
            UNet net = new UNet(new UNetConfig(1, 28, 28, ch, 8, 16, 0), conv, pool, ws);
            Rng rng = new Rng(1);
            net.init(rng);
            net.reserve(batch);
            Tensor x = ws.tensor(batch, 784), t = ws.tensor(batch), dy = ws.tensor(batch, 784);
            rng.fillGaussian(x.segment(), x.size(), 1f);
            rng.fillUniform(t.segment(), batch, 0, 1);
            rng.fillGaussian(dy.segment(), dy.size(), 1f);
            for (int rep = 0; rep < 6; rep++) {
                conv.fwd = conv.bwdData = conv.bwdWeights = 0;
                conv.flops = 0;
                long t0 = System.nanoTime();
                net.forward(x.segment(), t.segment(), null, batch);
                long t1 = System.nanoTime();
                net.backward(dy.segment(), batch);
                long t2 = System.nanoTime();
                double convS = (conv.fwd + conv.bwdData + conv.bwdWeights) * 1e-9;
                System.out.printf("step %.3f s: forward %.3f, backward %.3f | conv fwd %.3f bwdData %.3f bwdW %.3f (%.1f GFLOP/s) | other %.3f%n",
                        (t2 - t0) * 1e-9, (t1 - t0) * 1e-9, (t2 - t1) * 1e-9, conv.fwd * 1e-9, conv.bwdData * 1e-9, conv.bwdWeights * 1e-9,
                        conv.flops / convS * 1e-9, (t2 - t0) * 1e-9 - convS);
            }
        }
    }
}
