// Rust op: src/train/nt_xent.rs (nt_xent_forward, nt_xent_backward), around
// rows.cu (normalisation, its backward, the mean). Bit-identical to the CPU
// reference: the same chains, and exp/ln from libm.cuh (the CPU's libm
// algorithms). For z of shape (R, D), R = 2N rows, positive p(i) = (i+N) mod R:
// - nt_xent_sim_f32, one thread per (i, j): S_ij = (chain fmaf(zh_ik, zh_jk,
//   acc) over k ascending from +0) / tau;
// - nt_xent_rows_f32, one thread per row i: over j != i ascending,
//   m = first value, then m = (m >= v) ? m : v; s = +0 + exp(S_ij - m) + ...
//   in the same order; lse = m + ln(s); P_ij = exp(S_ij - m) / s (P_ii = +0);
//   loss_i = lse - S_{i,p(i)}. The mean is sum_div_f32 with divisor R;
// - nt_xent_grad_f32, one thread per (i, j): G_ij = (P_ij - [j = p(i)]) *
//   scale (scale = dL / R, rounded on the host as the CPU does); G_ii = +0;
// - nt_xent_dzhat_f32, one thread per (i, k): acc = +0, then for j != i
//   ascending acc = fmaf((G_ij + G_ji) / tau, zh_jk, acc).
#include "libm.cuh"

extern "C" __global__ void nt_xent_sim_f32(const float* zh, float* sim, unsigned long long rows,
                                           unsigned long long d, float tau) {
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < rows * rows; e += (unsigned long long)gridDim.x * blockDim.x) {
        const float* a = zh + (e / rows) * d;
        const float* b = zh + (e % rows) * d;
        float acc = 0.0f;
        for (unsigned long long k = 0; k < d; ++k) acc = fmaf(a[k], b[k], acc);
        sim[e] = __fdiv_rn(acc, tau);
    }
}

extern "C" __global__ void nt_xent_rows_f32(const float* sim, float* probs, float* row_loss,
                                            unsigned long long rows) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < rows; i += (unsigned long long)gridDim.x * blockDim.x) {
        const float* s = sim + i * rows;
        unsigned long long first = i == 0 ? 1 : 0;
        float m = s[first];
        for (unsigned long long j = first + 1; j < rows; ++j) {
            if (j == i) continue;
            m = m >= s[j] ? m : s[j];
        }
        float sum = 0.0f;
        for (unsigned long long j = 0; j < rows; ++j) {
            if (j != i) sum = __fadd_rn(sum, csnas_expf(__fsub_rn(s[j], m)));
        }
        float lse = __fadd_rn(m, csnas_logf(sum));
        for (unsigned long long j = 0; j < rows; ++j)
            probs[i * rows + j] = j == i ? 0.0f : __fdiv_rn(csnas_expf(__fsub_rn(s[j], m)), sum);
        row_loss[i] = __fsub_rn(lse, s[(i + rows / 2) % rows]);
    }
}

extern "C" __global__ void nt_xent_grad_f32(const float* probs, float* g, unsigned long long rows,
                                            float scale) {
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < rows * rows; e += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long i = e / rows, j = e % rows;
        float target = j == (i + rows / 2) % rows ? 1.0f : 0.0f;
        g[e] = i == j ? 0.0f : __fmul_rn(__fsub_rn(probs[e], target), scale);
    }
}

extern "C" __global__ void nt_xent_dzhat_f32(const float* g, const float* zh, float* dzh,
                                             unsigned long long rows, unsigned long long d,
                                             float tau) {
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < rows * d; e += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long i = e / d, k = e % d;
        float acc = 0.0f;
        for (unsigned long long j = 0; j < rows; ++j) {
            if (j == i) continue;
            float coeff = __fdiv_rn(__fadd_rn(g[i * rows + j], g[j * rows + i]), tau);
            acc = fmaf(coeff, zh[j * d + k], acc);
        }
        dzh[e] = acc;
    }
}
