// Rust op: src/train/sgd.rs (clip_grad_norm), PyTorch's clip_grad_norm_
// with norm 2. Bit-identical to the CPU reference, and slow by design in
// exact mode: each tensor's sum of squares is ONE sequential chain.
// - clip_sumsq_f32 (one thread): out[slot] = chain fmaf(g_i, g_i, acc) over
//   i ascending from +0, for one gradient tensor;
// - clip_coef_f32 (one thread): total_sq = chain fmaf(n_t, n_t, acc) over
//   tensors t ascending from +0 with n_t = sqrt(sq_t); total = sqrt(total_sq);
//   coef = max_norm / (total + eps6) (eps6 = 1e-6 rounded to float on the
//   host), clamped to at most 1; writes out[0] = total, out[1] = coef;
// - scale_by_f32, one thread per element: g = g * coef, even when coef is
//   1, as the CPU (coef from clip_coef_f32, or formed on the host in the
//   same order from the clip_sumsq_f32 results).

extern "C" __global__ void clip_sumsq_f32(const float* g, unsigned long long n, float* out,
                                          unsigned long long slot) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    float acc = 0.0f;
    for (unsigned long long i = 0; i < n; ++i) acc = fmaf(g[i], g[i], acc);
    out[slot] = acc;
}

extern "C" __global__ void clip_coef_f32(const float* sq, unsigned long long tensors,
                                         float max_norm, float eps6, float* out) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    float total_sq = 0.0f;
    for (unsigned long long t = 0; t < tensors; ++t) {
        float n = __fsqrt_rn(sq[t]);
        total_sq = fmaf(n, n, total_sq);
    }
    float total = __fsqrt_rn(total_sq);
    float coef = __fdiv_rn(max_norm, __fadd_rn(total, eps6));
    out[0] = total;
    out[1] = coef > 1.0f ? 1.0f : coef;
}

extern "C" __global__ void scale_by_f32(float* g, float coef, unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        g[i] = __fmul_rn(g[i], coef);
}

// Fast mode's sum of squares (the clip's per-tensor norm): one block of
// SQ_BLOCK (256) threads; thread t chains fmaf(g_i, g_i, acc) from +0 over
// i = t, t+256, t+512, ... ascending, then the 256 partials are combined by
// a fixed tree (for stride = 128, 64, ..., 1: s[t] = s[t] + s[t + stride]).
// A fixed order (replays are bit-identical) but not the CPU's: agrees with
// it to rounding only. Launch with grid 1, block SQ_BLOCK.
#define SQ_BLOCK 256

extern "C" __global__ void clip_sumsq_block_f32(const float* g, unsigned long long n, float* out,
                                                unsigned long long slot) {
    __shared__ float s[SQ_BLOCK];
    float acc = 0.0f;
    for (unsigned long long i = threadIdx.x; i < n; i += SQ_BLOCK) acc = fmaf(g[i], g[i], acc);
    s[threadIdx.x] = acc;
    __syncthreads();
    for (unsigned int stride = SQ_BLOCK / 2; stride > 0; stride >>= 1) {
        if (threadIdx.x < stride) s[threadIdx.x] = __fadd_rn(s[threadIdx.x], s[threadIdx.x + stride]);
        __syncthreads();
    }
    if (threadIdx.x == 0) out[slot] = s[0];
}
