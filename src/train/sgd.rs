//! SGD with momentum and weight decay, and clipping by global gradient norm,
//! with PyTorch's semantics (`torch.optim.SGD`, `clip_grad_norm_`).
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

use crate::error::Result;
use crate::invalid;
use crate::real::Real;

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

/// Per-parameter optimiser state: PyTorch's `momentum_buffer`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SgdState<T> {
    pub momentum_buffer: Option<Vec<T>>,
}

/// One parameter tensor, flattened, with its gradient and state.
pub struct ParamRef<'a, T> {
    /// Its state-dict name, for error messages.
    pub name: &'a str,
    pub param: &'a mut [T],
    pub grad: &'a [T],
    pub state: &'a mut SgdState<T>,
}

/// One SGD step over `params`, in the order given (see the module doc).
pub fn sgd_step<T: Real>(cfg: &SgdConfig, params: &mut [ParamRef<'_, T>]) -> Result<()> {
    cfg.validate()?;
    for pr in params.iter() {
        let buf_len = pr.state.momentum_buffer.as_ref().map(Vec::len);
        if pr.grad.len() != pr.param.len() || buf_len.is_some_and(|n| n != pr.param.len()) {
            return Err(invalid!(
                "sgd: parameter {} has {} values, gradient {}, momentum buffer {buf_len:?}",
                pr.name,
                pr.param.len(),
                pr.grad.len()
            ));
        }
    }
    for pr in params.iter_mut() {
        let fresh = sgd_update_slice(
            cfg,
            pr.param,
            pr.grad,
            pr.state.momentum_buffer.as_deref_mut(),
        );
        if let Some(buf) = fresh {
            pr.state.momentum_buffer = Some(buf);
        }
    }
    Ok(())
}

/// One parameter's SGD step (see the module doc for the order); `cfg` must
/// be valid ([`SgdConfig::validate`]) and the lengths equal. `momentum`: the
/// buffer, `None` before the first step. Returns the new buffer when this
/// step created one (the first step with momentum), else `None`.
pub fn sgd_update_slice<T: Real>(
    cfg: &SgdConfig,
    param: &mut [T],
    grad: &[T],
    momentum: Option<&mut [T]>,
) -> Option<Vec<T>> {
    let wd = T::from_f64(cfg.weight_decay);
    let mu = T::from_f64(cfg.momentum);
    let keep = T::from_f64(1.0 - cfg.dampening);
    let neg_lr = T::from_f64(-cfg.lr);
    let mut d: Vec<T> = if cfg.weight_decay != 0.0 {
        grad.iter()
            .zip(param.iter())
            .map(|(&g, &p)| wd.mul_add(p, g))
            .collect()
    } else {
        grad.to_vec()
    };
    let mut fresh = None;
    if cfg.momentum != 0.0 {
        let buf: &[T] = match momentum {
            None => fresh.insert(d.clone()),
            Some(buf) => {
                for (b, &dv) in buf.iter_mut().zip(d.iter()) {
                    *b = keep.mul_add(dv, *b * mu);
                }
                buf
            }
        };
        if cfg.nesterov {
            for (dv, &b) in d.iter_mut().zip(buf.iter()) {
                *dv = mu.mul_add(b, *dv);
            }
        } else {
            d.copy_from_slice(buf);
        }
    }
    for (p, &dv) in param.iter_mut().zip(d.iter()) {
        *p = neg_lr.mul_add(dv, *p);
    }
    fresh
}

/// Clips gradients in place by their global L2 norm, as PyTorch's
/// `clip_grad_norm_(params, max_norm)` with `norm_type = 2`; returns the
/// total norm (before clipping).
///
/// Order: for each gradient in the order given, `n_t = sqrt(Σ g²)` (fused
/// multiply-add over elements ascending from 0); `total = sqrt(Σ_t n_t²)`
/// (fused multiply-add over `t` ascending from 0) — the norm of the
/// per-tensor norms, as PyTorch stacks them; `coef = max_norm / (total +
/// 1e-6)`, clamped to at most 1; every element becomes `g·coef` (PyTorch
/// multiplies even when `coef` is 1, which changes nothing).
/// PyTorch's own norm kernels reduce in a different order, so totals agree
/// to rounding, not bit for bit.
pub fn clip_grad_norm<T: Real>(grads: &mut [&mut [T]], max_norm: T) -> T {
    let (total, coef) = clip_coefficient(grads.iter().map(|g| l2_norm_slice(g)), max_norm);
    for g in grads.iter_mut() {
        scale_slice(g, coef);
    }
    total
}

/// One tensor's norm `sqrt(Σ g²)`: fused multiply-add over the elements
/// ascending from `+0`.
pub fn l2_norm_slice<T: Real>(g: &[T]) -> T {
    let mut sq = T::ZERO;
    for &v in g {
        sq = v.mul_add(v, sq);
    }
    sq.sqrt()
}

/// From the per-tensor norms (in order) to `(total, coef)` of
/// [`clip_grad_norm`]: `total = sqrt(Σ_t n_t²)` (fused multiply-add over `t`
/// ascending from `+0`), `coef = min(max_norm / (total + 1e-6), 1)`.
pub fn clip_coefficient<T: Real>(norms: impl Iterator<Item = T>, max_norm: T) -> (T, T) {
    let mut total_sq = T::ZERO;
    for n in norms {
        total_sq = n.mul_add(n, total_sq);
    }
    let total = total_sq.sqrt();
    let coef = max_norm / (total + T::from_f64(1e-6));
    let coef = if coef > T::ONE { T::ONE } else { coef };
    (total, coef)
}

/// `g ← g·coef`, one multiplication per element.
pub fn scale_slice<T: Real>(g: &mut [T], coef: T) {
    for v in g.iter_mut() {
        *v *= coef;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sgd_is_p_minus_lr_g() {
        // Hand values: no momentum, no decay: p = p − lr·g.
        let mut p = vec![1.0f64, -2.0];
        let mut st = SgdState::default();
        let cfg = SgdConfig {
            lr: 0.5,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        };
        let mut prs = [ParamRef {
            name: "w",
            param: &mut p,
            grad: &[2.0, 4.0],
            state: &mut st,
        }];
        sgd_step(&cfg, &mut prs).unwrap();
        assert_eq!(p, vec![0.0, -4.0]);
        assert!(st.momentum_buffer.is_none());
    }

    #[test]
    fn nesterov_momentum_by_hand() {
        // μ = 0.5, lr = 1, g = 1 twice: step 1 buf = 1, d = 1 + 0.5 = 1.5,
        // p = −1.5; step 2 buf = 0.5 + 1 = 1.5, d = 1 + 0.75 = 1.75, p = −3.25.
        let cfg = SgdConfig {
            lr: 1.0,
            momentum: 0.5,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: true,
        };
        let mut p = vec![0.0f64];
        let mut st = SgdState::default();
        for _ in 0..2 {
            let mut prs = [ParamRef {
                name: "w",
                param: &mut p,
                grad: &[1.0],
                state: &mut st,
            }];
            sgd_step(&cfg, &mut prs).unwrap();
        }
        assert_eq!(p, vec![-3.25]);
    }

    #[test]
    fn sgd_rejects_mismatched_lengths_and_bad_nesterov() {
        let mut p = vec![0.0f64; 2];
        let mut st = SgdState::default();
        let mut prs = [ParamRef {
            name: "w",
            param: &mut p,
            grad: &[1.0],
            state: &mut st,
        }];
        assert!(sgd_step(&SgdConfig::darts(0.1), &mut prs).is_err());
        let bad = SgdConfig {
            dampening: 0.1,
            nesterov: true,
            ..SgdConfig::darts(0.1)
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn clipping_leaves_small_gradients_alone_and_scales_large_ones() {
        // Hand values: norms 5 (3,4) and 12 → total 13.
        let mut a = [3.0f64, 4.0];
        let mut b = [12.0f64];
        let total = clip_grad_norm(&mut [&mut a[..], &mut b[..]], 26.0);
        assert_eq!(total, 13.0);
        assert_eq!((a, b), ([3.0, 4.0], [12.0]));
        let total = clip_grad_norm(&mut [&mut a[..], &mut b[..]], 6.5);
        assert_eq!(total, 13.0);
        let coef = 6.5 / (13.0 + 1e-6);
        assert_eq!(a, [3.0 * coef, 4.0 * coef]);
    }
}
