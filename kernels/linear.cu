// Rust op: src/ops/linear (linear_forward, linear_backward), around the
// matrix products (cuBLAS in fast mode, gemm.cu in exact mode). No fused
// multiply-add; bit-identical to the CPU reference:
// - linear_bias_f32: y[i][j] = y[i][j] + b[j], one rounded addition after
//   the product's chain, one thread per element;
// - column_sum_f32: db[j] = +0 + dy[0][j] + dy[1][j] + ... (rows ascending,
//   rounded additions), one thread per column: the bias gradient.

extern "C" __global__ void linear_bias_f32(float* y, const float* b, unsigned long long rows,
                                           unsigned long long cols) {
    for (unsigned long long e = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         e < rows * cols; e += (unsigned long long)gridDim.x * blockDim.x)
        y[e] = __fadd_rn(y[e], b[e % cols]);
}

extern "C" __global__ void column_sum_f32(const float* m, float* out, unsigned long long rows,
                                          unsigned long long cols) {
    for (unsigned long long j = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         j < cols; j += (unsigned long long)gridDim.x * blockDim.x) {
        float s = 0.0f;
        for (unsigned long long i = 0; i < rows; ++i) s = __fadd_rn(s, m[i * cols + j]);
        out[j] = s;
    }
}
