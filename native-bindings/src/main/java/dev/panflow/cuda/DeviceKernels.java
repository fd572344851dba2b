package dev.panflow.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.panflow.UserError;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Launchers of the kernels in src/main/cuda/panflow_kernels.cu. Arguments go through one
 * argument block made once (8 bytes per argument, and the array of pointers to them that
 * cuLaunchKernel takes), so a launch allocates nothing. Not thread-safe: one thread drives a GPU.
 */
final class DeviceKernels {
    /** Kernel names the Java side launches (the PTX test checks each one is in the resource). */
    static final List<String> NAMES = List.of("pf_gaussian", "pf_time", "pf_gather_rows", "pf_ot_path",
            "pf_embed_input", "pf_bias_silu", "pf_add_bias", "pf_silu_backward", "pf_mse_grad", "pf_sum_squares",
            "pf_clip", "pf_adam", "pf_ema", "pf_lincomb", "pf_fill");
    static final int BLOCK = 256; // the reduction kernels assume 256 threads per block
    private static final int MAX_ARGS = 16;
    private final Gpu gpu;
    private final MemorySegment vals, ptrs;
    private final MemorySegment gaussian, time, gatherRows, otPath, embedInput, biasSilu, addBias, siluBackward,
            mseGrad, sumSquares, clip, adam, ema, lincomb, fill;
    private final int maxBlocks;

    DeviceKernels(Gpu gpu, Arena arena) {
        this.gpu = gpu;
        vals = arena.allocate(8L * MAX_ARGS, 8);
        ptrs = arena.allocate(8L * MAX_ARGS, 8);
        for (int i = 0; i < MAX_ARGS; i++) ptrs.setAtIndex(ADDRESS, i, vals.asSlice(8L * i, 8));
        gaussian = gpu.function("pf_gaussian");
        time = gpu.function("pf_time");
        gatherRows = gpu.function("pf_gather_rows");
        otPath = gpu.function("pf_ot_path");
        embedInput = gpu.function("pf_embed_input");
        biasSilu = gpu.function("pf_bias_silu");
        addBias = gpu.function("pf_add_bias");
        siluBackward = gpu.function("pf_silu_backward");
        mseGrad = gpu.function("pf_mse_grad");
        sumSquares = gpu.function("pf_sum_squares");
        clip = gpu.function("pf_clip");
        adam = gpu.function("pf_adam");
        ema = gpu.function("pf_ema");
        lincomb = gpu.function("pf_lincomb");
        fill = gpu.function("pf_fill");
        maxBlocks = Math.max(1, gpu.multiprocessors) * 16;
    }

    private void p(int i, long v) { vals.set(JAVA_LONG, 8L * i, v); }
    private void i32(int i, int v) { vals.set(JAVA_INT, 8L * i, v); }
    private void f32(int i, float v) { vals.set(JAVA_FLOAT, 8L * i, v); }

    /** Launches {@code f} over n elements: a grid-stride loop, at most 16 blocks per multiprocessor. */
    private void launch(MemorySegment f, long n) {
        int blocks = (int) Math.max(1, Math.min(maxBlocks, (n + BLOCK - 1) / BLOCK));
        try {
            int rc = (int) gpu.cu.cuLaunchKernel.invokeExact(f, blocks, 1, 1, BLOCK, 1, 1, 0, MemorySegment.NULL, ptrs,
                    MemorySegment.NULL);
            gpu.cu.check(rc, "cuLaunchKernel");
        } catch (UserError e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    void gaussian(long out, long n, long seed, long stream, float std) {
        p(0, out); p(1, n); p(2, seed); p(3, stream); f32(4, std);
        launch(gaussian, n);
    }

    void time(long t, int n, long seed, long stream, boolean logitNormal, float location, float tMax) {
        p(0, t); i32(1, n); p(2, seed); p(3, stream); i32(4, logitNormal ? 1 : 0); f32(5, location); f32(6, tMax);
        launch(time, n);
    }

    void gatherRows(long pool, long poolRows, int dim, long out, int rows, long seed, long stream) {
        p(0, pool); p(1, poolRows); i32(2, dim); p(3, out); i32(4, rows); p(5, seed); p(6, stream);
        launch(gatherRows, (long) rows * dim);
    }

    void otPath(long x0, long x1, long t, long xt, long ut, int rows, int dim, float sigmaMin) {
        p(0, x0); p(1, x1); p(2, t); p(3, xt); p(4, ut); i32(5, rows); i32(6, dim); f32(7, sigmaMin);
        launch(otPath, (long) rows * dim);
    }

    /** t = 0 (null pointer) means every row at time tAll. */
    void embedInput(long x, long t, float tAll, long omega, int freqs, long in, int rows, int dim) {
        p(0, x); p(1, t); f32(2, tAll); p(3, omega); i32(4, freqs); p(5, in); i32(6, rows); i32(7, dim);
        launch(embedInput, (long) rows * (dim + (freqs > 0 ? 2 * freqs : 1)));
    }

    void biasSilu(long pre, long bias, long post, int rows, int cols) {
        p(0, pre); p(1, bias); p(2, post); i32(3, rows); i32(4, cols);
        launch(biasSilu, (long) rows * cols);
    }

    void addBias(long y, long bias, int rows, int cols) {
        p(0, y); p(1, bias); i32(2, rows); i32(3, cols);
        launch(addBias, (long) rows * cols);
    }

    void siluBackward(long x, long dy, long dx, long n) {
        p(0, x); p(1, dy); p(2, dx); p(3, n);
        launch(siluBackward, n);
    }

    /** grad = 2·scale·(pred − target); *acc += lossScale·Σ(pred − target)² (acc must be zeroed by the caller). */
    void mseGrad(long pred, long target, long grad, long n, float scale, float lossScale, long acc) {
        p(0, pred); p(1, target); p(2, grad); p(3, n); f32(4, scale); f32(5, lossScale); p(6, acc);
        launch(mseGrad, n);
    }

    void sumSquares(long x, long n, long acc) {
        p(0, x); p(1, n); p(2, acc);
        launch(sumSquares, n);
    }

    void clip(long g, long n, long sumSquaresPtr, float maxNorm) {
        p(0, g); p(1, n); p(2, sumSquaresPtr); f32(3, maxNorm);
        launch(clip, n);
    }

    void adam(long param, long grad, long m, long v, long n, float lr, float beta1, float beta2, float eps,
              float weightDecay, long step) {
        float invBc1 = (float) (1.0 / (1.0 - Math.pow(beta1, step)));
        float invBc2 = (float) (1.0 / (1.0 - Math.pow(beta2, step)));
        p(0, param); p(1, grad); p(2, m); p(3, v); p(4, n); f32(5, lr); f32(6, beta1); f32(7, beta2); f32(8, eps);
        f32(9, weightDecay); f32(10, invBc1); f32(11, invBc2);
        launch(adam, n);
    }

    void ema(long avg, long x, float decay, long n) {
        p(0, avg); p(1, x); f32(2, decay); p(3, n);
        launch(ema, n);
    }

    /** out = x + Σ_{j<terms} c[j]·k[j], terms ≤ 4. */
    void linComb(long out, long x, float[] c, long[] k, int terms, long n) {
        if (terms > 4) throw new IllegalArgumentException("at most 4 terms, got " + terms);
        p(0, out); p(1, x);
        for (int j = 0; j < 4; j++) {
            p(2 + j, j < terms ? k[j] : 0L);
            f32(6 + j, j < terms ? c[j] : 0f);
        }
        i32(10, terms); p(11, n);
        launch(lincomb, n);
    }

    void fill(long x, float v, long n) {
        p(0, x); f32(1, v); p(2, n);
        launch(fill, n);
    }
}
