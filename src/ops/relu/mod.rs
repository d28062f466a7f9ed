//! ReLU. No accumulation.

use crate::real::Real;
use ndarray::Array4;

/// `max(x, 0)`.
pub fn relu_forward<T: Real>(x: &Array4<T>) -> Array4<T> {
    let _ = x;
    todo!()
}

/// `dy` where `x > 0`, else 0.
pub fn relu_backward<T: Real>(x: &Array4<T>, dy: &Array4<T>) -> Array4<T> {
    let _ = (x, dy);
    todo!()
}
