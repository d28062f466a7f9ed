//! Drop path (per-sample), DARTS semantics: `x / keep_prob * mask[n]`.
//!
//! Why: the evaluation network drops whole cell branches per sample during
//! training (DARTS `drop_path`), and the exact arithmetic matters for replays.
//!
//! Order, matching PyTorch DARTS (`x.div_(keep_prob); x.mul_(mask)`): per
//! element `(x / keep_prob) · m` with `m = 1` when `keep[n]`, else `0`, and
//! `keep_prob = 1 - drop_prob` computed in f64 and then rounded to `T`. So a
//! dropped negative element is `-0.0` and a dropped inf/NaN is NaN, as in
//! PyTorch. The backward applies the same map to `dy`. Parallel over samples.

mod cpu;

pub use cpu::*;
