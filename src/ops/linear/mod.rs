//! Fully connected layer `y = x·Wᵀ + b` (PyTorch `nn.Linear` layout).

use crate::real::Real;
use ndarray::{Array1, Array2};

/// x: (N, in), w: (out, in), b: (out) → y: (N, out).
pub fn linear_forward<T: Real>(x: &Array2<T>, w: &Array2<T>, b: Option<&Array1<T>>) -> Array2<T> {
    let _ = (x, w, b);
    todo!("linear_forward")
}

/// Returns (dx, dw, db).
pub fn linear_backward<T: Real>(
    x: &Array2<T>,
    w: &Array2<T>,
    dy: &Array2<T>,
) -> (Array2<T>, Array2<T>, Array1<T>) {
    let _ = (x, w, dy);
    todo!("linear_backward")
}
