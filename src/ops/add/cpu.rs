//! The CPU reference of elementwise addition: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::real::Real;
use ndarray::{Array, Dimension, Zip};

/// `a + b`, elementwise.
pub fn add<T: Real, D: Dimension>(a: &Array<T, D>, b: &Array<T, D>) -> Array<T, D> {
    match (a.as_slice(), b.as_slice()) {
        (Some(x), Some(y)) if a.dim() == b.dim() => {
            let sum = crate::ops::recycle::zip_map(x, y, |&x, &y| x + y);
            Array::from_shape_vec(a.raw_dim(), sum).expect("shape")
        }
        _ => Zip::from(a).and(b).map_collect(|&x, &y| x + y),
    }
}

/// `acc += g`, elementwise.
pub fn add_assign<T: Real, D: Dimension>(acc: &mut Array<T, D>, g: &Array<T, D>) {
    if acc.dim() == g.dim()
        && let (Some(a), Some(b)) = (acc.as_slice_mut(), g.as_slice())
    {
        crate::parallel::zip_apply(a, b, |a, &b| *a += b);
        return;
    }
    Zip::from(acc).and(g).for_each(|a, &b| *a += b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    #[test]
    fn add_is_one_rounding_per_element() {
        // Hand values: 0.1 + 0.2 rounds once to 0.30000000000000004 in f64.
        let a = arr1(&[0.1f64, -1.0]);
        let b = arr1(&[0.2f64, 1.0]);
        assert_eq!(add(&a, &b).to_vec(), vec![0.1 + 0.2, 0.0]);
        let mut acc = a.clone();
        add_assign(&mut acc, &b);
        assert_eq!(acc, add(&a, &b));
    }
}
