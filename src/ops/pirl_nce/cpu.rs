//! The CPU reference of the PIRL NCE loss: the definition and the accumulation
//! order it follows are documented in the parent module ([`super`]).

use super::{COSINE_EPS, VIEW_LOSS_WEIGHT};
use crate::error::Result;
use crate::invalid;
use crate::ops::rows::{dot, log_sum_exp, normalize_rows, normalize_rows_backward};
use crate::real::Real;
use crate::rng::Stream;
use ndarray::{Array1, Array2};
use std::collections::HashSet;

/// The memory bank: one weighted feature sum per image, and the shared count.
#[derive(Clone, Debug)]
pub struct MemoryBank<T> {
    sums: Array2<T>,
    count: T,
    weight: T,
    /// Bumped by every [`MemoryBank::update`], so a backward pass can refuse
    /// a bank that changed since its forward pass.
    generation: u64,
}

impl<T: Real> MemoryBank<T> {
    /// A bank holding `features` (one row per image) with count 1, as the
    /// authors' `Memory.initialize`.
    pub fn from_features(features: Array2<T>, weight: T) -> Result<Self> {
        if features.nrows() < 2 || features.ncols() == 0 {
            return Err(invalid!(
                "memory bank: need ≥ 2 rows and ≥ 1 column, got {:?}",
                features.shape()
            ));
        }
        Ok(MemoryBank {
            sums: features,
            count: T::ONE,
            weight,
            generation: 0,
        })
    }

    /// A bank of `size` random unit vectors: standard normals from `stream`
    /// in row-major order, each row divided by its norm (in f64, then cast).
    pub fn random_unit(size: usize, dim: usize, weight: T, stream: &mut Stream) -> Result<Self> {
        let mut rows = Array2::<T>::zeros((size, dim));
        for mut row in rows.rows_mut() {
            let draws: Vec<f64> = (0..dim).map(|_| stream.normal()).collect();
            let norm = draws
                .iter()
                .fold(0.0f64, |acc, &v| v.mul_add(v, acc))
                .sqrt();
            for (r, v) in row.iter_mut().zip(draws) {
                *r = T::from_f64(v / norm);
            }
        }
        Self::from_features(rows, weight)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.sums.nrows()
    }

    /// Never true: a bank has at least two entries.
    pub fn is_empty(&self) -> bool {
        self.sums.nrows() == 0
    }

    /// How many updates the bank has had (a backend's backward pass checks
    /// that the bank is still the one its forward pass saw).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Feature width.
    pub fn dim(&self) -> usize {
        self.sums.ncols()
    }

    /// Entry `j`: `S_j / c`, element by element.
    pub fn entry(&self, j: usize) -> Array1<T> {
        self.sums.row(j).mapv(|s| s / self.count)
    }

    /// Call at the start of every epoch: `c ← 1 + (1 − λ)·c` (unfused).
    pub fn start_epoch(&mut self) {
        self.count = T::ONE + (T::ONE - self.weight) * self.count;
    }

    /// After a step: `S_j ← f_j + (1 − λ)·S_j` (unfused) for each `j =
    /// indices[r]` and feature row `f_r`, rows in ascending order.
    pub fn update(&mut self, indices: &[usize], features: &Array2<T>) -> Result<()> {
        if features.nrows() != indices.len() || features.ncols() != self.dim() {
            return Err(invalid!(
                "memory bank update: {} indices, features {:?}, bank width {}",
                indices.len(),
                features.shape(),
                self.dim()
            ));
        }
        if let Some(&bad) = indices.iter().find(|&&j| j >= self.len()) {
            return Err(invalid!(
                "memory bank update: index {bad} ≥ bank size {}",
                self.len()
            ));
        }
        let keep = T::ONE - self.weight;
        for (r, &j) in indices.iter().enumerate() {
            for (s, &f) in self.sums.row_mut(j).iter_mut().zip(features.row(r).iter()) {
                *s = f + keep * *s;
            }
        }
        self.generation += 1;
        Ok(())
    }

    /// The unit vector of entry `j`: `m_j / max(‖m_j‖, 1e-8)`.
    fn unit(&self, j: usize) -> Array1<T> {
        let m = self.entry(j).insert_axis(ndarray::Axis(0));
        let (hat, _) = normalize_rows(&m, T::from_f64(COSINE_EPS));
        hat.row(0).to_owned()
    }
}

/// Draws `k` negatives per row: row `r` gets `k` distinct bank indices,
/// uniform without replacement over `0..bank_size` minus `indices[r]`.
///
/// Rows are drawn in ascending order. Each row runs Floyd's algorithm over
/// `n = bank_size − 1` slots: for `j` in `n − k .. n` ascending, `t =
/// stream.below(j + 1)`; append `t` unless already chosen, else append `j`.
/// A slot `t ≥ indices[r]` names bank index `t + 1`. The order of appending is
/// the order of the logits. Errors when `k == 0` or `k > bank_size − 1`.
pub fn draw_negatives(
    bank_size: usize,
    indices: &[usize],
    k: usize,
    stream: &mut Stream,
) -> Result<Array2<usize>> {
    if k == 0 || k + 1 > bank_size {
        return Err(invalid!(
            "pirl negatives: cannot draw {k} negatives from a bank of {bank_size}"
        ));
    }
    let n = bank_size - 1;
    let mut out = Array2::<usize>::zeros((indices.len(), k));
    for (r, &own) in indices.iter().enumerate() {
        if own >= bank_size {
            return Err(invalid!(
                "pirl negatives: index {own} ≥ bank size {bank_size}"
            ));
        }
        let mut chosen = HashSet::with_capacity(k);
        for (slot, j) in (n - k..n).enumerate() {
            let t = stream.below(j as u64 + 1) as usize;
            let pick = if chosen.insert(t) {
                t
            } else {
                chosen.insert(j);
                j
            };
            out[[r, slot]] = if pick >= own { pick + 1 } else { pick };
        }
    }
    Ok(out)
}

/// One NCE term's forward state: normalised rows, norms, softmax over logits.
#[derive(Clone, Debug)]
struct Term<T> {
    hat: Array2<T>,
    norms: Vec<T>,
    /// `(B, K + 1)`: softmax of row `i` over `[positive, negatives…]`.
    probs: Array2<T>,
}

/// What [`pirl_nce_backward`] needs from the forward pass.
#[derive(Clone, Debug)]
pub struct PirlNceCache<T> {
    view: Term<T>,
    original: Term<T>,
    indices: Vec<usize>,
    negatives: Array2<usize>,
    temperature: T,
    bank_generation: u64,
}

/// The bank index behind logit `slot` of row `i` (slot 0 is the positive).
fn slot_index(indices: &[usize], negatives: &Array2<usize>, i: usize, slot: usize) -> usize {
    if slot == 0 {
        indices[i]
    } else {
        negatives[[i, slot - 1]]
    }
}

/// Forward PIRL NCE: `L = w·NCE(view) + (1 − w)·NCE(original)` and a cache.
///
/// `view`, `original`: `(B, D)` network features; `indices[i]`: the bank
/// index of image `i`; `negatives`: `(B, K)` from [`draw_negatives`].
pub fn pirl_nce_forward<T: Real>(
    view: &Array2<T>,
    original: &Array2<T>,
    indices: &[usize],
    negatives: &Array2<usize>,
    bank: &MemoryBank<T>,
    temperature: T,
) -> Result<(T, PirlNceCache<T>)> {
    let b = indices.len();
    if b == 0
        || view.dim() != (b, bank.dim())
        || original.dim() != view.dim()
        || negatives.nrows() != b
        || negatives.ncols() == 0
    {
        return Err(invalid!(
            "pirl nce: view {:?}, original {:?}, {b} indices, negatives {:?}, bank width {}",
            view.shape(),
            original.shape(),
            negatives.shape(),
            bank.dim()
        ));
    }
    super::check_indices(indices, negatives, bank.len())?;
    if temperature.partial_cmp(&T::ZERO) != Some(std::cmp::Ordering::Greater) {
        return Err(invalid!(
            "pirl nce: temperature must be > 0, got {temperature}"
        ));
    }
    let eps = T::from_f64(COSINE_EPS);
    let (view_hat, view_norms) = normalize_rows(view, eps);
    let (orig_hat, orig_norms) = normalize_rows(original, eps);
    let slots = negatives.ncols() + 1;
    let mut sv = Array2::<T>::zeros((b, slots));
    let mut so = Array2::<T>::zeros((b, slots));
    for i in 0..b {
        for s in 0..slots {
            let m = bank.unit(slot_index(indices, negatives, i, s));
            sv[[i, s]] = dot(view_hat.row(i), m.view()) / temperature;
            so[[i, s]] = dot(orig_hat.row(i), m.view()) / temperature;
        }
    }
    let (loss_v, probs_v) = nce_term(&sv);
    let (loss_o, probs_o) = nce_term(&so);
    let w = T::from_f64(VIEW_LOSS_WEIGHT);
    let loss = w * loss_v + (T::ONE - w) * loss_o;
    let cache = PirlNceCache {
        view: Term {
            hat: view_hat,
            norms: view_norms,
            probs: probs_v,
        },
        original: Term {
            hat: orig_hat,
            norms: orig_norms,
            probs: probs_o,
        },
        indices: indices.to_vec(),
        negatives: negatives.clone(),
        temperature,
        bank_generation: bank.generation,
    };
    Ok((loss, cache))
}

/// `(Σ_i (lse(s_i) − s_i0)) / B` and the row softmaxes.
fn nce_term<T: Real>(scores: &Array2<T>) -> (T, Array2<T>) {
    let mut probs = Array2::<T>::zeros(scores.raw_dim());
    let mut total = T::ZERO;
    for (i, row) in scores.rows().into_iter().enumerate() {
        let (lse, max, sum) = log_sum_exp(row.iter().copied());
        for (p, &s) in probs.row_mut(i).iter_mut().zip(row.iter()) {
            *p = (s - max).exp() / sum;
        }
        total += lse - row[0];
    }
    (total / T::from_usize(scores.nrows()), probs)
}

/// Backward PIRL NCE: `(d view, d original)` for an upstream `dloss`.
///
/// Needs the bank the forward pass saw: call it before [`MemoryBank::update`]
/// (errors otherwise), as the authors do (`backward`, `step`, then update).
pub fn pirl_nce_backward<T: Real>(
    cache: &PirlNceCache<T>,
    bank: &MemoryBank<T>,
    dloss: T,
) -> Result<(Array2<T>, Array2<T>)> {
    if bank.generation != cache.bank_generation {
        return Err(invalid!(
            "pirl nce backward: the memory bank changed since the forward pass"
        ));
    }
    let b = cache.indices.len();
    let w = T::from_f64(VIEW_LOSS_WEIGHT);
    let batch = T::from_usize(b);
    let scale_v = w * dloss / batch;
    let scale_o = (T::ONE - w) * dloss / batch;
    let mut dv = Array2::<T>::zeros(cache.view.hat.raw_dim());
    let mut dorig = Array2::<T>::zeros(cache.original.hat.raw_dim());
    for i in 0..b {
        for s in 0..cache.view.probs.ncols() {
            let m = bank.unit(slot_index(&cache.indices, &cache.negatives, i, s));
            let target = if s == 0 { T::ONE } else { T::ZERO };
            let gv = (cache.view.probs[[i, s]] - target) * scale_v / cache.temperature;
            let go = (cache.original.probs[[i, s]] - target) * scale_o / cache.temperature;
            for (k, &mk) in m.iter().enumerate() {
                dv[[i, k]] = gv.mul_add(mk, dv[[i, k]]);
                dorig[[i, k]] = go.mul_add(mk, dorig[[i, k]]);
            }
        }
    }
    let eps = T::from_f64(COSINE_EPS);
    Ok((
        normalize_rows_backward(&cache.view.hat, &cache.view.norms, eps, &dv),
        normalize_rows_backward(&cache.original.hat, &cache.original.norms, eps, &dorig),
    ))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
