// Rust op: src/ops/batch_norm (batch_norm_train_forward, _eval_forward,
// batch_norm_backward). No fused multiply-add anywhere (__fmul_rn/__fadd_rn,
// and the module is compiled with --fmad=false). Per-channel values use the
// CPU's formulas exactly (see the Rust module doc); only the order of the
// channel sums has two variants, and no variant uses atomics:
// - `_seq` kernels: one thread per channel sums sequentially over (n, y, x)
//   ascending from 0 — the CPU's order, so bit-identical (slow: the basis of
//   the future bit-exact mode);
// - `_block` kernels: one block of BN_BLOCK (256) threads per channel. Thread
//   t sums, sequentially from 0, the channel's elements j = t, t+256, t+512,
//   ... (j the (n, y, x) row-major index within the channel); then the 256
//   partial sums are combined by a fixed tree in shared memory: for stride =
//   128, 64, ..., 1, s[t] = s[t] + s[t + stride] for t < stride. The order is
//   fixed (replays are bit-identical on any GPU run with BN_BLOCK threads),
//   but it DIFFERS from the CPU's sequential order, so results agree with the
//   CPU only to rounding (the verify tolerances).
// Statistics: mean = sum(x) / count; ssd = sum(d*d), d = x - mean (two
// passes). Finalize per channel: inv_std = 1 / sqrt(ssd / count + eps);
// rm = m*mean + (1-m)*rm; rv = m*(ssd / (count-1)) + (1-m)*rv.
// Backward sums: sum_dy = sum(dy), sum_dy_xhat = sum(dy*x_hat) in the order of
// the variant; dx = k * ((dy*count - sum_dy) - x_hat*sum_dy_xhat) with
// k = (gamma * inv_std) / count (gamma = 1 when gamma is null).

#define BN_BLOCK 256

// Element j (0 <= j < count) of channel ch in an NCHW buffer.
__device__ static unsigned long long bn_index(unsigned long long j, unsigned long long ch,
                                              unsigned long long c, unsigned long long plane) {
    return ((j / plane) * c + ch) * plane + j % plane;
}

// Stats, bit-exact order. One thread per channel; writes mean[ch], ssd[ch].
extern "C" __global__ void batch_norm_stats_seq_f32(const float* x, float* mean, float* ssd,
                                                    unsigned long long batch, unsigned long long c,
                                                    unsigned long long plane) {
    unsigned long long count = batch * plane;
    for (unsigned long long ch = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; ch < c;
         ch += (unsigned long long)gridDim.x * blockDim.x) {
        float s = 0.0f;
        for (unsigned long long j = 0; j < count; ++j) s = __fadd_rn(s, x[bn_index(j, ch, c, plane)]);
        float mu = __fdiv_rn(s, (float)count);
        float q = 0.0f;
        for (unsigned long long j = 0; j < count; ++j) {
            float d = __fsub_rn(x[bn_index(j, ch, c, plane)], mu);
            q = __fadd_rn(q, __fmul_rn(d, d));
        }
        mean[ch] = mu;
        ssd[ch] = q;
    }
}

// Fixed-order tree over one block's partial sums; returns the total to all.
__device__ static float bn_block_sum(float* s, float v) {
    s[threadIdx.x] = v;
    __syncthreads();
    for (unsigned int stride = BN_BLOCK / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) s[threadIdx.x] = __fadd_rn(s[threadIdx.x], s[threadIdx.x + stride]);
        __syncthreads();
    }
    float total = s[0];
    __syncthreads();
    return total;
}

// Stats, block order. Launch with grid = c, block = BN_BLOCK.
extern "C" __global__ void batch_norm_stats_block_f32(const float* x, float* mean, float* ssd,
                                                      unsigned long long batch,
                                                      unsigned long long c,
                                                      unsigned long long plane) {
    __shared__ float s[BN_BLOCK];
    unsigned long long ch = blockIdx.x;
    unsigned long long count = batch * plane;
    float part = 0.0f;
    for (unsigned long long j = threadIdx.x; j < count; j += BN_BLOCK)
        part = __fadd_rn(part, x[bn_index(j, ch, c, plane)]);
    float mu = __fdiv_rn(bn_block_sum(s, part), (float)count);
    part = 0.0f;
    for (unsigned long long j = threadIdx.x; j < count; j += BN_BLOCK) {
        float d = __fsub_rn(x[bn_index(j, ch, c, plane)], mu);
        part = __fadd_rn(part, __fmul_rn(d, d));
    }
    float q = bn_block_sum(s, part);
    if (threadIdx.x == 0) {
        mean[ch] = mu;
        ssd[ch] = q;
    }
}

// Per channel: inv_std and the running-statistics update. m and one_minus_m
// are computed in f64 on the host and rounded to float.
extern "C" __global__ void batch_norm_finalize_f32(const float* mean, const float* ssd,
                                                   float* inv_std, float* running_mean,
                                                   float* running_var, float eps, float m,
                                                   float one_minus_m, unsigned long long count,
                                                   unsigned long long c) {
    for (unsigned long long ch = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; ch < c;
         ch += (unsigned long long)gridDim.x * blockDim.x) {
        float var = __fdiv_rn(ssd[ch], (float)count);
        inv_std[ch] = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(var, eps)));
        running_mean[ch] = __fadd_rn(__fmul_rn(m, mean[ch]), __fmul_rn(one_minus_m, running_mean[ch]));
        float unbiased = __fdiv_rn(ssd[ch], (float)(count - 1));
        running_var[ch] = __fadd_rn(__fmul_rn(m, unbiased), __fmul_rn(one_minus_m, running_var[ch]));
    }
}

// x_hat = (x - mean) * inv_std; y = x_hat * gamma + beta (x_hat when gamma is
// null). Training passes the batch mean/inv_std and a non-null x_hat; eval
// passes the running mean and 1/sqrt(rv + eps) and x_hat = null.
extern "C" __global__ void batch_norm_apply_f32(const float* x, const float* mean,
                                                const float* inv_std, const float* gamma,
                                                const float* beta, float* x_hat, float* y,
                                                unsigned long long c, unsigned long long plane,
                                                unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ch = (i / plane) % c;
        float xh = __fmul_rn(__fsub_rn(x[i], mean[ch]), inv_std[ch]);
        if (x_hat) x_hat[i] = xh;
        y[i] = gamma ? __fadd_rn(__fmul_rn(xh, gamma[ch]), beta[ch]) : xh;
    }
}

// Eval inv_std = 1 / sqrt(running_var + eps), per channel.
extern "C" __global__ void batch_norm_eval_inv_std_f32(const float* running_var, float* inv_std,
                                                       float eps, unsigned long long c) {
    for (unsigned long long ch = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; ch < c;
         ch += (unsigned long long)gridDim.x * blockDim.x)
        inv_std[ch] = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(running_var[ch], eps)));
}

// Backward sums, bit-exact order: one thread per channel.
extern "C" __global__ void batch_norm_backward_sums_seq_f32(const float* dy, const float* x_hat,
                                                            float* sum_dy, float* sum_dy_xhat,
                                                            unsigned long long batch,
                                                            unsigned long long c,
                                                            unsigned long long plane) {
    unsigned long long count = batch * plane;
    for (unsigned long long ch = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; ch < c;
         ch += (unsigned long long)gridDim.x * blockDim.x) {
        float a = 0.0f, b = 0.0f;
        for (unsigned long long j = 0; j < count; ++j) a = __fadd_rn(a, dy[bn_index(j, ch, c, plane)]);
        for (unsigned long long j = 0; j < count; ++j) {
            unsigned long long i = bn_index(j, ch, c, plane);
            b = __fadd_rn(b, __fmul_rn(dy[i], x_hat[i]));
        }
        sum_dy[ch] = a;
        sum_dy_xhat[ch] = b;
    }
}

// Backward sums, block order. Launch with grid = c, block = BN_BLOCK.
extern "C" __global__ void batch_norm_backward_sums_block_f32(const float* dy, const float* x_hat,
                                                              float* sum_dy, float* sum_dy_xhat,
                                                              unsigned long long batch,
                                                              unsigned long long c,
                                                              unsigned long long plane) {
    __shared__ float s[BN_BLOCK];
    unsigned long long ch = blockIdx.x;
    unsigned long long count = batch * plane;
    float a = 0.0f, b = 0.0f;
    for (unsigned long long j = threadIdx.x; j < count; j += BN_BLOCK)
        a = __fadd_rn(a, dy[bn_index(j, ch, c, plane)]);
    for (unsigned long long j = threadIdx.x; j < count; j += BN_BLOCK) {
        unsigned long long i = bn_index(j, ch, c, plane);
        b = __fadd_rn(b, __fmul_rn(dy[i], x_hat[i]));
    }
    float ta = bn_block_sum(s, a);
    float tb = bn_block_sum(s, b);
    if (threadIdx.x == 0) {
        sum_dy[ch] = ta;
        sum_dy_xhat[ch] = tb;
    }
}

// dx = k * ((dy*count - sum_dy) - x_hat*sum_dy_xhat), k = (gamma*inv_std)/count.
extern "C" __global__ void batch_norm_backward_dx_f32(const float* dy, const float* x_hat,
                                                      const float* gamma, const float* inv_std,
                                                      const float* sum_dy,
                                                      const float* sum_dy_xhat, float* dx,
                                                      unsigned long long c,
                                                      unsigned long long plane,
                                                      unsigned long long count,
                                                      unsigned long long n) {
    float cnt = (float)count;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ch = (i / plane) % c;
        float g = gamma ? gamma[ch] : 1.0f;
        float k = __fdiv_rn(__fmul_rn(g, inv_std[ch]), cnt);
        float inner = __fsub_rn(__fsub_rn(__fmul_rn(dy[i], cnt), sum_dy[ch]),
                                __fmul_rn(x_hat[i], sum_dy_xhat[ch]));
        dx[i] = __fmul_rn(k, inner);
    }
}
