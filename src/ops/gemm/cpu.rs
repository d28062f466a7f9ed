//! The CPU reference of the matrix product: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

#[cfg(target_arch = "x86_64")]
#[path = "avx512.rs"]
mod avx512;
#[path = "kernel.rs"]
mod kernel;
#[cfg(test)]
#[path = "tests.rs"]
mod tests;

use super::MatRef;
use crate::real::Real;

/// Products smaller than this many multiply-adds skip packing.
const SMALL: usize = 4096;

/// `C (m×n, row-major, contiguous) = [C +] A (m×k) · B (k×n)`.
/// With `accumulate`, the chain for each element starts from the current `C`;
/// otherwise from `+0`. Order: see the module doc (fma chain over `k` ascending).
///
/// Panics when the shapes disagree or an operand exceeds its data.
pub fn gemm<T: Real>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T], accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert_eq!(b.rows, k, "gemm: inner dimensions differ");
    assert_eq!(c.len(), m * n, "gemm: C must be m×n");
    a.check("A");
    b.check("B");
    if m == 0 || n == 0 || k == 0 {
        if !accumulate {
            c.fill(T::ZERO);
        }
        return;
    }
    // Without `accumulate`, C's old contents are never read: each chain
    // starts from +0 in the kernel itself.
    if m * n * k <= SMALL {
        gemm_scalar(a, b, c, accumulate);
    } else if T::BYTES == 4 && wide_f32() && n <= 16 {
        // A filter gradient's narrow product: one register per row of C.
        kernel::gemm_packed::<T, 8, 16, true>(a, b, c, accumulate);
    } else if T::BYTES == 4 && wide_f32() {
        kernel::gemm_packed::<T, 8, 32, true>(a, b, c, accumulate);
    } else if T::BYTES == 4 {
        kernel::gemm_packed::<T, 6, 16, false>(a, b, c, accumulate);
    } else {
        kernel::gemm_packed::<T, 6, 8, false>(a, b, c, accumulate);
    }
}

/// Whether the f32 product runs on the AVX-512 micro-kernel (8 × 32 blocks,
/// or 8 × 16 for at most 16 columns, in 16-lane registers) rather than the
/// generic one (6 × 16, vectorised for the AVX2 baseline). Same bits either
/// way. Note: valgrind (3.19) hides AVX-512, so callgrind counts the generic
/// kernel.
fn wide_f32() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The order spelled out: one scalar fma chain per element, from `C` or `+0`.
fn gemm_scalar<T: Real>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T], accumulate: bool) {
    let n = b.cols;
    for i in 0..a.rows {
        for j in 0..n {
            let mut acc = if accumulate { c[i * n + j] } else { T::ZERO };
            for p in 0..a.cols {
                acc = a.at(i, p).mul_add(b.at(p, j), acc);
            }
            c[i * n + j] = acc;
        }
    }
}
