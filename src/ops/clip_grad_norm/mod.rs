//! Clipping by global gradient norm, as PyTorch's `clip_grad_norm_(params,
//! max_norm)` with `norm_type = 2`, applied before every optimiser step.
//!
//! Why its own op: the clip coefficient is a reduction over every gradient
//! of the network, so its order is part of the spec (DESIGN 3.1.2) and a GPU
//! kernel (`kernels/clip_grad_norm.cu`) must reproduce it.
//!
//! Order: for each gradient in the order given, `n_t = sqrt(Σ g²)` (fused
//! multiply-add over elements ascending from `+0`); `total = sqrt(Σ_t n_t²)`
//! (fused multiply-add over `t` ascending from `+0`) — the norm of the
//! per-tensor norms, as PyTorch stacks them; `coef = max_norm / (total +
//! 1e-6)`, clamped to at most 1; every element becomes `g·coef`.

mod cpu;

pub use cpu::*;
