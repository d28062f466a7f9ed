// Rust: `Real::exp` / `Real::ln` for f32 (src/real.rs), i.e. libm::expf and
// libm::logf, applied elementwise. The functions themselves are in
// libm.cuh; these entry points let the host tests (and the GPU check) run
// them over large sets of inputs. Bit-identical to the CPU reference for
// every non-NaN result.
#include "libm.cuh"

extern "C" __global__ void exp_f32(const float* x, float* y, unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        y[i] = csnas_expf(x[i]);
}

extern "C" __global__ void log_f32(const float* x, float* y, unsigned long long n) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x)
        y[i] = csnas_logf(x[i]);
}
