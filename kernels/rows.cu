// Rust op: src/train/rows.rs (normalize_rows, normalize_rows_backward) and
// the ordered means of the losses (src/train/nt_xent.rs, pirl_nce.rs,
// cross_entropy.rs: `total += l_i` then `total / n`). Shared by NT-Xent, the
// PIRL NCE and cross-entropy. One thread per row; every chain sequential in
// the CPU's order, so bit-identical to the CPU reference:
// - rows_normalize_f32: nrm = sqrt(chain acc = fmaf(x_k, x_k, acc) over k
//   ascending from +0); denom = nrm if nrm >= eps else eps (the CPU's
//   max_of); xhat_k = x_k / denom (a true division);
// - rows_normalize_backward_f32: when nrm < eps, dx_k = dxhat_k / eps; else
//   c = chain fmaf(xhat_k, dxhat_k, acc) over k ascending from +0 and
//   dx_k = (dxhat_k - xhat_k*c) / nrm, each operation rounded;
// - sum_div_f32 (one thread): out = (+0 + v_0 + v_1 + ...) / divisor.

extern "C" __global__ void rows_normalize_f32(const float* x, float* xhat, float* norms,
                                              unsigned long long rows, unsigned long long d,
                                              float eps) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < rows; i += (unsigned long long)gridDim.x * blockDim.x) {
        const float* xr = x + i * d;
        float acc = 0.0f;
        for (unsigned long long k = 0; k < d; ++k) acc = fmaf(xr[k], xr[k], acc);
        float nrm = __fsqrt_rn(acc);
        float denom = nrm >= eps ? nrm : eps;
        for (unsigned long long k = 0; k < d; ++k) xhat[i * d + k] = __fdiv_rn(xr[k], denom);
        norms[i] = nrm;
    }
}

extern "C" __global__ void rows_normalize_backward_f32(const float* xhat, const float* norms,
                                                       const float* dxhat, float* dx,
                                                       unsigned long long rows,
                                                       unsigned long long d, float eps) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < rows; i += (unsigned long long)gridDim.x * blockDim.x) {
        const float* h = xhat + i * d;
        const float* g = dxhat + i * d;
        if (norms[i] < eps) {
            for (unsigned long long k = 0; k < d; ++k) dx[i * d + k] = __fdiv_rn(g[k], eps);
            continue;
        }
        float c = 0.0f;
        for (unsigned long long k = 0; k < d; ++k) c = fmaf(h[k], g[k], c);
        for (unsigned long long k = 0; k < d; ++k)
            dx[i * d + k] = __fdiv_rn(__fsub_rn(g[k], __fmul_rn(h[k], c)), norms[i]);
    }
}

extern "C" __global__ void sum_div_f32(const float* v, unsigned long long n, float divisor,
                                       float* out) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    float total = 0.0f;
    for (unsigned long long i = 0; i < n; ++i) total = __fadd_rn(total, v[i]);
    out[0] = __fdiv_rn(total, divisor);
}
