// Rust op: src/ops/drop_path (drop_path_forward, drop_path_backward).
// No accumulation. Per element y = (x / keep_prob) * m, a true IEEE division
// (__fdiv_rn) then a rounded product (__fmul_rn), never a multiplication by
// the reciprocal; m = 1 when keep[sample] != 0, else 0 (so a dropped negative
// is -0.0 and a dropped inf/NaN is NaN, as on the CPU). keep_prob is
// 1 - drop_prob computed in f64 on the host and rounded to float; keep[] is
// drawn on the host from the derived stream. The backward applies the same
// map to dy, so one kernel serves both. Bit-identical to the CPU reference.

extern "C" __global__ void drop_path_f32(const float* x, const unsigned char* keep, float keep_prob,
                                         unsigned long long sample, float* y,
                                         unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        float m = keep[i / sample] ? 1.0f : 0.0f;
        y[i] = __fmul_rn(__fdiv_rn(x[i], keep_prob), m);
    }
}
