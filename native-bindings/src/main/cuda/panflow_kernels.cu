// Elementwise kernels of Panflow's CUDA backend: the few operations cuBLAS lacks.
// Compiled to PTX by native-bindings/build-ptx.sh; the PTX ships as a resource and is loaded
// with cuModuleLoadData. Every kernel is a grid-stride loop, so any grid size is correct.
// Row-major float32 tensors throughout, as on the JVM side.

typedef unsigned long long u64;

#define GRID_LOOP(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
                             i += (long long)gridDim.x * blockDim.x)

// splitmix64 finaliser: a counter-based generator, value = mix(seed, stream, index).
__device__ __forceinline__ u64 mix64(u64 z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ u64 draw(u64 seed, u64 stream, u64 i) {
    return mix64(mix64(seed * 0x9E3779B97F4A7C15ULL + stream) ^ (i * 0xD1B54A32D192ED03ULL + 0x632BE59BD9B4E019ULL));
}

// Standard normal by Box–Muller from the two 24-bit halves of one draw; u1 in (0, 1].
__device__ __forceinline__ float gauss(u64 r) {
    float u1 = ((unsigned)(r >> 40) + 1u) * 0x1.0p-24f;
    float u2 = ((unsigned)(r & 0xFFFFFFu)) * 0x1.0p-24f;
    return sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
}

extern "C" {

// out[i] = std · N(0, 1)
__global__ void pf_gaussian(float* out, long long n, u64 seed, u64 stream, float stdev) {
    GRID_LOOP(i, n) out[i] = stdev * gauss(draw(seed, stream, (u64)i));
}

// Training times in [0, tMax): uniform, or tMax·σ(loc + z) with z ~ N(0, 1) (logit-normal).
__global__ void pf_time(float* t, int n, u64 seed, u64 stream, int logitNormal, float loc, float tMax) {
    GRID_LOOP(i, n) {
        u64 r = draw(seed, stream, (u64)i);
        float v;
        if (logitNormal) v = tMax / (1.0f + expf(-(loc + gauss(r))));
        else v = tMax * ((unsigned)(r >> 40) * 0x1.0p-24f);
        t[i] = fminf(v, nextafterf(tMax, 0.0f));
    }
}

// out[r, :] = pool[j, :] with j uniform in [0, poolRows): sampling the data with replacement.
__global__ void pf_gather_rows(const float* pool, long long poolRows, int dim, float* out, int rows,
                               u64 seed, u64 stream) {
    long long n = (long long)rows * dim;
    GRID_LOOP(i, n) {
        long long r = i / dim;
        int c = (int)(i - r * dim);
        u64 j = ((draw(seed, stream, (u64)r) >> 11) * (u64)poolRows) >> 53;
        out[i] = pool[(long long)j * dim + c];
    }
}

// Conditional OT path: x_t = (1 − (1 − σmin) t) x0 + t x1, target u = x1 − (1 − σmin) x0.
__global__ void pf_ot_path(const float* x0, const float* x1, const float* t, float* xt, float* ut,
                           int rows, int dim, float sigmaMin) {
    long long n = (long long)rows * dim;
    GRID_LOOP(i, n) {
        double tr = t[i / dim];
        double k = 1.0 - (double)sigmaMin;
        double a = x0[i], b = x1[i];
        xt[i] = (float)((1.0 - k * tr) * a + tr * b);
        ut[i] = (float)(-k * a + b);
    }
}

// in[r, :] = [x[r, :], emb(t_r)], emb = [sin(ω_k t), cos(ω_k t)]_k (freqs > 0) or t itself.
// t_r = t[r] when t is non-null, else tAll.
__global__ void pf_embed_input(const float* x, const float* t, float tAll, const float* omega, int freqs,
                               float* in, int rows, int dim) {
    int width = dim + (freqs > 0 ? 2 * freqs : 1);
    long long n = (long long)rows * width;
    GRID_LOOP(i, n) {
        long long r = i / width;
        int c = (int)(i - r * width);
        float tr = t ? t[r] : tAll;
        float v;
        if (c < dim) v = x[r * dim + c];
        else if (freqs == 0) v = tr;
        else {
            int k = (c - dim) >> 1;
            double a = (double)omega[k] * (double)tr;
            v = (float)(((c - dim) & 1) ? cos(a) : sin(a));
        }
        in[i] = v;
    }
}

__device__ __forceinline__ float sigmoidf(float v) { return 1.0f / (1.0f + expf(-v)); }

// pre[r, c] += bias[c]; post = SiLU(pre) = pre·σ(pre)
__global__ void pf_bias_silu(float* pre, const float* bias, float* post, int rows, int cols) {
    long long n = (long long)rows * cols;
    GRID_LOOP(i, n) {
        float v = pre[i] + bias[i % cols];
        pre[i] = v;
        post[i] = v * sigmoidf(v);
    }
}

__global__ void pf_add_bias(float* y, const float* bias, int rows, int cols) {
    long long n = (long long)rows * cols;
    GRID_LOOP(i, n) y[i] += bias[i % cols];
}

// dx = dy · σ(x)·(1 + x·(1 − σ(x)))
__global__ void pf_silu_backward(const float* x, const float* dy, float* dx, long long n) {
    GRID_LOOP(i, n) {
        float v = x[i], s = sigmoidf(v);
        dx[i] = dy[i] * s * (1.0f + v * (1.0f - s));
    }
}

// Block sum of v into *acc (one atomic per block). blockDim.x must be 256.
__device__ __forceinline__ void block_add(float v, float* acc) {
    __shared__ float part[256];
    part[threadIdx.x] = v;
    __syncthreads();
    for (int s = 128; s > 0; s >>= 1) {
        if (threadIdx.x < s) part[threadIdx.x] += part[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(acc, part[0]);
}

// grad = 2·scale·(pred − target); *acc += lossScale·Σ(pred − target)²
__global__ void pf_mse_grad(const float* pred, const float* target, float* grad, long long n, float scale,
                            float lossScale, float* acc) {
    float s = 0.0f;
    GRID_LOOP(i, n) {
        float d = pred[i] - target[i];
        s += d * d;
        grad[i] = scale * 2.0f * d;
    }
    block_add(s * lossScale, acc);
}

// *acc += Σ x²
__global__ void pf_sum_squares(const float* x, long long n, float* acc) {
    float s = 0.0f;
    GRID_LOOP(i, n) s += x[i] * x[i];
    block_add(s, acc);
}

// Global norm clipping with the norm read on the device: g ·= max/‖g‖ when ‖g‖ > max.
__global__ void pf_clip(float* g, long long n, const float* sumSquares, float maxNorm) {
    float norm = sqrtf(*sumSquares);
    if (!(norm > maxNorm)) return;
    float f = maxNorm / norm;
    GRID_LOOP(i, n) g[i] *= f;
}

// AdamW, decoupled weight decay; bias corrections precomputed on the host.
__global__ void pf_adam(float* p, const float* g, float* m, float* v, long long n, float lr, float beta1,
                        float beta2, float eps, float weightDecay, float invBc1, float invBc2) {
    GRID_LOOP(i, n) {
        float gi = g[i], pi = p[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        float den = sqrtf(vi * invBc2) + eps;
        p[i] = pi - lr * (mi * invBc1 / den + weightDecay * pi);
    }
}

// avg = d·avg + (1 − d)·x
__global__ void pf_ema(float* avg, const float* x, float d, long long n) {
    GRID_LOOP(i, n) avg[i] = d * avg[i] + (1.0f - d) * x[i];
}

// out = x + Σ_{j<terms} c_j·k_j (ODE stage updates), fused multiply-adds in order j = 0, 1, …
__global__ void pf_lincomb(float* out, const float* x, const float* k0, const float* k1, const float* k2,
                           const float* k3, float c0, float c1, float c2, float c3, int terms, long long n) {
    GRID_LOOP(i, n) {
        float s = x[i];
        if (terms > 0) s = fmaf(c0, k0[i], s);
        if (terms > 1) s = fmaf(c1, k1[i], s);
        if (terms > 2) s = fmaf(c2, k2[i], s);
        if (terms > 3) s = fmaf(c3, k3[i], s);
        out[i] = s;
    }
}

__global__ void pf_fill(float* x, float v, long long n) {
    GRID_LOOP(i, n) x[i] = v;
}

}  // extern "C"
