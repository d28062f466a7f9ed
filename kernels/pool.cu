// Rust op: src/ops/pool (max_pool2d_forward/_backward,
// avg_pool2d_forward/_backward; average with count_include_pad=False).
// Windows as on the CPU: output (oy, ox) covers input rows
// oy*s - p .. oy*s - p + k clipped to the input, columns likewise; padding
// never takes part. Every window is scanned row-major (iy, then ix ascending).
// - max forward, one thread per output: the first in-bounds element starts as
//   the maximum; a later one replaces it when strictly greater or NaN; the
//   argmax is iy*W + ix within the plane.
// - avg forward, one thread per output: sum from 0 in scan order with rounded
//   additions, then one division by the in-bounds count.
// - backward, one thread per INPUT element (a gather, so no atomics): the
//   CPU scatters `dx[i] += g` over outputs in row-major order starting from
//   0; here the thread for input i visits the outputs whose window holds i in
//   the same row-major order (oy, then ox ascending) and adds the same terms
//   (dy for max where argmax == i; dy / count for avg) from 0 in that order.
//   Skipped outputs contribute nothing on the CPU either, so the additions
//   happen in the same order: bit-identical to the CPU reference.

struct PoolParams {
    unsigned long long kernel, stride, padding;
};

// In-bounds input range [lo, hi) along one axis of length len for output o.
__device__ static void pool_window(const PoolParams& p, unsigned long long o,
                                   unsigned long long len, unsigned long long* lo,
                                   unsigned long long* hi) {
    unsigned long long start = o * p.stride;
    *lo = start > p.padding ? start - p.padding : 0;
    unsigned long long end = start + p.kernel;
    end = end > p.padding ? end - p.padding : 0;
    *hi = end < len ? end : len;
}

// Outputs [lo, hi) along one axis whose window holds input index i.
__device__ static void outputs_holding(const PoolParams& p, unsigned long long i,
                                       unsigned long long out_len, unsigned long long* lo,
                                       unsigned long long* hi) {
    unsigned long long ip = i + p.padding;
    *lo = ip >= p.kernel ? (ip - p.kernel) / p.stride + 1 : 0;
    unsigned long long last = ip / p.stride + 1;
    *hi = last < out_len ? last : out_len;
}

extern "C" __global__ void max_pool2d_forward_f32(const float* x, float* y, unsigned int* argmax,
                                                  PoolParams p, unsigned long long planes,
                                                  unsigned long long h, unsigned long long w,
                                                  unsigned long long oh, unsigned long long ow) {
    unsigned long long n = planes * oh * ow;
    for (unsigned long long o = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; o < n;
         o += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ox = o % ow, oy = (o / ow) % oh, pl = o / (oh * ow);
        const float* xp = x + pl * h * w;
        unsigned long long y0, y1, x0, x1;
        pool_window(p, oy, h, &y0, &y1);
        pool_window(p, ox, w, &x0, &x1);
        unsigned long long best_i = y0 * w + x0;
        float best = xp[best_i];
        for (unsigned long long iy = y0; iy < y1; ++iy) {
            for (unsigned long long ix = x0; ix < x1; ++ix) {
                unsigned long long i = iy * w + ix;
                float v = xp[i];
                if (v > best || v != v) {
                    best = v;
                    best_i = i;
                }
            }
        }
        y[o] = best;
        argmax[o] = (unsigned int)best_i;
    }
}

extern "C" __global__ void max_pool2d_backward_f32(const float* dy, const unsigned int* argmax,
                                                   float* dx, PoolParams p,
                                                   unsigned long long planes, unsigned long long h,
                                                   unsigned long long w, unsigned long long oh,
                                                   unsigned long long ow) {
    unsigned long long n = planes * h * w;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ix = i % w, iy = (i / w) % h, pl = i / (h * w);
        unsigned int flat = (unsigned int)(iy * w + ix);
        unsigned long long oy0, oy1, ox0, ox1;
        outputs_holding(p, iy, oh, &oy0, &oy1);
        outputs_holding(p, ix, ow, &ox0, &ox1);
        const float* dyp = dy + pl * oh * ow;
        const unsigned int* ap = argmax + pl * oh * ow;
        float acc = 0.0f;
        for (unsigned long long oy = oy0; oy < oy1; ++oy) {
            for (unsigned long long ox = ox0; ox < ox1; ++ox) {
                if (ap[oy * ow + ox] == flat) acc = __fadd_rn(acc, dyp[oy * ow + ox]);
            }
        }
        dx[i] = acc;
    }
}

extern "C" __global__ void avg_pool2d_forward_f32(const float* x, float* y, PoolParams p,
                                                  unsigned long long planes, unsigned long long h,
                                                  unsigned long long w, unsigned long long oh,
                                                  unsigned long long ow) {
    unsigned long long n = planes * oh * ow;
    for (unsigned long long o = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; o < n;
         o += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ox = o % ow, oy = (o / ow) % oh, pl = o / (oh * ow);
        const float* xp = x + pl * h * w;
        unsigned long long y0, y1, x0, x1;
        pool_window(p, oy, h, &y0, &y1);
        pool_window(p, ox, w, &x0, &x1);
        float sum = 0.0f;
        for (unsigned long long iy = y0; iy < y1; ++iy)
            for (unsigned long long ix = x0; ix < x1; ++ix) sum = __fadd_rn(sum, xp[iy * w + ix]);
        y[o] = __fdiv_rn(sum, (float)((y1 - y0) * (x1 - x0)));
    }
}

extern "C" __global__ void avg_pool2d_backward_f32(const float* dy, float* dx, PoolParams p,
                                                   unsigned long long planes, unsigned long long h,
                                                   unsigned long long w, unsigned long long oh,
                                                   unsigned long long ow) {
    unsigned long long n = planes * h * w;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ix = i % w, iy = (i / w) % h, pl = i / (h * w);
        unsigned long long oy0, oy1, ox0, ox1;
        outputs_holding(p, iy, oh, &oy0, &oy1);
        outputs_holding(p, ix, ow, &ox0, &ox1);
        const float* dyp = dy + pl * oh * ow;
        float acc = 0.0f;
        for (unsigned long long oy = oy0; oy < oy1; ++oy) {
            unsigned long long y0, y1;
            pool_window(p, oy, h, &y0, &y1);
            for (unsigned long long ox = ox0; ox < ox1; ++ox) {
                unsigned long long x0, x1;
                pool_window(p, ox, w, &x0, &x1);
                float g = __fdiv_rn(dyp[oy * ow + ox], (float)((y1 - y0) * (x1 - x0)));
                acc = __fadd_rn(acc, g);
            }
        }
        dx[i] = acc;
    }
}
