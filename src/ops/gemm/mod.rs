//! General matrix product, the kernel under conv2d and linear.
//!
//! Accumulation order (the spec): `C[i][j] = [C[i][j] +] Σ_k A[i][k]·B[k][j]`
//! computed as a sequential fused multiply-add chain over `k` ascending,
//! `acc = A[i][k].mul_add(B[k][j], acc)`, starting from `+0` (or from the
//! existing `C[i][j]` when accumulating). Tiling over `i` and `j`, blocking over
//! `k` (the partial sum is stored in `C` and reloaded, so each chain continues
//! in `k` order) and the rayon split over blocks of rows of `C` never change
//! that order: the result is bit-identical at any thread count and equal to
//! the scalar chain.
//!
//! Why our own kernel: `ndarray::dot` (matrixmultiply / BLAS) does not state
//! its summation order, and DESIGN 3.1.2 makes the order part of the spec.

mod kernel;
#[cfg(test)]
mod tests;

use crate::real::Real;

/// Layout of an operand: element `(r, c)` of the logical matrix is at
/// `data[r * row_stride + c * col_stride]` (so a transpose is a stride swap).
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a, T: Copy> MatRef<'a, T> {
    /// A row-major contiguous `rows × cols` matrix.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose (a stride swap, no copy).
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    #[inline(always)]
    fn at(&self, r: usize, c: usize) -> T {
        self.data[r * self.row_stride + c * self.col_stride]
    }

    fn check(&self, what: &str) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride;
            assert!(
                last < self.data.len(),
                "gemm: operand {what} exceeds its data"
            );
        }
    }
}

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
    } else if T::BYTES == 4 {
        kernel::gemm_packed::<T, 6, 16>(a, b, c, accumulate);
    } else {
        kernel::gemm_packed::<T, 6, 8>(a, b, c, accumulate);
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
