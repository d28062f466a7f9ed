//! Global average pooling (N, C, H, W) → (N, C), forward and backward.
//!
//! Why: the classifier of the DARTS network (and the contrastive projection
//! head's input) pools each final feature map to one value.
//!
//! Order: forward `y = (Σ x) / (H·W)`, the sum sequential over the plane in
//! row-major order (`y`, then `x`, ascending) starting from 0, then one
//! division. Backward `dx = dy / (H·W)` (a division, not a multiplication by
//! the reciprocal) broadcast over the plane. Parallel over planes `(n, c)`.

mod cpu;

pub use cpu::*;
