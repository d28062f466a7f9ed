//! Rank statistics of a study: Kendall's τ-b, its bootstrap confidence
//! interval and permutation p-value, Kendall's partial τ, and noise ceilings.
//!
//! Why our own: they are a few lines each, and a study's numbers must be a
//! pure function of its log — every resample and permutation is drawn from a
//! named ChaCha stream, every sum runs in index order, so `csnas study`
//! prints the same table on any machine. The formulas are the textbook ones
//! (scipy's `kendalltau(variant="b")`; Kendall 1942 for the partial τ); the
//! tests pin them to values computed by hand and by scipy.

use crate::rng::StreamPath;

/// Kendall's τ-b of `x` and `y` (equal lengths): `(nc − nd) /
/// sqrt((n0 − n1)(n0 − n2))`, with `n0` the number of pairs and `n1`, `n2`
/// the pairs tied in `x` and in `y`. A pair tied in both counts in both.
/// `NaN` when either side is constant (or has fewer than 2 items).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "kendall_tau_b: lengths differ");
    let n = x.len();
    let (mut s, mut tx, mut ty, mut pairs) = (0i64, 0i64, 0i64, 0i64);
    for i in 0..n {
        for j in i + 1..n {
            pairs += 1;
            let dx = sign(x[i] - x[j]);
            let dy = sign(y[i] - y[j]);
            if dx == 0 {
                tx += 1;
            }
            if dy == 0 {
                ty += 1;
            }
            s += dx * dy;
        }
    }
    let denom = ((pairs - tx) as f64) * ((pairs - ty) as f64);
    if denom <= 0.0 {
        return f64::NAN;
    }
    s as f64 / denom.sqrt()
}

fn sign(d: f64) -> i64 {
    if d > 0.0 {
        1
    } else if d < 0.0 {
        -1
    } else {
        0
    }
}

/// Kendall's partial τ of `x` and `y` given `z`:
/// `(τxy − τxz·τyz) / sqrt((1 − τxz²)(1 − τyz²))`.
pub fn partial_tau(txy: f64, txz: f64, tyz: f64) -> f64 {
    (txy - txz * tyz) / ((1.0 - txz * txz) * (1.0 - tyz * tyz)).sqrt()
}

/// The `q`-quantile (0 ≤ q ≤ 1) of `v` by linear interpolation between
/// order statistics (numpy's default), ignoring NaNs; NaN if none is left.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(|a, b| a.partial_cmp(b).expect("no NaN left"));
    let pos = q * (s.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

/// A statistic of genotype-indexed data, recomputed on resampled indices.
pub type Statistic<'a> = &'a dyn Fn(&[usize]) -> f64;

/// Percentile bootstrap 95% interval of `stat` over `n` items: `resamples`
/// draws of `n` indices with replacement from `stream` (`below(n)` each, in
/// order), the 2.5% and 97.5% quantiles of the statistic.
pub fn bootstrap_ci(
    n: usize,
    resamples: usize,
    stream: &StreamPath,
    stat: Statistic<'_>,
) -> (f64, f64) {
    let mut s = stream.stream();
    let values: Vec<f64> = (0..resamples)
        .map(|_| {
            let idx: Vec<usize> = (0..n).map(|_| s.below(n as u64) as usize).collect();
            stat(&idx)
        })
        .collect();
    (quantile(&values, 0.025), quantile(&values, 0.975))
}

/// Two-sided permutation p-value of `stat(perm)` against `stat(identity)`:
/// `(1 + #{|stat(π)| ≥ |observed|}) / (1 + permutations)`, with each π a
/// [`Stream::permutation`](crate::rng::Stream::permutation) of `0..n` drawn
/// from `stream` in turn. `stat` receives the permutation to apply to one
/// side.
pub fn permutation_p(
    n: usize,
    permutations: usize,
    stream: &StreamPath,
    stat: Statistic<'_>,
) -> f64 {
    let identity: Vec<usize> = (0..n).collect();
    let observed = stat(&identity).abs();
    let mut s = stream.stream();
    let mut hits = 0usize;
    for _ in 0..permutations {
        let p = s.permutation(n);
        // A tiny tolerance so a permutation that reproduces the observed
        // value exactly counts despite rounding in the last bit.
        if stat(&p).abs() >= observed - 1e-12 {
            hits += 1;
        }
    }
    (1 + hits) as f64 / (1 + permutations) as f64
}

/// Mean, min and max of τ-b over every pair of repetitions (`reps[r][g]`:
/// repetition `r`'s score of item `g`): a side's seed-to-seed agreement,
/// its noise ceiling. `None` with fewer than two repetitions.
pub fn pairwise_tau(reps: &[Vec<f64>]) -> Option<(f64, f64, f64)> {
    let mut taus = Vec::new();
    for a in 0..reps.len() {
        for b in a + 1..reps.len() {
            taus.push(kendall_tau_b(&reps[a], &reps[b]));
        }
    }
    if taus.is_empty() {
        return None;
    }
    let mean = taus.iter().sum::<f64>() / taus.len() as f64;
    let min = taus.iter().copied().fold(f64::INFINITY, f64::min);
    let max = taus.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((mean, min, max))
}

/// `v[idx[0]], v[idx[1]], …`.
pub fn pick(v: &[f64], idx: &[usize]) -> Vec<f64> {
    idx.iter().map(|&i| v[i]).collect()
}

/// The mean of each column of `reps` (`reps[r][g]` → mean over `r`).
pub fn column_means(reps: &[Vec<f64>]) -> Vec<f64> {
    let n = reps.first().map_or(0, Vec::len);
    (0..n)
        .map(|g| reps.iter().map(|r| r[g]).sum::<f64>() / reps.len() as f64)
        .collect()
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
