//! The CPU reference of NT-Xent: the definition and the accumulation
//! order it follows are documented in the parent module ([`super`]).

use super::NORMALIZE_EPS;
use crate::error::Result;
use crate::invalid;
use crate::ops::rows::{dot, log_sum_exp, normalize_rows, normalize_rows_backward};
use crate::real::Real;
use ndarray::Array2;

/// What [`nt_xent_backward`] needs from the forward pass.
#[derive(Clone, Debug)]
pub struct NtXentCache<T> {
    zhat: Array2<T>,
    norms: Vec<T>,
    /// Softmax over `j ≠ i` of row `i`; the diagonal holds 0.
    probs: Array2<T>,
    temperature: T,
}

/// Forward NT-Xent: returns the mean loss over the `2N` rows and a cache.
///
/// Errors when `z` has an odd or zero number of rows, fewer than 4 rows (no
/// negative would be left), no columns, or when `temperature ≤ 0`.
pub fn nt_xent_forward<T: Real>(z: &Array2<T>, temperature: T) -> Result<(T, NtXentCache<T>)> {
    let rows = z.nrows();
    if rows < 4 || !rows.is_multiple_of(2) || z.ncols() == 0 {
        return Err(invalid!(
            "nt_xent: z must be (2N, D) with N ≥ 2 and D ≥ 1, got {:?}",
            z.shape()
        ));
    }
    if temperature.partial_cmp(&T::ZERO) != Some(std::cmp::Ordering::Greater) {
        return Err(invalid!(
            "nt_xent: temperature must be > 0, got {temperature}"
        ));
    }
    let half = rows / 2;
    let (zhat, norms) = normalize_rows(z, T::from_f64(NORMALIZE_EPS));
    let mut sim = Array2::<T>::zeros((rows, rows));
    for i in 0..rows {
        for j in 0..rows {
            sim[[i, j]] = dot(zhat.row(i), zhat.row(j)) / temperature;
        }
    }
    let mut probs = Array2::<T>::zeros((rows, rows));
    let mut total = T::ZERO;
    for i in 0..rows {
        let others = (0..rows).filter(move |&j| j != i);
        let (lse, max, sum) = log_sum_exp(others.clone().map(|j| sim[[i, j]]));
        for j in others {
            probs[[i, j]] = (sim[[i, j]] - max).exp() / sum;
        }
        total += lse - sim[[i, (i + half) % rows]];
    }
    let loss = total / T::from_usize(rows);
    let cache = NtXentCache {
        zhat,
        norms,
        probs,
        temperature,
    };
    Ok((loss, cache))
}

/// Backward NT-Xent: `dz` for an upstream gradient `dloss` on the loss.
pub fn nt_xent_backward<T: Real>(cache: &NtXentCache<T>, dloss: T) -> Array2<T> {
    let rows = cache.zhat.nrows();
    let half = rows / 2;
    let scale = dloss / T::from_usize(rows);
    let mut g = Array2::<T>::zeros((rows, rows));
    for i in 0..rows {
        for j in 0..rows {
            if j != i {
                let target = if j == (i + half) % rows {
                    T::ONE
                } else {
                    T::ZERO
                };
                g[[i, j]] = (cache.probs[[i, j]] - target) * scale;
            }
        }
    }
    let mut dzhat = Array2::<T>::zeros(cache.zhat.raw_dim());
    for i in 0..rows {
        for j in 0..rows {
            if j == i {
                continue;
            }
            let coeff = (g[[i, j]] + g[[j, i]]) / cache.temperature;
            for k in 0..cache.zhat.ncols() {
                dzhat[[i, k]] = coeff.mul_add(cache.zhat[[j, k]], dzhat[[i, k]]);
            }
        }
    }
    normalize_rows_backward(
        &cache.zhat,
        &cache.norms,
        T::from_f64(NORMALIZE_EPS),
        &dzhat,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::{check_gradient, dyn_of, random_array};
    use ndarray::Ix2;

    #[test]
    fn nt_xent_gradient_matches_finite_differences() {
        let z = random_array("nt_xent/z", Ix2(6, 5));
        let (_, cache) = nt_xent_forward(&z, 0.5).unwrap();
        let dz = nt_xent_backward(&cache, 1.0);
        let loss = |x: &ndarray::ArrayD<f64>| {
            let x2 = x.clone().into_dimensionality::<Ix2>().unwrap();
            nt_xent_forward(&x2, 0.5).unwrap().0
        };
        check_gradient("nt_xent", &dyn_of(&z), &dyn_of(&dz), loss, 100, 1e-7);
    }

    #[test]
    fn nt_xent_gradient_scales_with_upstream_gradient() {
        let z = random_array("nt_xent/z2", Ix2(4, 3));
        let (_, cache) = nt_xent_forward(&z, 0.2).unwrap();
        let one = nt_xent_backward(&cache, 1.0);
        let three = nt_xent_backward(&cache, 3.0);
        for (a, b) in one.iter().zip(three.iter()) {
            assert!((3.0 * a - b).abs() <= 1e-14 * b.abs().max(1.0));
        }
    }

    #[test]
    fn nt_xent_is_invariant_to_row_scale() {
        let z = random_array("nt_xent/z3", Ix2(4, 3));
        let (a, _) = nt_xent_forward(&z, 0.5).unwrap();
        let (b, _) = nt_xent_forward(&(&z * 7.0), 0.5).unwrap();
        assert!((a - b).abs() < 1e-14, "{a} vs {b}");
    }

    #[test]
    fn nt_xent_of_identical_views_with_orthogonal_images_is_known() {
        // N = 2, views equal, images orthogonal: for row i the positive has
        // S = 1/τ, the other two rows S = 0, so ℓ = ln(e^{1/τ} + 2) − 1/τ.
        let z = ndarray::arr2(&[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]);
        let (loss, _) = nt_xent_forward(&z, 0.5).unwrap();
        let expected = (2f64.exp() + 2.0).ln() - 2.0;
        assert!((loss - expected).abs() < 1e-15, "{loss} vs {expected}");
    }

    #[test]
    fn nt_xent_rejects_bad_shapes_and_temperatures() {
        let odd = Array2::<f64>::ones((5, 3));
        assert!(nt_xent_forward(&odd, 0.5).is_err());
        let two = Array2::<f64>::ones((2, 3));
        assert!(nt_xent_forward(&two, 0.5).is_err());
        let ok = random_array("nt_xent/z4", Ix2(4, 3));
        assert!(nt_xent_forward(&ok, 0.0).is_err());
        assert!(nt_xent_forward(&ok, f64::NAN).is_err());
    }

    #[test]
    fn nt_xent_zero_row_uses_the_eps_clamp() {
        // A zero row normalises to zero (0 / 1e-12); the loss stays finite
        // and its gradient is dẑ / eps, finite too.
        let mut z = random_array("nt_xent/z5", Ix2(4, 3));
        z.row_mut(1).fill(0.0);
        let (loss, cache) = nt_xent_forward(&z, 0.5).unwrap();
        assert!(loss.is_finite());
        assert!(nt_xent_backward(&cache, 1.0).iter().all(|v| v.is_finite()));
    }
}
