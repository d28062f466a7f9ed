//! Stride-2 max pooling of f32 on AVX-512 machines: 16 outputs of a row at
//! once.
//!
//! Why: a reduction cell's `max_pool_3x3` (stride 2) took the scalar
//! per-window loop. For the outputs whose windows lie wholly inside the
//! row, each tap `(iy, kx)` is the even lanes of 32 consecutive inputs;
//! they are compared across 16 outputs tap by tap in scan order.
//!
//! Same result: per output, the first tap starts as the maximum and a later
//! tap replaces it when `v > best` (ordered) or `v` is NaN, the scalar rule;
//! the index is `iy·W + ix` as there.

use crate::real::Real;
use std::arch::x86_64::*;

/// Max and flat index for outputs `j = 0..yr.len()` of one row whose windows
/// cover rows `y0..y1` and columns `x0 + 2j .. x0 + 2j + kernel`, all inside
/// a plane of width `w` held in `xp`. Panics where
/// [`crate::ops::simd::avx512_f32`] is false.
pub(super) fn max_run_s2<T: Real>(
    xp: &[T],
    w: usize,
    (y0, y1): (usize, usize),
    (x0, kernel): (usize, usize),
    yr: &mut [T],
    ar: &mut [u32],
) {
    let len = yr.len();
    assert!(crate::ops::simd::avx512_f32::<T>() && ar.len() == len);
    if len == 0 || y0 >= y1 || kernel == 0 {
        return;
    }
    assert!(x0 + 2 * (len - 1) + kernel <= w && y1 * w <= xp.len());
    assert!(xp.len() <= i32::MAX as usize, "max_pool2d: plane too large");
    // SAFETY of the call: AVX-512F is present and T is f32 (checked above);
    // every tap read lies in rows y0..y1, columns x0..x0 + 2(len-1) + kernel
    // of the plane (checked above); yr and ar hold len outputs.
    unsafe {
        run(
            xp.as_ptr().cast(),
            w,
            (y0, y1),
            (x0, kernel),
            len,
            (yr.as_mut_ptr().cast(), ar.as_mut_ptr()),
        );
    }
}

/// Lanes `0..n` (`n` clipped to 16) of a 16-lane mask.
fn lanes(n: usize) -> __mmask16 {
    if n >= 16 { 0xFFFF } else { (1u16 << n) - 1 }
}

/// # Safety
/// AVX-512F; the reads and writes [`max_run_s2`] checks.
#[target_feature(enable = "avx512f")]
unsafe fn run(
    xp: *const f32,
    w: usize,
    (y0, y1): (usize, usize),
    (x0, kernel): (usize, usize),
    len: usize,
    (yr, ar): (*mut f32, *mut u32),
) {
    let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for o0 in (0..len).step_by(16) {
        let cnt = (len - o0).min(16);
        // The taps of outputs o0..o0+cnt span 2·cnt - 1 inputs from `start`.
        let span = 2 * cnt - 1;
        let (m_lo, m_hi) = (lanes(span), lanes(span.saturating_sub(16)));
        let tap = |iy: usize, kx: usize| {
            let start = iy * w + x0 + 2 * o0 + kx;
            // SAFETY: inputs start..start + span of row iy (masked).
            let v = unsafe {
                let lo = _mm512_maskz_loadu_ps(m_lo, xp.add(start));
                let hi = _mm512_maskz_loadu_ps(m_hi, xp.add(start + 16));
                _mm512_permutex2var_ps(lo, even, hi)
            };
            (v, _mm512_add_epi32(_mm512_set1_epi32(start as i32), even))
        };
        let (mut best, mut idx) = tap(y0, 0);
        for iy in y0..y1 {
            for kx in 0..kernel {
                if iy == y0 && kx == 0 {
                    continue;
                }
                let (v, iv) = tap(iy, kx);
                let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best)
                    | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
                best = _mm512_mask_blend_ps(take, best, v);
                idx = _mm512_mask_blend_epi32(take, idx, iv);
            }
        }
        let m = lanes(cnt);
        // SAFETY: outputs o0..o0+cnt of yr and ar.
        unsafe {
            _mm512_mask_storeu_ps(yr.add(o0), m, best);
            _mm512_mask_storeu_epi32(ar.add(o0).cast(), m, idx);
        }
    }
}
