//! SGD with momentum and weight decay, with PyTorch's semantics
//! (`torch.optim.SGD`). Clipping by global gradient norm, applied before each
//! step, is its own op: [`crate::ops::clip_grad_norm`].
//!
//! Why our own: the optimiser step is part of every trial's arithmetic, so
//! its rounding is part of the spec (DESIGN 3.1.2), and the DARTS protocol
//! (momentum 0.9, weight decay 3e-4, clipping at 5) must match PyTorch.
//!
//! # The step, per element, in this order
//! With the scalars converted from f64 to `T` once (as PyTorch casts its
//! Python-float scalars to the tensor type):
//! 1. `d = wd.mul_add(p, g)` — `g + wd·p`; skipped when `wd == 0`;
//! 2. momentum `μ ≠ 0`: on the first step `buf = d`; afterwards
//!    `buf = (buf·μ)` rounded, then `buf = (1 − τ).mul_add(d, buf)` (`τ` the
//!    dampening, `1 − τ` computed in f64); then `d = μ.mul_add(buf, d)` with
//!    Nesterov, else `d = buf`;
//! 3. `p = (−lr).mul_add(d, p)`.
//!
//! **Fused, deliberately.** PyTorch's CPU `add(x, y, alpha)` kernel is
//! vectorised as `fmadd(y, alpha, x)`; on the machine that produced the
//! golden values (PyTorch 2.15, AVX-512) a fused model of the step matched
//! PyTorch's f32 result bit for bit on all 1,007 elements tried, and the
//! unfused model differed on 30. So each `add(…, alpha=…)` is one `mul_add`
//! here. (With `alpha = 1` the fused and plain sums are the same number.)
//!
//! Elements are independent; parameters are processed in the order given.

mod cpu;

pub use cpu::*;

use crate::error::Result;
use crate::invalid;

/// Hyper-parameters of one SGD step, in f64 as PyTorch holds them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
}

impl SgdConfig {
    /// The DARTS evaluation optimiser: momentum 0.9, weight decay 3e-4.
    pub fn darts(lr: f64) -> Self {
        SgdConfig {
            lr,
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 3e-4,
            nesterov: false,
        }
    }

    /// PyTorch's checks: non-negative values; Nesterov needs momentum > 0
    /// and zero dampening.
    pub fn validate(&self) -> Result<()> {
        let fields = [
            ("lr", self.lr),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
        ];
        for (name, v) in fields {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(invalid!("sgd: {name} must be finite and ≥ 0, got {v}"));
            }
        }
        if !self.dampening.is_finite() {
            return Err(invalid!("sgd: dampening must be finite"));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(invalid!(
                "sgd: Nesterov momentum requires momentum > 0 and zero dampening"
            ));
        }
        Ok(())
    }
}
