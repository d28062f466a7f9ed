//! The factorized reduce's shift: `x[:, :, 1:, 1:]` forward, and its
//! backward, `acc[:, :, 1:, 1:] += g`.
//!
//! Why an op: DARTS `FactorizedReduce` feeds `conv_2` the input shifted by
//! one pixel; the crop and the shift-add of its gradient are device work like
//! any other, so they go through the backend (and can be perturbed in tests).
//!
//! Order: the crop copies; the shift-add is one IEEE addition per element of
//! `g`, `acc[n, c, i + 1, j + 1] + g[n, c, i, j]`.

mod cpu;

pub use cpu::*;
