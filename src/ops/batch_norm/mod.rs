//! 2-D batch normalisation, PyTorch `BatchNorm2d` semantics (training with
//! batch statistics and the running-statistics update; eval with running
//! statistics).
//!
//! Why its own module: every DARTS operation ends in a batch norm, so its
//! reductions dominate the number of order-sensitive sums in a cell; the order
//! below is what a GPU kernel must reproduce.
//!
//! # Arithmetic order (part of the spec, DESIGN 3.1.2)
//! No fused multiply-add anywhere in this module: every product is rounded
//! before it is added. For a channel `c` with `count = N·H·W` values:
//! - `mean = (Σ x) / count`, the sum sequential over `(n, y, x)` ascending
//!   (n outermost), starting from 0, then one division by `count`;
//! - `ssd = Σ d·d` with `d = x - mean`, same order (two-pass variance);
//!   `var = ssd / count` (biased), `inv_std = 1 / sqrt(var + eps)`;
//! - `x_hat = (x - mean) · inv_std`; `y = x_hat · gamma + beta` (affine) or
//!   `y = x_hat` (non-affine);
//! - running update: `rm ← m·mean + (1-m)·rm`,
//!   `rv ← m·(ssd / (count-1)) + (1-m)·rv`, with `m` and `1-m` computed in f64
//!   and then rounded to `T`;
//! - eval: `inv_std = 1 / sqrt(rv + eps)`, `y = (x - rm)·inv_std·gamma + beta`
//!   (left to right);
//! - backward: `sum_dy = Σ dy`, `sum_dy_xhat = Σ dy·x_hat`, both in the order
//!   of `mean`; `dbeta = sum_dy`, `dgamma = sum_dy_xhat`;
//!   `dx = k · ((dy·count - sum_dy) - x_hat·sum_dy_xhat)` with
//!   `k = (gamma · inv_std) / count` (`gamma = 1` when non-affine).
//!
//! Parallelism: the per-channel reductions run in parallel over groups of
//! channels (several channels' chains interleaved in one task, each chain
//! still sequential); the elementwise passes in parallel over planes `(n, c)`.
//! Neither changes any order above.

mod cpu;

pub use cpu::*;

/// `#[repr(C)]` parameters.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormParams {
    pub eps: f64,
    pub momentum: f64,
}

impl Default for BatchNormParams {
    fn default() -> Self {
        BatchNormParams {
            eps: 1e-5,
            momentum: 0.1,
        }
    }
}
