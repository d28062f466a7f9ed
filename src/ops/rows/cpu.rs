//! The CPU reference of the row-wise helpers: the definition and the accumulation
//! order it follows are documented in the parent module ([`super`]).

use crate::real::Real;
use ndarray::{Array2, ArrayView1};

/// `Σ_k a_k·b_k`: sequential fused multiply-add over `k` ascending, starting
/// from 0 (`acc = a_k.mul_add(b_k, acc)`).
pub(crate) fn dot<T: Real>(a: ArrayView1<'_, T>, b: ArrayView1<'_, T>) -> T {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = T::ZERO;
    for (&x, &y) in a.iter().zip(b.iter()) {
        acc = x.mul_add(y, acc);
    }
    acc
}

/// L2-normalised rows and the row norms `‖x_i‖`, as PyTorch's
/// `F.normalize(x, dim=1, eps)`: `denom_i = max(‖x_i‖, eps)`, `x̂_ik = x_ik / denom_i`.
///
/// `‖x_i‖ = sqrt(dot(x_i, x_i))` (see [`dot`] for the order); the division is
/// a true division, not a multiplication by a reciprocal.
pub(crate) fn normalize_rows<T: Real>(x: &Array2<T>, eps: T) -> (Array2<T>, Vec<T>) {
    let mut out = x.clone();
    let mut norms = Vec::with_capacity(x.nrows());
    for (i, mut row) in out.rows_mut().into_iter().enumerate() {
        let norm = dot(x.row(i), x.row(i)).sqrt();
        let denom = norm.max_of(eps);
        for v in row.iter_mut() {
            *v /= denom;
        }
        norms.push(norm);
    }
    (out, norms)
}

/// Backward of [`normalize_rows`]: from `dx̂` to `dx`.
///
/// When the norm was not clamped (`‖x_i‖ ≥ eps`, PyTorch's `clamp_min` passes
/// its gradient at equality): `dx_i = (dx̂_i − x̂_i·dot(x̂_i, dx̂_i)) / denom_i`,
/// each element computed as `(dx̂ − x̂·c)` with one rounding per operation (no
/// fusion), then divided. When clamped (`‖x_i‖ < eps`): `dx_i = dx̂_i / eps`.
pub(crate) fn normalize_rows_backward<T: Real>(
    xhat: &Array2<T>,
    norms: &[T],
    eps: T,
    dxhat: &Array2<T>,
) -> Array2<T> {
    let mut dx = dxhat.clone();
    for (i, mut row) in dx.rows_mut().into_iter().enumerate() {
        if norms[i] < eps {
            for v in row.iter_mut() {
                *v /= eps;
            }
        } else {
            let c = dot(xhat.row(i), dxhat.row(i));
            for (v, &h) in row.iter_mut().zip(xhat.row(i).iter()) {
                *v = (*v - h * c) / norms[i];
            }
        }
    }
    dx
}

/// Log-sum-exp of `values` (in the given order): `m = max` (first maximum
/// kept), `s = Σ exp(v − m)` sequential in the given order from 0, result
/// `m + ln(s)`. Returns `(lse, m, s)` so callers can form `exp(v − m) / s`.
pub(crate) fn log_sum_exp<T: Real>(values: impl Iterator<Item = T> + Clone) -> (T, T, T) {
    let mut m: Option<T> = None;
    for v in values.clone() {
        m = Some(match m {
            None => v,
            Some(cur) => cur.max_of(v),
        });
    }
    let m = m.expect("log_sum_exp of an empty set");
    let mut s = T::ZERO;
    for v in values {
        s += (v - m).exp();
    }
    (m + s.ln(), m, s)
}
