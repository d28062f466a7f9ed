//! Drop path (per-sample), DARTS semantics: `x / keep_prob * mask[n]`.

use crate::real::Real;
use ndarray::Array4;

/// `keep[n]` is drawn by the caller from a derived stream.
pub fn drop_path_forward<T: Real>(x: &Array4<T>, keep: &[bool], drop_prob: f64) -> Array4<T> {
    let _ = (x, keep, drop_prob);
    todo!()
}

pub fn drop_path_backward<T: Real>(dy: &Array4<T>, keep: &[bool], drop_prob: f64) -> Array4<T> {
    let _ = (dy, keep, drop_prob);
    todo!()
}
