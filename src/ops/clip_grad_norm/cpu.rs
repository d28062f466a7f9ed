//! The CPU reference of gradient clipping: the order it follows is
//! documented in the parent module ([`super`]).

use crate::real::Real;

/// Clips gradients in place by their global L2 norm, as PyTorch's
/// `clip_grad_norm_(params, max_norm)` with `norm_type = 2`; returns the
/// total norm (before clipping).
///
/// Order: for each gradient in the order given, `n_t = sqrt(Σ g²)` (fused
/// multiply-add over elements ascending from 0); `total = sqrt(Σ_t n_t²)`
/// (fused multiply-add over `t` ascending from 0) — the norm of the
/// per-tensor norms, as PyTorch stacks them; `coef = max_norm / (total +
/// 1e-6)`, clamped to at most 1; every element becomes `g·coef` (PyTorch
/// multiplies even when `coef` is 1, which changes nothing).
/// PyTorch's own norm kernels reduce in a different order, so totals agree
/// to rounding, not bit for bit.
pub fn clip_grad_norm<T: Real>(grads: &mut [&mut [T]], max_norm: T) -> T {
    let (total, coef) = clip_coefficient(grads.iter().map(|g| l2_norm_slice(g)), max_norm);
    for g in grads.iter_mut() {
        scale_slice(g, coef);
    }
    total
}

/// One tensor's norm `sqrt(Σ g²)`: fused multiply-add over the elements
/// ascending from `+0`.
pub fn l2_norm_slice<T: Real>(g: &[T]) -> T {
    let mut sq = T::ZERO;
    for &v in g {
        sq = v.mul_add(v, sq);
    }
    sq.sqrt()
}

/// From the per-tensor norms (in order) to `(total, coef)` of
/// [`clip_grad_norm`]: `total = sqrt(Σ_t n_t²)` (fused multiply-add over `t`
/// ascending from `+0`), `coef = min(max_norm / (total + 1e-6), 1)`.
pub fn clip_coefficient<T: Real>(norms: impl Iterator<Item = T>, max_norm: T) -> (T, T) {
    let mut total_sq = T::ZERO;
    for n in norms {
        total_sq = n.mul_add(n, total_sq);
    }
    let total = total_sq.sqrt();
    let coef = max_norm / (total + T::from_f64(1e-6));
    let coef = if coef > T::ONE { T::ONE } else { coef };
    (total, coef)
}

/// `g ← g·coef`, one multiplication per element.
pub fn scale_slice<T: Real>(g: &mut [T], coef: T) {
    for v in g.iter_mut() {
        *v *= coef;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_leaves_small_gradients_alone_and_scales_large_ones() {
        // Hand values: norms 5 (3,4) and 12 → total 13.
        let mut a = [3.0f64, 4.0];
        let mut b = [12.0f64];
        let total = clip_grad_norm(&mut [&mut a[..], &mut b[..]], 26.0);
        assert_eq!(total, 13.0);
        assert_eq!((a, b), ([3.0, 4.0], [12.0]));
        let total = clip_grad_norm(&mut [&mut a[..], &mut b[..]], 6.5);
        assert_eq!(total, 13.0);
        let coef = 6.5 / (13.0 + 1e-6);
        assert_eq!(a, [3.0 * coef, 4.0 * coef]);
    }
}
