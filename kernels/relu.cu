// Rust op: src/ops/relu (relu_forward, relu_backward). No accumulation.
// Forward: y = (x < 0) ? 0 : x, so -0.0 stays -0.0 and NaN stays NaN, as on
// the CPU. Backward: dx = (x > 0) ? dy : 0. One thread per element
// (grid-stride loop); elements are independent, so results are bit-identical
// to the CPU reference.

extern "C" __global__ void relu_forward_f32(const float* x, float* y, unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        float v = x[i];
        y[i] = (v < 0.0f) ? 0.0f : v;
    }
}

extern "C" __global__ void relu_backward_f32(const float* x, const float* dy, float* dx,
                                             unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        dx[i] = (x[i] > 0.0f) ? dy[i] : 0.0f;
    }
}

// Masked forms (ops::relu relu_forward_masked / relu_backward_masked): the
// forward also writes mask[i] = (x > 0), one byte per element, which is all
// the backward keeps; the backward is dx = mask ? dy : 0.
extern "C" __global__ void relu_forward_mask_f32(const float* x, float* y, unsigned char* mask,
                                                 unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        float v = x[i];
        y[i] = (v < 0.0f) ? 0.0f : v;
        mask[i] = v > 0.0f ? 1 : 0;
    }
}

extern "C" __global__ void relu_backward_mask_f32(const unsigned char* mask, const float* dy,
                                                  float* dx, unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        dx[i] = mask[i] ? dy[i] : 0.0f;
    }
}
