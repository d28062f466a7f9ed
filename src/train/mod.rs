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
//! - [`nt_xent`]: SimCLR NT-Xent (in-batch negatives).
//! - [`pirl_nce`]: the CSNAS authors' PIRL-style NCE with a memory bank.
//! - [`cross_entropy`]: softmax cross-entropy with label smoothing; the
//!   auxiliary-head weighting.
//! - [`sgd`]: SGD with momentum and weight decay (PyTorch semantics),
//!   `clip_grad_norm`.
//! - [`schedule`]: cosine annealing, step decay, linear drop-path.
//! - [`trial`] / [`contrastive`]: one contrastive search trial (the loop
//!   that uses the pieces above); [`linear_eval`]: frozen-encoder linear
//!   evaluation.
//! - [`label_free`]: held-out loss, alignment/uniformity and RankMe of a
//!   trained network ([`spectrum`]: its eigenvalues), the study's objectives.
//! - [`supervised`]: the supervised training loop and evaluation (labels).

pub mod contrastive;
pub mod cross_entropy;
pub mod evaluate;
pub mod label_free;
pub mod linear_eval;
pub mod nt_xent;
pub mod optim;
pub mod pirl_nce;
pub mod schedule;
pub mod sgd;
pub mod spectrum;
pub mod supervised;
pub mod trial;

mod rows;

#[cfg(test)]
mod golden_tests;
