// Rust op: src/ops/conv2d (conv2d_forward, conv2d_backward_data,
// conv2d_backward_filter), every `groups` (depthwise included). Exact mode:
// these kernels reproduce the CPU's documented chains, so results are
// bit-identical to the CPU reference (fast mode runs cuDNN instead).
// Padded input positions take part in the chains as +0, as on the CPU.
// - forward, one thread per output y[n][co][oy][ox]: acc = +0, then
//   acc = fmaf(w[co][ci][ky][kx], x[n][g*cig+ci][iy][ix], acc) over
//   (ci, ky, kx) ascending (ci slowest) within the group;
// - backward_data, one thread per input element dx[n][c][iy][ix] (a gather:
//   no atomics): dx = +0; for (ky, kx) ascending, when an output (oy, ox)
//   reads this element through that tap, dcol = +0 then
//   dcol = fmaf(w[co][ci][ky][kx], dy[n][co][oy][ox], dcol) over the group's
//   co ascending, and dx = dx + dcol (one rounded addition);
// - backward_filter, one thread per weight dw[co][ci][ky][kx]: acc = +0, then
//   acc = fmaf(dy[n][co][oy][ox], x[..][iy][ix] or +0, acc) over (n, oy, ox)
//   ascending (n slowest).
// Geometry in ConvGeom (all sizes, PyTorch's output formula computed on the
// host). Grid-stride loops: any launch shape gives the same result.

struct ConvGeom {
    unsigned long long n, cin, h, w, cout, oh, ow, kh, kw, sy, sx, py, px, dy, dx, groups;
};

// Input coordinate o*s + k*d - p along one axis, or -1 in the padding.
__device__ static long long conv_src(unsigned long long o, unsigned long long s,
                                     unsigned long long k, unsigned long long d,
                                     unsigned long long p, unsigned long long size) {
    long long i = (long long)(o * s + k * d) - (long long)p;
    return (i >= 0 && (unsigned long long)i < size) ? i : -1;
}

// Output coordinate reading input i through tap k along one axis, or -1.
__device__ static long long conv_dst(unsigned long long i, unsigned long long s,
                                     unsigned long long k, unsigned long long d,
                                     unsigned long long p, unsigned long long out) {
    long long t = (long long)(i + p) - (long long)(k * d);
    if (t < 0 || t % (long long)s != 0) return -1;
    long long o = t / (long long)s;
    return (unsigned long long)o < out ? o : -1;
}

extern "C" __global__ void conv2d_forward_exact_f32(const float* x, const float* w, float* y,
                                                    ConvGeom g) {
    unsigned long long cig = g.cin / g.groups, cog = g.cout / g.groups;
    unsigned long long total = g.n * g.cout * g.oh * g.ow;
    for (unsigned long long o = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         o < total; o += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ox = o % g.ow, oy = (o / g.ow) % g.oh;
        unsigned long long co = (o / (g.ow * g.oh)) % g.cout, b = o / (g.ow * g.oh * g.cout);
        unsigned long long c0 = (co / cog) * cig;
        const float* wk = w + co * cig * g.kh * g.kw;
        float acc = 0.0f;
        for (unsigned long long ci = 0; ci < cig; ++ci) {
            const float* xp = x + (b * g.cin + c0 + ci) * g.h * g.w;
            for (unsigned long long ky = 0; ky < g.kh; ++ky) {
                long long iy = conv_src(oy, g.sy, ky, g.dy, g.py, g.h);
                for (unsigned long long kx = 0; kx < g.kw; ++kx) {
                    long long ix = conv_src(ox, g.sx, kx, g.dx, g.px, g.w);
                    float xv = (iy >= 0 && ix >= 0) ? xp[iy * g.w + ix] : 0.0f;
                    acc = fmaf(wk[(ci * g.kh + ky) * g.kw + kx], xv, acc);
                }
            }
        }
        y[o] = acc;
    }
}

extern "C" __global__ void conv2d_backward_data_exact_f32(const float* dy, const float* w,
                                                          float* dx, ConvGeom g) {
    unsigned long long cig = g.cin / g.groups, cog = g.cout / g.groups;
    unsigned long long total = g.n * g.cin * g.h * g.w;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         i < total; i += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long ix = i % g.w, iy = (i / g.w) % g.h;
        unsigned long long c = (i / (g.w * g.h)) % g.cin, b = i / (g.w * g.h * g.cin);
        unsigned long long grp = c / cig, ci = c % cig;
        float acc = 0.0f;
        for (unsigned long long ky = 0; ky < g.kh; ++ky) {
            long long oy = conv_dst(iy, g.sy, ky, g.dy, g.py, g.oh);
            if (oy < 0) continue;
            for (unsigned long long kx = 0; kx < g.kw; ++kx) {
                long long ox = conv_dst(ix, g.sx, kx, g.dx, g.px, g.ow);
                if (ox < 0) continue;
                float dcol = 0.0f;
                for (unsigned long long cl = 0; cl < cog; ++cl) {
                    unsigned long long co = grp * cog + cl;
                    float wv = w[((co * cig + ci) * g.kh + ky) * g.kw + kx];
                    float gv = dy[((b * g.cout + co) * g.oh + oy) * g.ow + ox];
                    dcol = fmaf(wv, gv, dcol);
                }
                acc = __fadd_rn(acc, dcol);
            }
        }
        dx[i] = acc;
    }
}

extern "C" __global__ void conv2d_backward_filter_exact_f32(const float* x, const float* dy,
                                                            float* dw, ConvGeom g) {
    unsigned long long cig = g.cin / g.groups, cog = g.cout / g.groups;
    unsigned long long total = g.cout * cig * g.kh * g.kw;
    for (unsigned long long t = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x;
         t < total; t += (unsigned long long)gridDim.x * blockDim.x) {
        unsigned long long kx = t % g.kw, ky = (t / g.kw) % g.kh;
        unsigned long long ci = (t / (g.kw * g.kh)) % cig, co = t / (g.kw * g.kh * cig);
        unsigned long long c = (co / cog) * cig + ci;
        float acc = 0.0f;
        for (unsigned long long b = 0; b < g.n; ++b) {
            const float* xp = x + (b * g.cin + c) * g.h * g.w;
            const float* gp = dy + (b * g.cout + co) * g.oh * g.ow;
            for (unsigned long long oy = 0; oy < g.oh; ++oy) {
                long long iy = conv_src(oy, g.sy, ky, g.dy, g.py, g.h);
                for (unsigned long long ox = 0; ox < g.ow; ++ox) {
                    long long ix = conv_src(ox, g.sx, kx, g.dx, g.px, g.w);
                    float xv = (iy >= 0 && ix >= 0) ? xp[iy * g.w + ix] : 0.0f;
                    acc = fmaf(gp[oy * g.ow + ox], xv, acc);
                }
            }
        }
        dw[t] = acc;
    }
}
