//! Multivariate (joint) TPE over the whole choice vector: Optuna's
//! `multivariate=True` for categorical parameters.
//!
//! Why: the independent mode scores each variable on its own, so it cannot
//! tell that two choices are good only together (a DARTS node's two edges,
//! for instance). Here l and g are mixtures of *product* kernels, one per
//! observed trial, and a candidate is a whole vector: draw a kernel (a good
//! trial, or the uniform prior), then every variable from that kernel's row
//! (mostly the trial's own choice), and keep the candidate with the largest
//! `ln l(x) − ln g(x)`. Candidates are perturbed copies of good trials, and
//! the score is that of the whole vector.
//!
//! Arithmetic order (part of the spec, so `audit` re-derives it anywhere):
//! a kernel's log value is `ln π_k` plus its per-variable log values in
//! ascending variable order; the mixture's log density is
//! `m + ln Σ_k exp(s_k − m)` with `m` the largest `s_k` and the sum in kernel
//! order (trials, then the prior). Draws, from the one stream
//! `seed/propose/<t>/tpe`: per candidate one `uniform_f64` for the kernel,
//! then one per variable in order.

use super::TpeSettings;
use super::parzen::{Kernels, sample_categorical};
use crate::rng::Stream;

/// A group's joint density: per variable the [`Kernels`] shape (all
/// variables share the mixture weights), and the observations.
pub(super) struct Mixture<'a> {
    obs: &'a [&'a [usize]],
    /// Per variable: the kernels, and `ln` of hit, miss and prior values.
    vars: Vec<(Kernels, [f64; 3])>,
    ln_mixture: Vec<f64>,
    cards: Vec<usize>,
}

impl<'a> Mixture<'a> {
    pub(super) fn new(obs: &'a [&'a [usize]], cards: &[usize], s: &TpeSettings) -> Self {
        let vars: Vec<(Kernels, [f64; 3])> = cards
            .iter()
            .map(|&c| {
                let k = Kernels::new(obs.len(), c, s.prior_weight, s.linear_forgetting);
                let ln = [libm::log(k.hit), libm::log(k.miss), libm::log(k.prior)];
                (k, ln)
            })
            .collect();
        let ln_mixture = vars[0].0.mixture.iter().map(|&p| libm::log(p)).collect();
        Mixture {
            obs,
            vars,
            ln_mixture,
            cards: cards.to_vec(),
        }
    }

    /// `ln` of the density at `x` (module doc for the order).
    pub(super) fn ln_density(&self, x: &[usize]) -> f64 {
        let n = self.obs.len();
        let terms: Vec<f64> = (0..=n)
            .map(|k| {
                let mut s = self.ln_mixture[k];
                for (v, (_, ln)) in self.vars.iter().enumerate() {
                    s += if k == n {
                        ln[2]
                    } else if self.obs[k][v] == x[v] {
                        ln[0]
                    } else {
                        ln[1]
                    };
                }
                s
            })
            .collect();
        let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for t in &terms {
            total += libm::exp(t - m);
        }
        m + libm::log(total)
    }

    /// One candidate: a kernel, then each variable from its row.
    pub(super) fn sample(&self, stream: &mut Stream) -> Vec<usize> {
        let k = sample_categorical(&self.vars[0].0.mixture, stream.uniform_f64());
        let own = self.obs.get(k);
        (self.vars.iter().zip(&self.cards).enumerate())
            .map(|(v, ((kern, _), &card))| {
                let row: Vec<f64> = (0..card)
                    .map(|x| kern.value(k, own.map(|o| o[v]), x))
                    .collect();
                sample_categorical(&row, stream.uniform_f64())
            })
            .collect()
    }
}

/// The joint proposal: `n_ei_candidates` vectors drawn from l (the "below"
/// trials `good`), the first with the largest `ln l − ln g` (g from `bad`).
pub(super) fn propose_joint(
    cards: &[usize],
    good: &[&[usize]],
    bad: &[&[usize]],
    settings: &TpeSettings,
    stream: &mut Stream,
) -> Vec<usize> {
    let l = Mixture::new(good, cards, settings);
    let g = Mixture::new(bad, cards, settings);
    let mut best: Option<(Vec<usize>, f64)> = None;
    for _ in 0..settings.n_ei_candidates {
        let x = l.sample(stream);
        let score = l.ln_density(&x) - g.ln_density(&x);
        if best.as_ref().is_none_or(|(_, b)| score > *b) {
            best = Some((x, score));
        }
    }
    best.expect("n_ei_candidates >= 1").0
}
