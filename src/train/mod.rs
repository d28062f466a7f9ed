//! Training maths that does not depend on the network: the contrastive and
//! supervised losses (forward and backward), the SGD optimiser, gradient
//! clipping and the learning-rate / drop-path schedules.
//!
//! Why apart from the network: these pieces are small, pure functions of
//! arrays, so each is checked on its own — gradients by finite differences in
//! f64, values against PyTorch (`fixtures/golden/train/losses_golden.py`) —
//! and each documents its accumulation order (DESIGN 3.1.2) so a GPU path can
//! reproduce it.
//!
//! - The losses and the optimiser update are ops, each in its folder beside
//!   its CUDA side: [`crate::ops::nt_xent`], [`crate::ops::pirl_nce`],
//!   [`crate::ops::cross_entropy`], [`crate::ops::sgd`],
//!   [`crate::ops::clip_grad_norm`] (re-exported here under their old
//!   paths, `train::sgd` and so on, which still resolve).
//! - [`schedule`]: cosine annealing, step decay, linear drop-path.
//! - [`trial`] / [`contrastive`]: one contrastive search trial (the loop
//!   that uses the pieces above); [`linear_eval`]: frozen-encoder linear
//!   evaluation.
//! - [`label_free`]: held-out loss, alignment/uniformity and RankMe of a
//!   trained network ([`spectrum`]: its eigenvalues), the study's objectives.
//! - [`supervised`]: the supervised training loop and evaluation (labels).

pub mod contrastive;
pub mod evaluate;
pub mod label_free;
pub mod linear_eval;
pub mod optim;
pub mod schedule;
pub mod spectrum;
pub mod supervised;
pub mod trial;

/// The losses and SGD moved to [`crate::ops`]; their old paths still resolve.
pub use crate::ops::{cross_entropy, nt_xent, pirl_nce, sgd};

#[cfg(test)]
mod golden_tests;
