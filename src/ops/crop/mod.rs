//! The factorized reduce's shift: `x[:, :, 1:, 1:]` forward, and its
//! backward, `acc[:, :, 1:, 1:] += g`.
//!
//! Why an op: DARTS `FactorizedReduce` feeds `conv_2` the input shifted by
//! one pixel; the crop and the shift-add of its gradient are device work like
//! any other, so they go through the backend (and can be perturbed in tests).
//!
//! Order: the crop copies; the shift-add is one IEEE addition per element of
//! `g`, `acc[n, c, i + 1, j + 1] + g[n, c, i, j]`.

use crate::real::Real;
use ndarray::{Array4, Zip, s};

/// `x[:, :, 1:, 1:]`, as a new standard-layout array.
pub fn crop_top_left<T: Real>(x: &Array4<T>) -> Array4<T> {
    x.slice(s![.., .., 1.., 1..]).to_owned()
}

/// `acc[:, :, 1:, 1:] += g`; `g` is `acc` cropped by one row and column.
pub fn shift_add<T: Real>(acc: &mut Array4<T>, g: &Array4<T>) {
    Zip::from(acc.slice_mut(s![.., .., 1.., 1..]))
        .and(g)
        .for_each(|a, &b| *a += b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_then_shift_add_touches_only_the_shifted_window() {
        // Hand values: a 1×1×2×2 input; the crop is its bottom-right element.
        let x = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
        let c = crop_top_left(&x);
        assert_eq!(c.into_raw_vec_and_offset().0, vec![4.0]);
        let mut acc = x.clone();
        shift_add(&mut acc, &Array4::from_elem((1, 1, 1, 1), 10.0));
        assert_eq!(acc.into_raw_vec_and_offset().0, vec![1.0, 2.0, 3.0, 14.0]);
    }
}
