//! ReLU, forward and backward. No accumulation, so no order to state.
//!
//! Why its own module: every DARTS `ReLUConvBN` block starts with one, and the
//! exact treatment of `-0.0` and NaN is part of bit-exact replays.
//!
//! Forward: `0` where `x < 0`, else `x` unchanged — so `-0.0` stays `-0.0`
//! and NaN stays NaN, as PyTorch's `relu` does. Backward: `dy` where `x > 0`,
//! else `0`. Parallel over contiguous chunks of elements (independent outputs).

mod cpu;

pub use cpu::*;
