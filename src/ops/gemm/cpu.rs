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
    } else if crate::ops::simd::avx512_f32::<T>() && n <= 16 {
        // A filter gradient's narrow product: one register per row of C.
        kernel::gemm_packed::<T, 8, 16, true>(a, b, c, accumulate);
    } else if crate::ops::simd::avx512_f32::<T>() {
        kernel::gemm_packed::<T, 8, 32, true>(a, b, c, accumulate);
    } else if T::BYTES == 4 {
        kernel::gemm_packed::<T, 6, 16, false>(a, b, c, accumulate);
    } else {
        kernel::gemm_packed::<T, 6, 8, false>(a, b, c, accumulate);
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
