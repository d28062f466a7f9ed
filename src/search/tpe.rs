//! Tree-structured Parzen Estimator over categorical variables — hyperopt's
//! semantics by default, Optuna's split, kernels and joint (multivariate)
//! mode as settings — and the random-search baseline.
//!
//! Why our own: the original method used hyperopt's TPE (DESIGN §2), and an
//! audit must re-derive each proposal from the log alone, so a proposal here is
//! a pure function of (seed, trial index, earlier (choices, objective) pairs):
//! every draw comes from a derived stream, every sum has a fixed order, and the
//! elementary functions (`ln`, `exp`, `sqrt`, `ceil`) are `libm`'s.
//!
//! The common skeleton (hyperopt's and Optuna's):
//! - fewer than `n_startup_jobs` earlier trials: uniform random proposal;
//! - split: the `n_below` lowest losses are "below" (good), the rest
//!   "above"; each group keeps trial order ([`Split`] says how `n_below`
//!   follows from the number of trials `n`);
//! - each group becomes a density over the choices, with linear-forgetting
//!   weights (oldest ramp up from `1/N`, newest `linear_forgetting` weigh 1):
//!   l(x) from "below", g(x) from "above" ([`Estimator`] says how);
//! - `n_ei_candidates` candidates are drawn from l and the one with the
//!   largest `ln l(x) − ln g(x)` wins, the first on ties (numpy's `argmax`):
//!   per variable ([`TpeSettings::multivariate`] false, as hyperopt's
//!   `broadcast_best` does), or for the whole choice vector at once (true,
//!   Optuna's multivariate TPE).
//!
//! hyperopt's defaults ([`TpeSettings::hyperopt`], the [`Default`]) are bit for
//! bit what csnas has always proposed; the golden log depends on it.
//!
//! What differs from the Python libraries, and why: the random numbers are
//! ChaCha streams, not numpy's (bit-identical proposals to them are
//! impossible anyway); ties among equal losses go to the earlier trial
//! (hyperopt's `argsort` is unstable; Optuna's `sorted` is stable, like ours);
//! a NaN objective counts as `+inf`, as hyperopt counts a failed trial; sums
//! run in ascending index order (numpy's `sum` is pairwise).

use super::space::SearchSpace;
use crate::rng::StreamPath;

mod joint;
mod parzen;
mod settings;

pub use parzen::{categorical_posterior, kernel_posterior, linear_forgetting_weights};
pub use settings::{Estimator, Split, TPE_PRESET_NAMES, TpeSettings};

/// The stream a random (or start-up) proposal for `trial` draws from:
/// `seed/propose/<trial>/random`, one `below(cardinality)` per variable in order.
pub fn random_stream(seed: u64, trial: usize) -> StreamPath {
    StreamPath::root(seed)
        .at("propose", trial as u64)
        .child("random")
}

/// The stream a TPE proposal for `trial` is recorded under:
/// `seed/propose/<trial>/tpe`. The multivariate mode draws from it directly
/// (per candidate: one `uniform_f64` for the kernel, then one per variable);
/// the independent mode draws from one child per variable ([`tpe_stream`]).
pub fn tpe_root(seed: u64, trial: usize) -> StreamPath {
    StreamPath::root(seed)
        .at("propose", trial as u64)
        .child("tpe")
}

/// The stream TPE draws variable `v`'s candidates from for `trial` in the
/// independent mode: `seed/propose/<trial>/tpe/<v>`, one `uniform_f64` per
/// candidate.
pub fn tpe_stream(seed: u64, trial: usize, variable: usize) -> StreamPath {
    tpe_root(seed, trial).index(variable as u64)
}

/// Random search: each variable uniform over its choices, from
/// [`random_stream`]. TPE's start-up trials are exactly these proposals.
pub fn propose_random(space: &SearchSpace, trial: usize, seed: u64) -> Vec<usize> {
    let mut s = random_stream(seed, trial).stream();
    space
        .cardinalities()
        .iter()
        .map(|&c| s.below(c as u64) as usize)
        .collect()
}

/// TPE's proposal for `trial`, given the earlier trials' choices and
/// objectives (lower is better). Pure: the same arguments give the same
/// choices on every machine. Panics if a history entry's choices do not
/// have one value in range per variable of `space`, or if `settings` fail
/// [`TpeSettings::validate`] (a config is validated before a search starts).
pub fn propose(
    space: &SearchSpace,
    history: &[(Vec<usize>, f64)],
    trial: usize,
    seed: u64,
    settings: &TpeSettings,
) -> Vec<usize> {
    if history.len() < settings.n_startup_jobs || history.is_empty() {
        return propose_random(space, trial, seed);
    }
    if let Err(e) = settings.validate() {
        panic!("invalid TPE settings reached propose: {e}");
    }
    let cards = space.cardinalities();
    for (t, (choices, _)) in history.iter().enumerate() {
        let fits = choices.len() == cards.len() && choices.iter().zip(&cards).all(|(c, k)| c < k);
        assert!(fits, "history entry {t} does not fit the search space");
    }
    let losses: Vec<f64> = history.iter().map(|h| h.1).collect();
    let below = split_below(&losses, settings.n_below(history.len()));
    let (good, bad): (Vec<&[usize]>, Vec<&[usize]>) = {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for (t, (choices, _)) in history.iter().enumerate() {
            if below[t] {
                good.push(choices.as_slice());
            } else {
                bad.push(choices.as_slice());
            }
        }
        (good, bad)
    };
    if settings.multivariate {
        let root = tpe_root(seed, trial);
        return joint::propose_joint(&cards, &good, &bad, settings, &mut root.stream());
    }
    let mut out = Vec::with_capacity(cards.len());
    for (v, &card) in cards.iter().enumerate() {
        let obs_below: Vec<usize> = good.iter().map(|c| c[v]).collect();
        let obs_above: Vec<usize> = bad.iter().map(|c| c[v]).collect();
        let density = |obs: &[usize]| settings.marginal(obs, card);
        let (l, g) = (density(&obs_below), density(&obs_above));
        let mut stream = tpe_stream(seed, trial, v).stream();
        let mut best: Option<(usize, f64)> = None;
        for _ in 0..settings.n_ei_candidates {
            let x = parzen::sample_categorical(&l, stream.uniform_f64());
            let score = libm::log(l[x]) - libm::log(g[x]);
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((x, score));
            }
        }
        out.push(best.map_or(0, |b| b.0));
    }
    out
}

/// Which trials are "below" (good): the `n_below` lowest losses, ties to the
/// earlier trial, NaN as `+inf`.
pub fn split_below(losses: &[f64], n_below: usize) -> Vec<bool> {
    let key = |i: usize| {
        if losses[i].is_nan() {
            f64::INFINITY
        } else {
            losses[i]
        }
    };
    let mut order: Vec<usize> = (0..losses.len()).collect();
    // Stable sort: equal losses keep trial order.
    order.sort_by(|&a, &b| key(a).partial_cmp(&key(b)).expect("no NaN left"));
    let mut below = vec![false; losses.len()];
    for &i in order.iter().take(n_below) {
        below[i] = true;
    }
    below
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_modes;
