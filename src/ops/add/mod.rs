//! Elementwise addition: a cell node's `op1(h1) + op2(h2)` and every
//! gradient accumulation (`grad += g`, a state's gradient from several
//! readers).
//!
//! Why an op of its own: it was once written inline in the cell and the
//! layers; as an op it goes through the backend like every other, so a GPU
//! kernel (`kernels/add.cu`) can be checked against it.
//!
//! Order: one IEEE addition per element, `a + b` (or `acc + g`); no
//! accumulation across elements, so nothing else to state.

use crate::real::Real;
use ndarray::{Array, Dimension, Zip};

/// `a + b`, elementwise.
pub fn add<T: Real, D: Dimension>(a: &Array<T, D>, b: &Array<T, D>) -> Array<T, D> {
    Zip::from(a).and(b).map_collect(|&x, &y| x + y)
}

/// `acc += g`, elementwise.
pub fn add_assign<T: Real, D: Dimension>(acc: &mut Array<T, D>, g: &Array<T, D>) {
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
