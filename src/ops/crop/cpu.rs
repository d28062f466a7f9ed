//! The CPU reference of the factorized-reduce crop: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::real::Real;
use ndarray::{Array4, Zip, s};

/// `x[:, :, 1:, 1:]`, as a new standard-layout array.
pub fn crop_top_left<T: Real>(x: &Array4<T>) -> Array4<T> {
    let (n, c, h, w) = x.dim();
    if h == 0 || w == 0 {
        return x.slice(s![.., .., 1.., 1..]).to_owned();
    }
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    // Row by row (whole-row copies instead of one element at a time).
    let mut y = Vec::with_capacity(n * c * (h - 1) * (w - 1));
    for plane in xs.chunks_exact(h * w) {
        for row in plane.chunks_exact(w).skip(1) {
            y.extend_from_slice(&row[1..]);
        }
    }
    Array4::from_shape_vec((n, c, h - 1, w - 1), y).expect("shape")
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
