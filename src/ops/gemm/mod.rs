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

mod cpu;

pub use cpu::*;

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
