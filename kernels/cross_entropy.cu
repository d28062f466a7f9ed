// Rust op: src/train/cross_entropy.rs (cross_entropy_forward,
// cross_entropy_backward), with the mean by rows.cu's sum_div_f32.
// Bit-identical to the CPU reference (exp/ln from libm.cuh). One thread per
// row of the (N, K) logits:
// - forward: m = x_0, then m = (m >= x_c) ? m : x_c over c ascending;
//   s = +0 + exp(x_c - m) + ... (c ascending); lse = m + ln(s);
//   P_c = exp(x_c - m) / s; nll = lse - x_label; with smoothing eps = 0 the
//   row loss is nll; else smooth = +0 + (lse - x_0) + (lse - x_1) + ... and
//   loss = one_minus_eps * nll + eps_over_k * smooth (each op rounded;
//   one_minus_eps = 1 - eps and eps_over_k = eps / K rounded in float on the
//   host, as the CPU does);
// - backward, one thread per element: dx = (P - t) * scale with t = on for
//   the label (on = (1 - eps) + eps/K) and off = eps/K elsewhere, scale =
//   dL / N (all rounded in float on the host).
#include "libm.cuh"

extern "C" __global__ void cross_entropy_rows_f32(const float* x,
                                                  const unsigned long long* labels,
                                                  float* probs, float* row_loss,
                                                  unsigned long long n, unsigned long long k,
                                                  float eps, float one_minus_eps,
                                                  float eps_over_k) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        const float* v = x + i * k;
        float m = v[0];
        for (unsigned long long c = 1; c < k; ++c) m = m >= v[c] ? m : v[c];
        float s = 0.0f;
        for (unsigned long long c = 0; c < k; ++c) s = __fadd_rn(s, csnas_expf(__fsub_rn(v[c], m)));
        float lse = __fadd_rn(m, csnas_logf(s));
        for (unsigned long long c = 0; c < k; ++c)
            probs[i * k + c] = __fdiv_rn(csnas_expf(__fsub_rn(v[c], m)), s);
        float nll = __fsub_rn(lse, v[labels[i]]);
        if (eps == 0.0f) {
            row_loss[i] = nll;
        } else {
            float smooth = 0.0f;
            for (unsigned long long c = 0; c < k; ++c) smooth = __fadd_rn(smooth, __fsub_rn(lse, v[c]));
            row_loss[i] = __fadd_rn(__fmul_rn(one_minus_eps, nll), __fmul_rn(eps_over_k, smooth));
        }
    }
}

extern "C" __global__ void cross_entropy_backward_f32(const float* probs,
                                                      const unsigned long long* labels,
                                                      float* dx, unsigned long long n,
                                                      unsigned long long k, float on, float off,
                                                      float scale) {
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < n * k; e += (unsigned long long)gridDim.x * blockDim.x) {
        float t = (e % k) == labels[e / k] ? on : off;
        dx[e] = __fmul_rn(__fsub_rn(probs[e], t), scale);
    }
}
