//! Channel concatenation and its backward (a split).

use crate::real::Real;
use ndarray::Array4;

pub fn concat_channels<T: Real>(xs: &[&Array4<T>]) -> Array4<T> {
    let _ = xs;
    todo!()
}

/// Splits `dy` into pieces of the given channel counts.
pub fn split_channels<T: Real>(dy: &Array4<T>, channels: &[usize]) -> Vec<Array4<T>> {
    let _ = (dy, channels);
    todo!()
}
