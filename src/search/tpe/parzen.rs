//! The one-variable densities TPE builds from a group of observations:
//! hyperopt's pseudocounts and Optuna's categorical Parzen kernels, both with
//! linear-forgetting weights, and the inverse-CDF draw from a density.
//!
//! Why two: hyperopt's posterior adds `prior_weight` to every category (8
//! pseudo-observations for 8 choices), which keeps l(x) close to uniform for
//! a long time; Optuna's adds one prior kernel of weight `prior_weight` in
//! all, so a few good trials move l(x) much more. Which one wins is measured
//! in `benches/tpe/`. Every sum here runs in ascending index order (trial
//! order for observations, category order for categories), so an audit on
//! another machine gets the same bits.

/// hyperopt's `linear_forgetting_weights(n, lf)` (also Optuna's
/// `default_weights` for `lf` = 25): all ones if `n < lf`, else
/// `numpy.linspace(1/n, 1, n - lf)` (empty when `n == lf`) followed by `lf`
/// ones. The ramp is computed as numpy does: `start + i·step` with
/// `step = (1 − start)/(m − 1)`, and the last ramp value set to exactly 1.
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

/// hyperopt's categorical posterior: observation `t` (in trial order) adds
/// linear-forgetting weight `w_t` to its category's count, every category
/// gets `prior_weight` more, and the pseudocounts are divided by their total
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
    let total = sum(&pseudo);
    pseudo.iter().map(|p| p / total).collect()
}

/// The shape of Optuna's categorical Parzen estimator over `n` observations
/// of one variable with `cardinality` choices, shared by the one-variable
/// and the joint densities.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Kernels {
    /// Mixture weights: one per observation (trial order), then the prior's.
    pub mixture: Vec<f64>,
    /// An observation kernel's value at its own category and elsewhere.
    pub hit: f64,
    pub miss: f64,
    /// The prior kernel's value at every category (`1/cardinality`, rounded
    /// as computed).
    pub prior: f64,
}

impl Kernels {
    /// `n = 0`: the prior kernel alone (uniform). Otherwise, with
    /// `a = prior_weight/(n + 1)`: an observation's kernel row is `a` at every
    /// category plus 1 at its own, the prior's row is `a` everywhere, each
    /// row divided by its sum (ascending category order); the mixture
    /// weights are the forgetting weights then `prior_weight`, divided by
    /// their sum (ascending). As Optuna's `_ParzenEstimator` computes them.
    pub fn new(n: usize, cardinality: usize, prior_weight: f64, lf: usize) -> Kernels {
        let uniform_row = vec![prior_weight / (n + 1) as f64; cardinality];
        let a = uniform_row[0];
        let prior = a / sum(&uniform_row);
        if n == 0 {
            return Kernels {
                mixture: vec![1.0],
                hit: 1.0,
                miss: 0.0,
                prior: 1.0 / cardinality as f64,
            };
        }
        let mut row = uniform_row;
        row[0] += 1.0;
        let row_sum = sum(&row);
        let mut mixture = linear_forgetting_weights(n, lf);
        mixture.push(prior_weight);
        let total = sum(&mixture);
        for w in &mut mixture {
            *w /= total;
        }
        Kernels {
            mixture,
            hit: (1.0 + a) / row_sum,
            miss: a / row_sum,
            prior,
        }
    }

    /// Kernel `k`'s value at category `x` (`own` is observation `k`'s
    /// category; the last kernel is the prior).
    pub fn value(&self, k: usize, own: Option<usize>, x: usize) -> f64 {
        match own {
            _ if k + 1 == self.mixture.len() => self.prior,
            Some(o) if o == x => self.hit,
            _ => self.miss,
        }
    }
}

/// Optuna's categorical Parzen density of one variable ([`Kernels`]): at
/// category `c`, the sum over kernels (trial order, prior last) of mixture
/// weight × kernel value.
pub fn kernel_posterior(
    obs: &[usize],
    cardinality: usize,
    prior_weight: f64,
    lf: usize,
) -> Vec<f64> {
    let k = Kernels::new(obs.len(), cardinality, prior_weight, lf);
    (0..cardinality)
        .map(|c| {
            let mut p = 0.0;
            for (i, &pi) in k.mixture.iter().enumerate() {
                p += pi * k.value(i, obs.get(i).copied(), c);
            }
            p
        })
        .collect()
}

/// Inverse-CDF draw: the first category whose running sum of `p` (ascending)
/// exceeds `u`; the last category if rounding leaves the total below `u`.
pub(super) fn sample_categorical(p: &[f64], u: f64) -> usize {
    let mut cum = 0.0;
    for (k, pk) in p.iter().enumerate() {
        cum += pk;
        if u < cum {
            return k;
        }
    }
    p.len() - 1
}

/// Sequential sum, ascending index.
pub(super) fn sum(v: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in v {
        s += x;
    }
    s
}
