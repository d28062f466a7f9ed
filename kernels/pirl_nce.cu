// Rust op: src/train/pirl_nce.rs (pirl_nce_forward, pirl_nce_backward,
// MemoryBank::update), around rows.cu. Bit-identical to the CPU reference
// (exp/ln from libm.cuh). Bank entry j is m_j = S_j / c; logit slot 0 of row
// i is its own image indices[i], slots 1..K its negatives (row-major (B, K)).
// - pirl_bank_units_f32, one thread per bank row j: m_jk = S_jk / c;
//   nrm = sqrt(chain fmaf(m_jk, m_jk, acc) over k from +0); u_jk = m_jk /
//   (nrm >= eps ? nrm : eps);
// - pirl_logits_f32, one thread per (i, slot): s = (chain fmaf(xh_ik, u_jk,
//   acc) over k from +0) / tau;
// - nce_rows_f32, one thread per row: log-sum-exp over the row's slots in
//   order (m = slot 0, then m = (m >= v) ? m : v; s = +0 + exp(v - m) ...),
//   P = exp(v - m) / s, loss_i = (m + ln s) - v_0. Mean: sum_div_f32;
// - pirl_dhat_f32, one thread per (i, k): acc = +0, then over slots in
//   order acc = fmaf(((P_is - [s = 0]) * scale) / tau, u_jk, acc);
// - pirl_bank_update_f32, one thread per feature column k: for r ascending,
//   S_{indices[r], k} = f_rk + keep * S_{indices[r], k} (rounded product,
//   then sum), so a repeated index updates in the CPU's row order.
#include "libm.cuh"

__device__ static unsigned long long pirl_slot(const unsigned long long* indices,
                                               const unsigned long long* negatives,
                                               unsigned long long k, unsigned long long i,
                                               unsigned long long s) {
    return s == 0 ? indices[i] : negatives[i * k + s - 1];
}

extern "C" __global__ void pirl_bank_units_f32(const float* sums, float count, float* units,
                                               unsigned long long size, unsigned long long d,
                                               float eps) {
    for (unsigned long long j = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         j < size; j += (unsigned long long)gridDim.x * blockDim.x) {
        float acc = 0.0f;
        for (unsigned long long k = 0; k < d; ++k) {
            float m = __fdiv_rn(sums[j * d + k], count);
            acc = fmaf(m, m, acc);
        }
        float nrm = __fsqrt_rn(acc);
        float denom = nrm >= eps ? nrm : eps;
        for (unsigned long long k = 0; k < d; ++k)
            units[j * d + k] = __fdiv_rn(__fdiv_rn(sums[j * d + k], count), denom);
    }
}

extern "C" __global__ void pirl_logits_f32(const float* xh, const float* units,
                                           const unsigned long long* indices,
                                           const unsigned long long* negatives, float* scores,
                                           unsigned long long b, unsigned long long k,
                                           unsigned long long d, float tau) {
    unsigned long long slots = k + 1;
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < b * slots; e += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long i = e / slots, s = e % slots;
        const float* u = units + pirl_slot(indices, negatives, k, i, s) * d;
        float acc = 0.0f;
        for (unsigned long long t = 0; t < d; ++t) acc = fmaf(xh[i * d + t], u[t], acc);
        scores[e] = __fdiv_rn(acc, tau);
    }
}

extern "C" __global__ void nce_rows_f32(const float* scores, float* probs, float* row_loss,
                                        unsigned long long rows, unsigned long long cols) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < rows; i += (unsigned long long)gridDim.x * blockDim.x) {
        const float* v = scores + i * cols;
        float m = v[0];
        for (unsigned long long j = 1; j < cols; ++j) m = m >= v[j] ? m : v[j];
        float sum = 0.0f;
        for (unsigned long long j = 0; j < cols; ++j)
            sum = __fadd_rn(sum, csnas_expf(__fsub_rn(v[j], m)));
        float lse = __fadd_rn(m, csnas_logf(sum));
        for (unsigned long long j = 0; j < cols; ++j)
            probs[i * cols + j] = __fdiv_rn(csnas_expf(__fsub_rn(v[j], m)), sum);
        row_loss[i] = __fsub_rn(lse, v[0]);
    }
}

extern "C" __global__ void pirl_dhat_f32(const float* probs, const float* units,
                                         const unsigned long long* indices,
                                         const unsigned long long* negatives, float* dhat,
                                         unsigned long long b, unsigned long long k,
                                         unsigned long long d, float scale, float tau) {
    unsigned long long slots = k + 1;
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < b * d; e += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long i = e / d, t = e % d;
        float acc = 0.0f;
        for (unsigned long long s = 0; s < slots; ++s) {
            float target = s == 0 ? 1.0f : 0.0f;
            float g = __fdiv_rn(__fmul_rn(__fsub_rn(probs[i * slots + s], target), scale), tau);
            acc = fmaf(g, units[pirl_slot(indices, negatives, k, i, s) * d + t], acc);
        }
        dhat[e] = acc;
    }
}

extern "C" __global__ void pirl_bank_update_f32(float* sums, const unsigned long long* indices,
                                                const float* features, unsigned long long b,
                                                unsigned long long d, float keep) {
    for (unsigned long long t = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; t < d;
         t += (unsigned long long)gridDim.x * blockDim.x) {
        for (unsigned long long r = 0; r < b; ++r) {
            float* s = sums + indices[r] * d + t;
            *s = __fadd_rn(features[r * d + t], __fmul_rn(keep, *s));
        }
    }
}
