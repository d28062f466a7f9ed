// Rust op: the node sum of a DARTS cell, src/model/cell.rs (forward
// `a + b`, backward `add_into`, which accumulates gradient parts into a slot
// in the order the cell visits its edges). No reduction inside a kernel: each
// launch does one rounded addition per element (__fadd_rn), and the host
// issues the launches in the CPU's edge order, so results are bit-identical
// to the CPU reference.

extern "C" __global__ void add_f32(const float* a, const float* b, float* y, unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        y[i] = __fadd_rn(a[i], b[i]);
    }
}

// acc[i] = acc[i] + g[i]: one step of `add_into`.
extern "C" __global__ void add_into_f32(float* acc, const float* g, unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        acc[i] = __fadd_rn(acc[i], g[i]);
    }
}
