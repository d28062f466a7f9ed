// Elementary functions for the exact-mode kernels, following the same pure
// algorithms as the pinned `libm` crate (0.2.16) that the CPU reference
// calls through `Real::exp` / `Real::ln` (src/real.rs). Those are the
// FreeBSD msun single-precision routines (e_expf.c, e_logf.c): argument
// reduction by k·ln2 split in a high and a low part, a short polynomial on
// the reduced argument, and scaling by 2^k. Written here from the algorithm,
// operation by operation in the same order, every operation rounded once
// (no fma; the kernels are compiled with --fmad=false, the host build with
// -ffp-contract=off), so for every float input the result has the same bits
// as `libm::expf` / `libm::logf`. One exception: a NaN made here (log of a
// negative number) may carry a different payload on a GPU than on x86.
// This file is not a kernel: a `.cu` that needs it opens with
// `#include "libm.cuh"`, which the Rust side replaces by this text before
// NVRTC sees it (`KernelSource::full_source`), and g++ resolves on the host.

// x · 2^n for float x, as libm's generic scalbn for f32 (exponent range
// [-126, 127], subnormal scaling by 2^-102 steps so no double rounding).
__device__ static float csnas_scalbnf(float x, int n) {
    const float two127 = __uint_as_float(0x7f000000u);    // 2^127
    const float two_m102 = __uint_as_float(0x0c800000u);  // 2^-102
    if (n > 127) {
        x = __fmul_rn(x, two127);
        n -= 127;
        if (n > 127) {
            x = __fmul_rn(x, two127);
            n -= 127;
            if (n > 127) n = 127;
        }
    } else if (n < -126) {
        x = __fmul_rn(x, two_m102);
        n += 102;
        if (n < -126) {
            x = __fmul_rn(x, two_m102);
            n += 102;
            if (n < -126) n = -126;
        }
    }
    return __fmul_rn(x, __uint_as_float((unsigned int)(127 + n) << 23));
}

// e^x. Reduction x = k·ln2 + r, |r| ≤ ln2/2, with ln2 = LN2_HI + LN2_LO
// (LN2_HI has trailing zero bits so k·LN2_HI is exact); then
// e^r = 1 + r + r·c/(2 - c) with c = r - r²·(P1 + r²·P2) (a rational
// approximation of r·coth(r/2)); result scaled by 2^k.
__device__ static float csnas_expf(float x) {
    const float ln2_hi = 6.9314575195e-01f;
    const float ln2_lo = 1.4286067653e-06f;
    const float inv_ln2 = 1.4426950216e+00f;
    const float p1 = 1.6666625440e-1f;
    const float p2 = -2.7667332906e-3f;
    unsigned int bits = __float_as_uint(x);
    int neg = (int)(bits >> 31);
    unsigned int mag = bits & 0x7fffffffu;
    if (mag >= 0x42aeac50u) {          // |x| >= 87.33655 or NaN
        if (mag > 0x7f800000u) return x;  // NaN
        if (mag >= 0x42b17218u && !neg) return __fmul_rn(x, __uint_as_float(0x7f000000u));  // overflow
        if (neg && mag >= 0x42cff1b5u) return 0.0f;  // x <= -103.972084: underflow to +0
    }
    int k;
    float hi, lo;
    if (mag > 0x3eb17218u) {            // |x| > ln2/2
        if (mag > 0x3f851592u) {        // |x| > 1.5 ln2
            k = (int)__fadd_rn(__fmul_rn(inv_ln2, x), neg ? -0.5f : 0.5f);
        } else {
            k = 1 - neg - neg;
        }
        float kf = (float)k;
        hi = __fsub_rn(x, __fmul_rn(kf, ln2_hi));
        lo = __fmul_rn(kf, ln2_lo);
        x = __fsub_rn(hi, lo);
    } else if (mag > 0x39000000u) {     // |x| > 2^-14
        k = 0;
        hi = x;
        lo = 0.0f;
    } else {
        return __fadd_rn(1.0f, x);
    }
    float xx = __fmul_rn(x, x);
    float c = __fsub_rn(x, __fmul_rn(xx, __fadd_rn(p1, __fmul_rn(xx, p2))));
    float q = __fdiv_rn(__fmul_rn(x, c), __fsub_rn(2.0f, c));
    float y = __fadd_rn(1.0f, __fadd_rn(__fsub_rn(q, lo), hi));
    return k == 0 ? y : csnas_scalbnf(y, k);
}

// ln x. Reduction x = 2^k·(1 + f), 1 + f in [sqrt(2)/2, sqrt(2)) (subnormals
// scaled by 2^25 first); with s = f/(2 + f), ln(1 + f) = f - hfsq + s·(hfsq
// + R(s²)), R an even polynomial in Lg1..Lg4 evaluated as two interleaved
// halves; k·ln2 added as LN2_HI and LN2_LO parts.
__device__ static float csnas_logf(float x) {
    const float ln2_hi = 6.9313812256e-01f;
    const float ln2_lo = 9.0580006145e-06f;
    const float lg1 = 0.66666662693f;
    const float lg2 = 0.40000972152f;
    const float lg3 = 0.28498786688f;
    const float lg4 = 0.24279078841f;
    unsigned int ix = __float_as_uint(x);
    int k = 0;
    if (ix < 0x00800000u || (ix >> 31)) {   // subnormal, zero or negative
        if ((ix << 1) == 0) return __fdiv_rn(-1.0f, __fmul_rn(x, x));  // -inf
        if (ix >> 31) return __fdiv_rn(__fsub_rn(x, x), 0.0f);          // NaN
        k -= 25;
        x = __fmul_rn(x, __uint_as_float(0x4c000000u));  // 2^25
        ix = __float_as_uint(x);
    } else if (ix >= 0x7f800000u) {
        return x;
    } else if (ix == 0x3f800000u) {
        return 0.0f;
    }
    ix += 0x3f800000u - 0x3f3504f3u;
    k += (int)(ix >> 23) - 0x7f;
    ix = (ix & 0x007fffffu) + 0x3f3504f3u;
    x = __uint_as_float(ix);
    float f = __fsub_rn(x, 1.0f);
    float s = __fdiv_rn(f, __fadd_rn(2.0f, f));
    float z = __fmul_rn(s, s);
    float w = __fmul_rn(z, z);
    float t1 = __fmul_rn(w, __fadd_rn(lg2, __fmul_rn(w, lg4)));
    float t2 = __fmul_rn(z, __fadd_rn(lg1, __fmul_rn(w, lg3)));
    float r = __fadd_rn(t2, t1);
    float hfsq = __fmul_rn(__fmul_rn(0.5f, f), f);
    float dk = (float)k;
    float acc = __fadd_rn(__fmul_rn(s, __fadd_rn(hfsq, r)), __fmul_rn(dk, ln2_lo));
    acc = __fadd_rn(__fsub_rn(acc, hfsq), f);
    return __fadd_rn(acc, __fmul_rn(dk, ln2_hi));
}
