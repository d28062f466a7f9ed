//! The CPU reference of the softmax cross-entropy: the definition and the accumulation
//! order it follows are documented in the parent module ([`super`]).

use crate::error::Result;
use crate::invalid;
use crate::ops::rows::log_sum_exp;
use crate::real::Real;
use ndarray::Array2;

/// What [`cross_entropy_backward`] needs from the forward pass.
#[derive(Clone, Debug)]
pub struct CrossEntropyCache<T> {
    probs: Array2<T>,
    labels: Vec<usize>,
    smoothing: T,
}

/// Forward cross-entropy: the mean loss over the batch and a cache.
///
/// Errors when the label count differs from the row count, a label is out of
/// range, the batch or the class count is empty, or `ε ∉ [0, 1]`.
pub fn cross_entropy_forward<T: Real>(
    logits: &Array2<T>,
    labels: &[usize],
    smoothing: T,
) -> Result<(T, CrossEntropyCache<T>)> {
    let (n, k) = logits.dim();
    if n == 0 || k == 0 || labels.len() != n {
        return Err(invalid!(
            "cross_entropy: logits {:?} and {} labels do not fit",
            logits.shape(),
            labels.len()
        ));
    }
    if let Some(&bad) = labels.iter().find(|&&y| y >= k) {
        return Err(invalid!(
            "cross_entropy: label {bad} out of range for {k} classes"
        ));
    }
    if !(smoothing >= T::ZERO && smoothing <= T::ONE) {
        return Err(invalid!(
            "cross_entropy: label smoothing must be in [0, 1], got {smoothing}"
        ));
    }
    let classes = T::from_usize(k);
    let mut probs = Array2::<T>::zeros((n, k));
    let mut total = T::ZERO;
    for i in 0..n {
        let row = logits.row(i);
        let (lse, max, sum) = log_sum_exp(row.iter().copied());
        for c in 0..k {
            probs[[i, c]] = (row[c] - max).exp() / sum;
        }
        let nll = lse - row[labels[i]];
        let loss_i = if smoothing == T::ZERO {
            nll
        } else {
            let mut smooth = T::ZERO;
            for &x in row.iter() {
                smooth += lse - x;
            }
            (T::ONE - smoothing) * nll + (smoothing / classes) * smooth
        };
        total += loss_i;
    }
    let loss = total / T::from_usize(n);
    Ok((
        loss,
        CrossEntropyCache {
            probs,
            labels: labels.to_vec(),
            smoothing,
        },
    ))
}

/// Backward cross-entropy: `d logits` for an upstream gradient `dloss`.
pub fn cross_entropy_backward<T: Real>(cache: &CrossEntropyCache<T>, dloss: T) -> Array2<T> {
    let (n, k) = cache.probs.dim();
    let scale = dloss / T::from_usize(n);
    let off = cache.smoothing / T::from_usize(k);
    let on = (T::ONE - cache.smoothing) + off;
    let mut dx = cache.probs.clone();
    for i in 0..n {
        for c in 0..k {
            let target = if c == cache.labels[i] { on } else { off };
            dx[[i, c]] = (dx[[i, c]] - target) * scale;
        }
    }
    dx
}

/// The DARTS training loss with an auxiliary head: `main + weight·aux`, one
/// multiplication and one addition, unfused (as PyTorch evaluates
/// `loss += args.auxiliary_weight * loss_aux`). The gradient reaching the
/// auxiliary head is `weight · dL`; pass it as that head's `dloss`.
pub fn with_aux<T: Real>(main: T, aux: T, weight: T) -> T {
    main + weight * aux
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::cross_entropy::AUX_WEIGHT;
    use crate::ops::testing::{check_gradient, dyn_of, random_array};
    use ndarray::{ArrayD, Ix2};

    fn check(eps: f64, what: &str) {
        let x = random_array(what, Ix2(5, 4)) * 3.0;
        let labels = [0usize, 3, 1, 1, 2];
        let (_, cache) = cross_entropy_forward(&x, &labels, eps).unwrap();
        let dx = cross_entropy_backward(&cache, 1.0);
        let loss = |a: &ArrayD<f64>| {
            let a2 = a.clone().into_dimensionality::<Ix2>().unwrap();
            cross_entropy_forward(&a2, &labels, eps).unwrap().0
        };
        check_gradient(what, &dyn_of(&x), &dyn_of(&dx), loss, 100, 1e-7);
    }

    #[test]
    fn cross_entropy_gradient_matches_finite_differences() {
        check(0.0, "ce/plain");
    }

    #[test]
    fn smoothed_cross_entropy_gradient_matches_finite_differences() {
        check(0.1, "ce/smoothed");
    }

    #[test]
    fn cross_entropy_of_uniform_logits_is_ln_k() {
        // Hand value: equal logits give p = 1/K for every class, so the loss
        // is ln K whatever the label and the smoothing.
        let x = Array2::<f64>::zeros((3, 10));
        for eps in [0.0, 0.3] {
            let (loss, _) = cross_entropy_forward(&x, &[0, 4, 9], eps).unwrap();
            assert!((loss - 10f64.ln()).abs() < 1e-15, "{loss}");
        }
    }

    #[test]
    fn cross_entropy_survives_huge_logits() {
        // The max subtraction keeps exp from overflowing in f32.
        let x = ndarray::arr2(&[[1000f32, 0.0], [0.0, 1000.0]]);
        let (loss, _) = cross_entropy_forward(&x, &[0, 0], 0.0).unwrap();
        assert_eq!(loss, 500.0);
    }

    #[test]
    fn cross_entropy_rejects_bad_labels_and_smoothing() {
        let x = Array2::<f64>::zeros((2, 3));
        assert!(cross_entropy_forward(&x, &[0, 3], 0.0).is_err());
        assert!(cross_entropy_forward(&x, &[0], 0.0).is_err());
        assert!(cross_entropy_forward(&x, &[0, 1], 1.5).is_err());
        assert!(cross_entropy_forward(&x, &[0, 1], f64::NAN).is_err());
    }

    #[test]
    fn aux_loss_is_weighted_sum() {
        assert_eq!(with_aux(1.0f64, 2.0, AUX_WEIGHT), 1.8);
    }
}
