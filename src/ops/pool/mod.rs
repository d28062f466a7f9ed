//! Max and average 2-D pooling (PyTorch semantics; average with
//! `count_include_pad=False`).

use crate::real::Real;
use ndarray::Array4;

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolParams {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl PoolParams {
    pub fn out_hw(&self, h: usize, w: usize) -> (usize, usize) {
        (
            (h + 2 * self.padding - self.kernel) / self.stride + 1,
            (w + 2 * self.padding - self.kernel) / self.stride + 1,
        )
    }
}

/// Returns the output and, per output element, the flat index (`iy·W + ix`)
/// within its input plane of the element chosen.
pub fn max_pool2d_forward<T: Real>(x: &Array4<T>, p: &PoolParams) -> (Array4<T>, Array4<u32>) {
    let _ = (x, p);
    todo!()
}

pub fn max_pool2d_backward<T: Real>(
    dy: &Array4<T>,
    argmax: &Array4<u32>,
    hw: (usize, usize),
) -> Array4<T> {
    let _ = (dy, argmax, hw);
    todo!()
}

pub fn avg_pool2d_forward<T: Real>(x: &Array4<T>, p: &PoolParams) -> Array4<T> {
    let _ = (x, p);
    todo!()
}

pub fn avg_pool2d_backward<T: Real>(
    dy: &Array4<T>,
    p: &PoolParams,
    hw: (usize, usize),
) -> Array4<T> {
    let _ = (dy, p, hw);
    todo!()
}
