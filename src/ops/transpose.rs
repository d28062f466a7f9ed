//! Block transposition: `R` rows of a row-major source (row `r` at
//! `src[r * ld..]`) written column by column into `out[p * R + r]`.
//!
//! Why: the gemm packs the column-major operand of a convolution's filter
//! gradient this way, and the depthwise filter gradient interleaves 8
//! channel planes the same way; a scalar loop does it one element per store
//! (with strided stores), which cost more than the multiply-adds it feeds.
//! Only values move, so the result is the same bits on every path: the
//! AVX path (runtime-detected, f32, 8 × 8 blocks of in-register shuffles) and
//! the scalar path that every other case takes.

use crate::real::Real;

/// `out[p * R + r] = src[r * ld + p]` for `r < rows` (`rows <= R`) and
/// `p < cols`; the other entries of `out` (rows `rows..R`) are left as they are.
pub(crate) fn rows_to_interleaved<T: Real, const R: usize>(
    src: &[T],
    ld: usize,
    rows: usize,
    cols: usize,
    out: &mut [T],
) {
    assert!(rows <= R && out.len() >= cols * R);
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        src.len() >= (rows - 1) * ld + cols,
        "transpose: source too short"
    );
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if T::BYTES == 4
        && R.is_multiple_of(8)
        && rows == R
        && std::arch::is_x86_feature_detected!("avx")
    {
        done = cols / 8 * 8;
        // SAFETY of the call: AVX is present (checked above); T is f32
        // (4-byte `Real`); the bounds are checked above and by the callee.
        unsafe { avx::blocks::<R>(src.as_ptr().cast(), ld, done, out.as_mut_ptr().cast()) };
    }
    for r in 0..rows {
        let row = &src[r * ld..][..cols];
        for (p, &v) in row.iter().enumerate().skip(done) {
            out[p * R + r] = v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// The transpose of one 8 × 8 block of rows.
    #[inline]
    #[target_feature(enable = "avx")]
    fn tr8(r: [__m256; 8]) -> [__m256; 8] {
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(s0, s4),
            _mm256_permute2f128_ps::<0x20>(s1, s5),
            _mm256_permute2f128_ps::<0x20>(s2, s6),
            _mm256_permute2f128_ps::<0x20>(s3, s7),
            _mm256_permute2f128_ps::<0x31>(s0, s4),
            _mm256_permute2f128_ps::<0x31>(s1, s5),
            _mm256_permute2f128_ps::<0x31>(s2, s6),
            _mm256_permute2f128_ps::<0x31>(s3, s7),
        ]
    }

    /// Columns `0..cols` (`cols` a multiple of 8) of `R` rows at stride `ld`
    /// into `out[p * R + r]`.
    ///
    /// # Safety
    /// AVX must be available; `src` must hold `(R - 1) * ld + cols` floats and
    /// `out` `cols * R`.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn blocks<const R: usize>(
        src: *const f32,
        ld: usize,
        cols: usize,
        out: *mut f32,
    ) {
        for r0 in (0..R).step_by(8) {
            for p0 in (0..cols).step_by(8) {
                // SAFETY: rows r0..r0+8 < R, columns p0..p0+8 <= cols.
                let rows: [__m256; 8] = std::array::from_fn(|r| unsafe {
                    _mm256_loadu_ps(src.add((r0 + r) * ld + p0))
                });
                for (p, v) in tr8(rows).into_iter().enumerate() {
                    // SAFETY: (p0 + p) * R + r0 + 8 <= cols * R.
                    unsafe { _mm256_storeu_ps(out.add((p0 + p) * R + r0), v) };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar<T: Real, const R: usize>(src: &[T], ld: usize, rows: usize, cols: usize) -> Vec<T> {
        let mut out = vec![T::ZERO; cols * R];
        for r in 0..rows {
            for p in 0..cols {
                out[p * R + r] = src[r * ld + p];
            }
        }
        out
    }

    #[test]
    fn every_path_moves_every_value_to_its_place() {
        // Distinct values (and signed zeros, NaN payloads move as bits too).
        let ld = 37;
        let src: Vec<f32> = (0..16 * ld).map(|i| i as f32 - 100.5).collect();
        for rows in [16, 7, 1] {
            for cols in [0, 1, 8, 21, 32, 37] {
                let mut got = vec![0.0f32; cols * 16];
                rows_to_interleaved::<f32, 16>(&src, ld, rows, cols, &mut got);
                let want = scalar::<f32, 16>(&src, ld, rows, cols);
                assert_eq!(
                    got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "rows {rows} cols {cols}"
                );
            }
        }
        let src64: Vec<f64> = (0..8 * ld).map(|i| -(i as f64) / 3.0).collect();
        let mut got = vec![0.0f64; 29 * 8];
        rows_to_interleaved::<f64, 8>(&src64, ld, 8, 29, &mut got);
        assert_eq!(got, scalar::<f64, 8>(&src64, ld, 8, 29));
        let mut got6 = vec![0.0f32; 19 * 6];
        rows_to_interleaved::<f32, 6>(&src, ld, 6, 19, &mut got6);
        assert_eq!(got6, scalar::<f32, 6>(&src, ld, 6, 19));
    }
}
