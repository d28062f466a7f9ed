//! The optimiser every training loop uses: optional clipping by the global
//! gradient norm, then one SGD step per parameter, over any backend.
//!
//! Why one type: the contrastive trial, supervised training and the bench
//! step each once wrote their own clip-then-step loop; one type owning the
//! momentum buffers keeps the order (below) in one place.
//!
//! # One step, in order
//! 1. With `clip = Some(max)`: each parameter's gradient norm
//!    ([`OptimOps::l2_norm`](crate::backend::OptimOps::l2_norm)) in walk
//!    (state-dict) order; `total` and `coef` on the host
//!    ([`clip_coefficient`]); every gradient scaled by `coef`, in place —
//!    exactly [`clip_grad_norm`](crate::ops::clip_grad_norm::clip_grad_norm)'s arithmetic.
//! 2. One [`sgd_update`](crate::backend::OptimOps::sgd_update) per
//!    parameter in walk order (elements are independent, so the order of
//!    parameters changes no bit).

use crate::backend::Backend;
use crate::error::Result;
use crate::model::Network;
use crate::model::layers::Entry;
use crate::ops::clip_grad_norm::clip_coefficient;
use crate::ops::sgd::{SgdConfig, SgdState};
use crate::real::Real;

/// SGD with momentum and weight decay and optional gradient clipping; owns
/// the momentum buffers (one per parameter, in walk order, on the device).
/// The settings are given per step, since a schedule changes the rate.
pub struct Optimizer<B: Backend> {
    momentum: Vec<Option<B::T1>>,
}

impl<B: Backend> Default for Optimizer<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> Optimizer<B> {
    /// No momentum buffers yet (they are made by the first step).
    pub fn new() -> Self {
        Optimizer {
            momentum: Vec::new(),
        }
    }

    /// Momentum buffers from the host (as a saved run holds them: one per
    /// parameter in walk order, `None` before the parameter's first step).
    pub fn from_host(dev: &B, momentum: &[SgdState<B::Elem>]) -> Self {
        let momentum = momentum
            .iter()
            .map(|s| {
                s.momentum_buffer
                    .as_ref()
                    .map(|v| dev.upload1(&ndarray::Array1::from(v.clone())))
            })
            .collect();
        Optimizer { momentum }
    }

    /// The momentum buffers on the host, one per parameter in walk order
    /// (empty before the first step).
    pub fn to_host(&self, dev: &B) -> Vec<SgdState<B::Elem>> {
        self.momentum
            .iter()
            .map(|m| SgdState {
                momentum_buffer: m.as_ref().map(|t| dev.download1(t).to_vec()),
            })
            .collect()
    }

    /// Checks `sgd` ([`SgdConfig::validate`]), clips (when `clip` is PyTorch's
    /// `clip_grad_norm_` `max_norm`, converted to the element type once) and
    /// steps every parameter of `net`; returns the total gradient norm when
    /// clipping.
    pub fn step(
        &mut self,
        net: &mut Network<B>,
        sgd: &SgdConfig,
        clip: Option<f64>,
    ) -> Result<Option<B::Elem>> {
        sgd.validate()?;
        let dev = net.device().clone();
        let mut total = None;
        if let Some(max) = clip {
            let mut norms = Vec::new();
            net.walk(&mut |_, e| {
                if let Entry::Param { grad, .. } = e {
                    norms.push(dev.l2_norm(grad.as_ref()));
                }
            });
            let (t, coef) = clip_coefficient(norms.into_iter(), B::Elem::from_f64(max));
            total = Some(t);
            net.walk(&mut |_, e| {
                if let Entry::Param { grad, .. } = e {
                    dev.scale(grad, coef);
                }
            });
        }
        let momentum = &mut self.momentum;
        let mut i = 0;
        net.walk(&mut |_, e| {
            if let Entry::Param { value, grad } = e {
                if momentum.len() == i {
                    momentum.push(None);
                }
                dev.sgd_update(sgd, value, grad.as_ref(), &mut momentum[i]);
                i += 1;
            }
        });
        Ok(total)
    }
}
