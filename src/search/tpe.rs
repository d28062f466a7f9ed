//! Tree-structured Parzen Estimator over categorical variables, with
//! hyperopt's semantics (`hyperopt/tpe.py`), and the random-search baseline.
//!
//! Why our own: the original method used hyperopt's TPE (DESIGN §2), and an
//! audit must re-derive each proposal from the log alone, so a proposal here is
//! a pure function of (seed, trial index, earlier (choices, objective) pairs):
//! every draw comes from a derived stream, every sum has a fixed order, and the
//! only elementary function, `ln`, is `libm`'s.
//!
//! What is hyperopt's (for `hp.choice`, i.e. its `randint` sampler):
//! - fewer than `n_startup_jobs` (20) earlier trials: uniform random proposal;
//! - split: the `min(ceil(gamma·sqrt(n)), 25)` lowest losses (gamma 0.25) are
//!   "below", the rest "above"; each group keeps trial order;
//! - per variable and group: linear-forgetting weights (oldest ramp up from
//!   `1/N`, newest 25 weigh 1), weighted counts plus `prior_weight` (1.0) per
//!   category, normalised: that is l(x) (below) and g(x) (above);
//! - per variable: draw `n_EI_candidates` (24) from l, score each by
//!   `ln l(x) − ln g(x)`, keep the first best (numpy's `argmax`); variables
//!   are chosen independently, as hyperopt's `broadcast_best` does.
//!
//! What differs, and why: the random numbers are ChaCha streams, not numpy's
//! (bit-identical proposals to hyperopt are impossible anyway); ties among
//! equal losses go to the earlier trial (hyperopt's `argsort` is unstable);
//! a NaN objective counts as `+inf`, as hyperopt counts a failed trial;
//! sums run in ascending index order (numpy's `sum` is pairwise).

use super::space::SearchSpace;
use crate::rng::StreamPath;

/// TPE's knobs; [`Default`] gives hyperopt's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct TpeSettings {
    pub n_startup_jobs: usize,
    pub gamma: f64,
    /// Upper bound on the size of the "below" group (hyperopt's `gamma_cap`).
    pub gamma_cap: usize,
    pub prior_weight: f64,
    pub linear_forgetting: usize,
    pub n_ei_candidates: usize,
}

impl Default for TpeSettings {
    fn default() -> Self {
        TpeSettings {
            n_startup_jobs: 20,
            gamma: 0.25,
            gamma_cap: 25,
            prior_weight: 1.0,
            linear_forgetting: 25,
            n_ei_candidates: 24,
        }
    }
}

/// The stream a random (or start-up) proposal for `trial` draws from:
/// `seed/propose/<trial>/random`, one `below(cardinality)` per variable in order.
pub fn random_stream(seed: u64, trial: usize) -> StreamPath {
    StreamPath::root(seed)
        .at("propose", trial as u64)
        .child("random")
}

/// The stream TPE draws variable `v`'s candidates from for `trial`:
/// `seed/propose/<trial>/tpe/<v>`, one `uniform_f64` per candidate.
pub fn tpe_stream(seed: u64, trial: usize, variable: usize) -> StreamPath {
    StreamPath::root(seed)
        .at("propose", trial as u64)
        .child("tpe")
        .index(variable as u64)
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
/// have one value in range per variable of `space`.
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
    let losses: Vec<f64> = history.iter().map(|h| h.1).collect();
    let below = split_below(&losses, settings.gamma, settings.gamma_cap);
    let cards = space.cardinalities();
    for (t, (choices, _)) in history.iter().enumerate() {
        let fits = choices.len() == cards.len() && choices.iter().zip(&cards).all(|(c, k)| c < k);
        assert!(fits, "history entry {t} does not fit the search space");
    }
    let mut out = Vec::with_capacity(cards.len());
    for (v, &card) in cards.iter().enumerate() {
        let mut obs_below = Vec::new();
        let mut obs_above = Vec::new();
        for (t, (choices, _)) in history.iter().enumerate() {
            let group = if below[t] {
                &mut obs_below
            } else {
                &mut obs_above
            };
            group.push(choices[v]);
        }
        let lf = settings.linear_forgetting;
        let l = categorical_posterior(&obs_below, card, settings.prior_weight, lf);
        let g = categorical_posterior(&obs_above, card, settings.prior_weight, lf);
        let mut stream = tpe_stream(seed, trial, v).stream();
        let mut best: Option<(usize, f64)> = None;
        for _ in 0..settings.n_ei_candidates {
            let x = sample_categorical(&l, stream.uniform_f64());
            let score = libm::log(l[x]) - libm::log(g[x]);
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((x, score));
            }
        }
        out.push(best.map_or(0, |b| b.0));
    }
    out
}

/// Which trials are "below" (good): the `min(ceil(gamma·sqrt(n)), cap)`
/// lowest losses, ties to the earlier trial, NaN as `+inf`.
pub fn split_below(losses: &[f64], gamma: f64, cap: usize) -> Vec<bool> {
    let n = losses.len();
    let n_below = (libm::ceil(gamma * libm::sqrt(n as f64)) as usize).min(cap);
    let key = |i: usize| {
        if losses[i].is_nan() {
            f64::INFINITY
        } else {
            losses[i]
        }
    };
    let mut order: Vec<usize> = (0..n).collect();
    // Stable sort: equal losses keep trial order.
    order.sort_by(|&a, &b| key(a).partial_cmp(&key(b)).expect("no NaN left"));
    let mut below = vec![false; n];
    for &i in order.iter().take(n_below) {
        below[i] = true;
    }
    below
}

/// hyperopt's `linear_forgetting_weights(n, lf)`: all ones if `n < lf`, else
/// `numpy.linspace(1/n, 1, n - lf)` (empty when `n == lf`) followed by `lf` ones. The ramp is
/// computed as numpy does: `start + i·step` with `step = (1 − start)/(m − 1)`,
/// and the last ramp value set to exactly 1.
pub fn linear_forgetting_weights(n: usize, lf: usize) -> Vec<f64> {
    if n < lf {
        return vec![1.0; n];
    }
    let m = n - lf;
    let start = 1.0 / n as f64;
    let mut w: Vec<f64> = if m <= 1 {
        vec![start; m]
    } else {
        let step = (1.0 - start) / (m - 1) as f64;
        (0..m).map(|i| i as f64 * step + start).collect()
    };
    if m > 1 {
        w[m - 1] = 1.0;
    }
    w.extend(std::iter::repeat_n(1.0, lf));
    w
}

/// The categorical Parzen estimator: observation `t` (in trial order) adds
/// linear-forgetting weight `w_t` to its category's count, every category gets
/// `prior_weight` more, and the pseudocounts are divided by their total
/// (summed in ascending category order).
pub fn categorical_posterior(
    obs: &[usize],
    cardinality: usize,
    prior_weight: f64,
    lf: usize,
) -> Vec<f64> {
    let weights = linear_forgetting_weights(obs.len(), lf);
    let mut counts = vec![0.0; cardinality];
    for (&x, &w) in obs.iter().zip(&weights) {
        counts[x] += w;
    }
    let pseudo: Vec<f64> = counts.iter().map(|c| c + prior_weight).collect();
    let mut total = 0.0;
    for p in &pseudo {
        total += p;
    }
    pseudo.iter().map(|p| p / total).collect()
}

/// Inverse-CDF draw: the first category whose running sum of `p` (ascending)
/// exceeds `u`; the last category if rounding leaves the total below `u`.
fn sample_categorical(p: &[f64], u: f64) -> usize {
    let mut cum = 0.0;
    for (k, pk) in p.iter().enumerate() {
        cum += pk;
        if u < cum {
            return k;
        }
    }
    p.len() - 1
}

#[cfg(test)]
mod tests;
