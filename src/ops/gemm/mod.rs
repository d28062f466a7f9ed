//! General matrix product, the kernel under conv2d and linear.
//!
//! Accumulation order (the spec): `C[i][j] = beta_c + Σ_k A[i][k]·B[k][j]`
//! computed as a sequential fused multiply-add chain over `k` ascending,
//! starting from `0` (or from the existing `C[i][j]` when accumulating).
//! Blocking over `i` and `j` never changes that order.

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

/// `C (m×n, row-major, contiguous) = [C +] A (m×k) · B (k×n)`.
/// With `accumulate`, the chain for each element starts from the current `C`.
pub fn gemm<T: Real>(a: MatRef<'_, T>, b: MatRef<'_, T>, c: &mut [T], accumulate: bool) {
    let _ = (a, b, c, accumulate);
    todo!("gemm")
}
