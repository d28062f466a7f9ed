//! Per-channel reductions of f32 batch norm on AVX-512 machines: 16 channels
//! at once, one channel per lane.
//!
//! Why: each channel's sum is one sequential chain (the order is the spec),
//! so a channel cannot be split; the scalar path interleaves 8 channels'
//! chains and is bound by the add latency. Here 16 channels' chains advance
//! together: 16 consecutive values of each of the 16 channel planes are
//! loaded and transposed in registers, so vector `q` holds position `q` of
//! every channel, and the 16 vectors are added in position order.
//!
//! Same bits: lane `j` is channel `c0 + j`'s chain, started at +0 and given
//! its terms in `(n, y, x)` order, each term computed with the same rounded
//! operations as the scalar path (`x`; `(x - mean)·(x - mean)`; `dy` and
//! `dy·x_hat`), with no fused multiply-add.

use super::Pass;
use crate::real::Real;
use std::arch::x86_64::*;

/// Channels per group (lanes of one register).
pub(super) const LANES: usize = 16;

/// The sums (`K` per channel, `K` = 1 or 2) of channels `c0..c0 + 16` of
/// standard-layout NCHW buffers of shape `(n, c, plane)`, or `None` where the
/// CPU lacks AVX-512F or `T` is not f32 (the caller then takes the scalar path).
pub(super) fn group_sums<T: Real, const K: usize>(
    pass: Pass<'_, T>,
    (n, c, plane): (usize, usize, usize),
    c0: usize,
) -> Option<[[T; K]; LANES]> {
    if !crate::ops::simd::avx512_f32::<T>() {
        return None;
    }
    assert!(c0 + LANES <= c);
    let len = n * c * plane;
    let (x, y, kind) = match pass {
        Pass::Sum(x) => (x, x, 0),
        Pass::Ssd(x, mean) => {
            assert!(mean.len() >= c0 + LANES);
            (x, &mean[c0..], 1)
        }
        Pass::DyXhat(dy, xh) => {
            assert!(xh.len() == len);
            (dy, xh, 2)
        }
    };
    assert!(x.len() == len && K == 1 + usize::from(kind == 2));
    let (x, y) = (x.as_ptr().cast::<f32>(), y.as_ptr().cast::<f32>());
    let mut out = [[0f32; LANES]; 2];
    // SAFETY of the calls: AVX-512F is present and T is f32 (checked above);
    // channels c0..c0+16 of every image lie in x (and y) of length n·c·plane,
    // and `mean` holds 16 values from c0 (checked above).
    let acc = unsafe {
        match kind {
            0 => sums::<0>(x, y, (n, c, plane), c0),
            1 => sums::<1>(x, y, (n, c, plane), c0),
            _ => sums::<2>(x, y, (n, c, plane), c0),
        }
    };
    for (o, a) in out.iter_mut().zip(acc) {
        // SAFETY: `o` holds 16 floats.
        unsafe { _mm512_storeu_ps(o.as_mut_ptr(), a) };
    }
    Some(std::array::from_fn(|j| {
        std::array::from_fn(|q| T::from_f64(f64::from(out[q][j])))
    }))
}

/// Lanes `0..n` (`n` clipped to 16) of a 16-lane mask.
fn lanes(n: usize) -> __mmask16 {
    if n >= 16 { 0xFFFF } else { (1u16 << n) - 1 }
}

/// 16 × 16 transpose: lane `j` of output `q` is lane `q` of input `j`.
#[inline]
#[target_feature(enable = "avx512f")]
fn transpose(r: [__m512; 16]) -> [__m512; 16] {
    let t: [__m512; 16] = std::array::from_fn(|i| {
        let (a, b) = (r[i & !1], r[i | 1]);
        if i % 2 == 0 {
            _mm512_unpacklo_ps(a, b)
        } else {
            _mm512_unpackhi_ps(a, b)
        }
    });
    // Within each 128-bit lane, rows 4g..4g+4 become columns.
    let u: [__m512; 16] = std::array::from_fn(|i| {
        let g = i / 4 * 4;
        let (a, b) = (t[g + (i % 4) / 2], t[g + 2 + (i % 4) / 2]);
        if i % 2 == 0 {
            _mm512_shuffle_ps::<0x44>(a, b)
        } else {
            _mm512_shuffle_ps::<0xEE>(a, b)
        }
    });
    // 128-bit blocks: first across groups 4 apart, then 8 apart.
    let v: [__m512; 16] = std::array::from_fn(|i| {
        let base = i / 8 * 8 + i % 4;
        let (a, b) = (u[base], u[base + 4]);
        if i % 8 < 4 {
            _mm512_shuffle_f32x4::<0x88>(a, b)
        } else {
            _mm512_shuffle_f32x4::<0xDD>(a, b)
        }
    });
    std::array::from_fn(|i| {
        let (a, b) = (v[i % 8], v[i % 8 + 8]);
        if i < 8 {
            _mm512_shuffle_f32x4::<0x88>(a, b)
        } else {
            _mm512_shuffle_f32x4::<0xDD>(a, b)
        }
    })
}

/// Positions `i0..i0 + 16` (lanes past `m` zero) of the 16 channel planes
/// from `p` (`plane` apart), transposed: vector `q` is position `i0 + q`.
///
/// # Safety
/// AVX-512F; the masked lanes of the 16 rows must be readable.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn block(p: *const f32, plane: usize, m: __mmask16) -> [__m512; 16] {
    // SAFETY: the caller's contract.
    transpose(std::array::from_fn(|j| unsafe {
        _mm512_maskz_loadu_ps(m, p.add(j * plane))
    }))
}

/// Adds the terms of positions `0..len` of one transposed block.
#[inline]
#[target_feature(enable = "avx512f")]
fn add_terms<const KIND: u8>(
    acc: &mut [__m512; 2],
    tx: &[__m512; 16],
    ty: &[__m512; 16],
    mu: __m512,
    len: usize,
) {
    for q in 0..len {
        match KIND {
            0 => acc[0] = _mm512_add_ps(acc[0], tx[q]),
            1 => {
                let d = _mm512_sub_ps(tx[q], mu);
                acc[0] = _mm512_add_ps(acc[0], _mm512_mul_ps(d, d));
            }
            _ => {
                acc[0] = _mm512_add_ps(acc[0], tx[q]);
                acc[1] = _mm512_add_ps(acc[1], _mm512_mul_ps(tx[q], ty[q]));
            }
        }
    }
}

/// The chains of channels `c0..c0 + 16`: KIND 0 `Σ x`, 1 `Σ (x - y[j])²`
/// (`y` = the 16 means), 2 `(Σ x, Σ x·y)`.
///
/// # Safety
/// AVX-512F; `x` (and `y` for KIND 2) hold `n·c·plane` floats with
/// `c0 + 16 <= c`; for KIND 1 `y` holds 16 floats.
#[target_feature(enable = "avx512f")]
unsafe fn sums<const KIND: u8>(
    x: *const f32,
    y: *const f32,
    (n, c, plane): (usize, usize, usize),
    c0: usize,
) -> [__m512; 2] {
    // SAFETY (every block below): rows c0..c0+16 of image ni, positions
    // i0..i0+16 clipped to the plane by the mask.
    let mu = if KIND == 1 {
        unsafe { _mm512_loadu_ps(y) }
    } else {
        _mm512_setzero_ps()
    };
    let mut acc = [_mm512_setzero_ps(); 2];
    let full = plane / 16 * 16;
    for ni in 0..n {
        let base = (ni * c + c0) * plane;
        for i0 in (0..full).step_by(16) {
            let tx = unsafe { block(x.add(base + i0), plane, 0xFFFF) };
            let ty = if KIND == 2 {
                unsafe { block(y.add(base + i0), plane, 0xFFFF) }
            } else {
                tx
            };
            add_terms::<KIND>(&mut acc, &tx, &ty, mu, 16);
        }
        if full < plane {
            let m = lanes(plane - full);
            let tx = unsafe { block(x.add(base + full), plane, m) };
            let ty = if KIND == 2 {
                unsafe { block(y.add(base + full), plane, m) }
            } else {
                tx
            };
            add_terms::<KIND>(&mut acc, &tx, &ty, mu, plane - full);
        }
    }
    acc
}
