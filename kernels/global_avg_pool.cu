// Rust op: src/ops/global_avg_pool (global_avg_pool_forward/_backward).
// Forward: one thread per plane (n, c) computes the sum sequentially over the
// plane in row-major order (y, then x, ascending) starting from 0, with
// rounded additions (__fadd_rn), then one division by H*W (__fdiv_rn): the
// CPU's order exactly, so bit-identical. (Planes here are small: the last
// feature map of the network.) Backward: dx = dy / (H*W) (a division, not a
// product with the reciprocal), broadcast over the plane, one thread per
// element.

extern "C" __global__ void global_avg_pool_forward_f32(const float* x, float* y,
                                                       unsigned long long planes,
                                                       unsigned long long plane) {
    for (unsigned long long pl = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         pl < planes; pl += (unsigned long long)gridDim.x * blockDim.x) {
        const float* xp = x + pl * plane;
        float sum = 0.0f;
        for (unsigned long long i = 0; i < plane; ++i) sum = __fadd_rn(sum, xp[i]);
        y[pl] = __fdiv_rn(sum, (float)plane);
    }
}

extern "C" __global__ void global_avg_pool_backward_f32(const float* dy, float* dx,
                                                        unsigned long long planes,
                                                        unsigned long long plane) {
    unsigned long long n = planes * plane;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        dx[i] = __fdiv_rn(dy[i / plane], (float)plane);
    }
}
