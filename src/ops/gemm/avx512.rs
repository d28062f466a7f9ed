//! The f32 micro-kernel for AVX-512 machines: an `MR × 16·NV` block of C
//! held in `MR·NV` 16-lane registers (`NV` = 1 or 2 vectors per row).
//!
//! Why: the generic kernel is vectorised by LLVM for the crate's baseline
//! (AVX2, 8 lanes); on a 16-lane machine this one does the same work in
//! about half the time. `8 × 32` fits the DARTS shapes (16–64 output rows,
//! column counts that are multiples of 32); products with at most 16
//! columns (a filter gradient's) take `MR × 16` instead of wasting half of
//! each register.
//!
//! Same bits: every C element is one lane of one accumulator, loaded from C
//! (or `+0`), then `acc = fma(a[r][p], b[p][j], acc)` for `p` ascending
//! (`_mm512_fmadd_ps` rounds once, as `mul_add` does), and stored back. Lanes
//! never mix, so the register layout changes no chain.

use std::arch::x86_64::*;

/// Where one block's operands live (raw parts checked by the caller).
pub(super) struct Operands {
    /// A's element `(r, p)` at `a + r * a_row + p * a_depth`.
    pub a: *const f32,
    pub a_row: usize,
    pub a_depth: usize,
    /// B's element `(p, j)` at `b + p * ldb + j`, `j < 16·NV` readable.
    pub b: *const f32,
    pub ldb: usize,
    pub kc: usize,
    /// C's element `(r, j)` at `c + r * ldc + j`, for `r < mr`, `j < nr`.
    pub c: *mut f32,
    pub ldc: usize,
    pub mr: usize,
    pub nr: usize,
    /// Continue the chains from C (else they start from +0).
    pub load_c: bool,
}

/// Lanes `0..n` (`n` clipped to 16) of a 16-lane mask.
fn lanes(n: usize) -> __mmask16 {
    if n >= 16 { 0xFFFF } else { (1u16 << n) - 1 }
}

/// One `MR × 16·NV` block: load C's first `mr` rows and `nr` columns (the
/// rest start at +0 and are never stored), fma over the depth, store back.
///
/// # Safety
/// AVX-512F must be available; `MR >= o.mr`, `16·NV >= o.nr`; every address
/// the fields of `o` describe must be in bounds of live, non-overlapping data
/// (A: `r < MR`, `p < kc`; B: `p < kc`, `j < 16·NV`; C: `r < mr`, `j < nr`).
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn block<const MR: usize, const NV: usize>(o: &Operands) {
    let masks: [__mmask16; NV] = std::array::from_fn(|v| lanes(o.nr.saturating_sub(16 * v)));
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    if o.load_c {
        for (r, row) in acc.iter_mut().enumerate().take(o.mr) {
            for (v, x) in row.iter_mut().enumerate() {
                // SAFETY: row r < mr of C, masked to its nr columns.
                *x = unsafe { _mm512_maskz_loadu_ps(masks[v], o.c.add(r * o.ldc + 16 * v)) };
            }
        }
    }
    let rows: [*const f32; MR] = std::array::from_fn(|r| o.a.wrapping_add(r * o.a_row));
    for p in 0..o.kc {
        // SAFETY: p < kc; B's 16·NV columns and A's MR rows are readable.
        unsafe {
            let b = o.b.add(p * o.ldb);
            let bv: [__m512; NV] = std::array::from_fn(|v| _mm512_loadu_ps(b.add(16 * v)));
            for (r, row) in acc.iter_mut().enumerate() {
                let x = _mm512_set1_ps(*rows[r].add(p * o.a_depth));
                for (v, y) in row.iter_mut().enumerate() {
                    *y = _mm512_fmadd_ps(x, bv[v], *y);
                }
            }
        }
    }
    for (r, row) in acc.iter().enumerate().take(o.mr) {
        for (v, x) in row.iter().enumerate() {
            // SAFETY: row r < mr of C, masked to its nr columns.
            unsafe { _mm512_mask_storeu_ps(o.c.add(r * o.ldc + 16 * v), masks[v], *x) };
        }
    }
}
