//! Max and average 2-D pooling (PyTorch semantics; average with
//! `count_include_pad=False`).
//!
//! Why: DARTS' `max_pool_3x3` and `avg_pool_3x3` candidate operations (stride
//! 1 or 2, padding 1) and the auxiliary head's 5×5 stride-3 average pool.
//!
//! # Windows and order (DESIGN 3.1.2)
//! Output `(oy, ox)` covers input rows `oy·s - p .. oy·s - p + k` and columns
//! likewise, clipped to the input; padded positions never take part (for max
//! they act as -inf, for average they are not counted). Every window is
//! scanned row-major: `iy` ascending, then `ix` ascending.
//! - max forward: the first in-bounds element starts as the maximum; a later
//!   element replaces it when strictly greater or NaN (PyTorch's rule), so ties
//!   go to the first in scan order. The argmax is `iy·W + ix` in the plane.
//! - max backward: per plane, outputs in row-major order, `dx[argmax] += dy`.
//! - average forward: `sum` sequential in scan order from 0, then
//!   `sum / count` with `count` the number of in-bounds elements.
//! - average backward: per plane, outputs in row-major order; `g = dy / count`
//!   once per output, then `dx[iy, ix] += g` in scan order.
//!
//! No fused multiply-add. Parallelism: over planes `(n, c)` only; each plane
//! is computed sequentially, so the scatter order in the backward passes never
//! depends on the thread count.

mod cpu;

pub use cpu::*;

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

    /// Panics on parameters PyTorch refuses: zero kernel or stride, padding
    /// over half the kernel (a window could then be all padding), or a padded
    /// input smaller than the kernel.
    fn validate(&self, h: usize, w: usize) {
        assert!(
            self.kernel > 0 && self.stride > 0,
            "pool: zero kernel or stride"
        );
        assert!(
            2 * self.padding <= self.kernel,
            "pool: padding {} over half the kernel {}",
            self.padding,
            self.kernel
        );
        assert!(
            h + 2 * self.padding >= self.kernel && w + 2 * self.padding >= self.kernel,
            "pool: input {h}x{w} smaller than the kernel"
        );
    }

    /// In-bounds input range `lo..hi` along one axis of length `len` for
    /// output position `o`.
    fn window(&self, o: usize, len: usize) -> (usize, usize) {
        let start = o * self.stride;
        let lo = start.saturating_sub(self.padding);
        let hi = (start + self.kernel).saturating_sub(self.padding).min(len);
        (lo, hi)
    }
}
