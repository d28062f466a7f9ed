//! The CPU reference of the `none` op: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::real::Real;
use ndarray::Array4;

/// Zeros of shape (N, C, ceil(H/stride), ceil(W/stride)) (PyTorch `x[:, :, ::s, ::s] * 0`).
///
/// PyTorch's `x * 0` gives `-0.0` for negative inputs and NaN for inf/NaN
/// ones; this returns exact `+0.0` everywhere, which is what DARTS means by
/// `none` (a deliberate, documented difference).
pub fn zero_forward<T: Real>(x: &Array4<T>, stride: usize) -> Array4<T> {
    assert!(stride > 0, "zero: stride must be positive");
    let (n, c, h, w) = x.dim();
    crate::ops::recycle::zeros4((n, c, h.div_ceil(stride), w.div_ceil(stride)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_is_the_ceiling_of_the_strided_input() {
        let x = Array4::<f32>::ones((2, 3, 5, 4));
        let y1 = zero_forward(&x, 1);
        assert_eq!(y1.dim(), (2, 3, 5, 4));
        let y2 = zero_forward(&x, 2);
        // ceil(5/2) = 3 (rows 0, 2, 4), ceil(4/2) = 2.
        assert_eq!(y2.dim(), (2, 3, 3, 2));
        assert!(y2.iter().all(|&v| v.to_bits() == 0));
    }
}
