package dev.panflow.cuda;

import dev.panflow.kernels.ConvShape;
import dev.panflow.tensor.Rng;
import dev.panflow.tensor.Tensor;
import java.lang.foreign.Arena;

/**
 * Times a 3×3 convolution's forward + backward-data + backward-weights on the GPU through
 * {@link CudnnConvKernels}: on device buffers (what a device-resident U-Net would pay) and
 * through the host-memory {@code ConvKernels} interface (copies each way). Peer:
 * bench/cudnn_conv_torch.py. Usage: java ... -cp bench/target/benchmarks.jar dev.panflow.cuda.CudnnBench N C H W K [ITERS]
 */
public final class CudnnBench {
    private CudnnBench() {}

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), c = Integer.parseInt(args[1]), h = Integer.parseInt(args[2]);
        int w = Integer.parseInt(args[3]), k = Integer.parseInt(args[4]);
        int iters = args.length > 5 ? Integer.parseInt(args[5]) : 100;
        ConvShape sh = new ConvShape(n, c, h, w, k, 3, 3, 1, 1);
        try (Gpu gpu = Gpu.open(null); CudnnConvKernels conv = CudnnConvKernels.on(gpu, null); Arena a = Arena.ofShared()) {
            Rng rng = new Rng(1);
            Tensor x = Tensor.allocate(a, (int) sh.xSize()), wt = Tensor.allocate(a, (int) sh.wSize());
            Tensor b = Tensor.allocate(a, k), y = Tensor.allocate(a, (int) sh.ySize());
            Tensor dx = Tensor.allocate(a, (int) sh.xSize()), dw = Tensor.allocate(a, (int) sh.wSize()), db = Tensor.allocate(a, k);
            for (Tensor t : new Tensor[] {x, wt, b, y}) rng.fillUniform(t.segment(), t.size(), -1, 1);
            try (DeviceTensor xd = gpu.allocate(sh.xSize()).upload(x); DeviceTensor wd = gpu.allocate(sh.wSize()).upload(wt);
                 DeviceTensor bd = gpu.allocate(k).upload(b); DeviceTensor yd = gpu.allocate(sh.ySize()).upload(y);
                 DeviceTensor dxd = gpu.allocate(sh.xSize()); DeviceTensor dwd = gpu.allocate(sh.wSize());
                 DeviceTensor dbd = gpu.allocate(k)) {
                Runnable device = () -> {
                    conv.forwardDevice(sh, xd.ptr, wd.ptr, bd.ptr, yd.ptr);
                    conv.backwardDataDevice(sh, yd.ptr, wd.ptr, dxd.ptr);
                    conv.backwardWeightsDevice(sh, xd.ptr, yd.ptr, dwd.ptr, dbd.ptr);
                };
                Runnable host = () -> {
                    conv.forward(sh, x.segment(), wt.segment(), b.segment(), y.segment());
                    conv.backwardData(sh, y.segment(), wt.segment(), dx.segment());
                    conv.backwardWeights(sh, x.segment(), y.segment(), dw.segment(), db.segment());
                };
                double dev = time(gpu, device, iters), hst = time(gpu, host, Math.max(5, iters / 10));
                double gflop = 3 * sh.flops() * 1e-9;
                int[] al = conv.algorithms(sh);
                System.out.printf("cudnn conv3x3 n%d c%d %dx%d k%d fwd+bwd: device buffers %.3f ms (%.1f TFLOP/s), "
                        + "through host ConvKernels %.3f ms; algorithms fwd %d, bwd data %d, bwd filter %d%n",
                        n, c, h, w, k, dev, gflop / dev, hst, al[0], al[1], al[2]);
            }
        }
    }

    private static double time(Gpu gpu, Runnable r, int iters) {
        for (int i = 0; i < 5; i++) r.run();
        gpu.sync();
        long t0 = System.nanoTime();
        for (int i = 0; i < iters; i++) r.run();
        gpu.sync();
        return (System.nanoTime() - t0) * 1e-6 / iters;
    }
}
