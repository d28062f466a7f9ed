// Rust op: the factorized reduce's shift in src/model/primitives.rs
// (forward `x[:, :, 1:, 1:]`, backward `dr[:, :, 1:, 1:] += dshift`). A copy
// and a rounded addition per element, no reduction: bit-identical to the
// CPU reference. A window of oh x ow starting at (y0, x0) in planes of
// h x w; one thread per window element.

extern "C" __global__ void crop_f32(const float* src, float* dst, unsigned long long planes,
                                    unsigned long long h, unsigned long long w,
                                    unsigned long long y0, unsigned long long x0,
                                    unsigned long long oh, unsigned long long ow) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < planes * oh * ow; i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long x = i % ow, y = (i / ow) % oh, p = i / (oh * ow);
        dst[i] = src[(p * h + y0 + y) * w + x0 + x];
    }
}

extern "C" __global__ void add_crop_into_f32(float* dst, const float* src,
                                             unsigned long long planes, unsigned long long h,
                                             unsigned long long w, unsigned long long y0,
                                             unsigned long long x0, unsigned long long oh,
                                             unsigned long long ow) {
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < planes * oh * ow; i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long x = i % ow, y = (i / ow) % oh, p = i / (oh * ow);
        float* d = dst + (p * h + y0 + y) * w + x0 + x;
        *d = __fadd_rn(*d, src[i]);
    }
}
