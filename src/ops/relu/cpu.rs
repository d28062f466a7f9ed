//! The CPU reference of ReLU: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::ops::recycle;
use crate::parallel::ELEMENTS_PER_TASK;
use crate::real::Real;
use ndarray::Array4;
use rayon::prelude::*;

/// `max(x, 0)` of one element (NaN and -0 pass through).
#[inline(always)]
fn relu<T: Real>(v: T) -> T {
    if v < T::ZERO { T::ZERO } else { v }
}

/// `max(x, 0)`.
pub fn relu_forward<T: Real>(x: &Array4<T>) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Relu);
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let y = recycle::map(xs, |&v| relu(v));
    Array4::from_shape_vec(x.raw_dim(), y).expect("shape")
}

/// `dy` where `x > 0`, else 0.
pub fn relu_backward<T: Real>(x: &Array4<T>, dy: &Array4<T>) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Relu);
    assert_eq!(x.dim(), dy.dim(), "relu_backward: shapes");
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    let dx = recycle::zip_map(xs, dys, |&xv, &g| if xv > T::ZERO { g } else { T::ZERO });
    Array4::from_shape_vec(x.raw_dim(), dx).expect("shape")
}

/// Which elements of a ReLU's input were positive, one byte each (1 where
/// `x > 0`): all the backward pass needs, at a quarter of the memory of
/// keeping an f32 input. (A bit each would be smaller still, but packing
/// bits does not vectorise and cost more time than it saved.) The bytes
/// come from the step's buffer recycler and go back to it when the mask is
/// dropped (a layer's mask is replaced every step).
#[derive(Clone, Debug)]
pub struct Mask {
    bytes: Vec<u8>,
    dim: (usize, usize, usize, usize),
}

impl Drop for Mask {
    fn drop(&mut self) {
        recycle::give_bytes(std::mem::take(&mut self.bytes));
    }
}

/// `max(x, 0)` (as [`relu_forward`]) and the mask `x > 0` for the backward,
/// both written in one pass over `x`.
pub fn relu_forward_masked<T: Real>(x: &Array4<T>) -> (Array4<T>, Mask) {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Relu);
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let mut y = recycle::take::<T>(xs.len());
    let mut bytes = recycle::take_bytes(xs.len());
    y.par_chunks_mut(ELEMENTS_PER_TASK)
        .zip(bytes.par_chunks_mut(ELEMENTS_PER_TASK))
        .zip(xs.par_chunks(ELEMENTS_PER_TASK))
        .for_each(|((y, m), x)| {
            for ((y, m), &v) in y.iter_mut().zip(m.iter_mut()).zip(x) {
                *y = relu(v);
                *m = u8::from(v > T::ZERO);
            }
        });
    let y = Array4::from_shape_vec(x.raw_dim(), y).expect("shape");
    let mask = Mask {
        bytes,
        dim: x.dim(),
    };
    (y, mask)
}

/// `dy` where the mask is set (the forward input was `> 0`), else 0: the
/// same values as [`relu_backward`] on that input.
pub fn relu_backward_masked<T: Real>(mask: &Mask, dy: &Array4<T>) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Relu);
    assert_eq!(mask.dim, dy.dim(), "relu_backward: shapes");
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    let dx = recycle::zip_map(dys, &mask.bytes, |&g, &m| if m != 0 { g } else { T::ZERO });
    Array4::from_shape_vec(dy.raw_dim(), dx).expect("shape")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_zeroes_negatives_and_keeps_signed_zero_and_nan() {
        let x =
            Array4::from_shape_vec((1, 1, 1, 5), vec![-2.0f32, -0.0, 0.0, 3.5, f32::NAN]).unwrap();
        let y = relu_forward(&x);
        let bits: Vec<u32> = y.iter().map(|v| v.to_bits()).collect();
        // PyTorch: relu([-2, -0., 0., 3.5, nan]) = [0, -0., 0., 3.5, nan].
        assert_eq!(
            &bits[..4],
            &[0.0f32.to_bits(), (-0.0f32).to_bits(), 0, 3.5f32.to_bits()]
        );
        assert!(y[[0, 0, 0, 4]].is_nan());
    }

    #[test]
    fn masked_pair_equals_forward_and_backward_on_the_input_bitwise() {
        // 3·5·7·11 = 1155 elements: several 64-bit words and a ragged last one,
        // with negatives, signed zeros, NaN and tiny values mixed in.
        let x = crate::ops::testing::random_array("relu/mask", ndarray::Ix4(3, 5, 7, 11))
            .mapv(|v: f64| v as f32);
        let mut x = x;
        for (i, v) in x.iter_mut().enumerate() {
            match i % 13 {
                0 => *v = -0.0,
                1 => *v = 0.0,
                2 => *v = f32::NAN,
                3 => *v = 1e-40,
                _ => {}
            }
        }
        let dy = crate::ops::testing::random_array("relu/dy", ndarray::Ix4(3, 5, 7, 11))
            .mapv(|v: f64| v as f32);
        let (y, mask) = relu_forward_masked(&x);
        let bits = |a: &Array4<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&y), bits(&relu_forward(&x)));
        assert_eq!(
            bits(&relu_backward_masked(&mask, &dy)),
            bits(&relu_backward(&x, &dy))
        );
    }

    #[test]
    fn backward_passes_dy_only_where_x_is_positive() {
        let x = Array4::from_shape_vec((1, 1, 2, 2), vec![-1.0f64, 0.0, 2.0, 1e-300]).unwrap();
        let dy = Array4::from_shape_vec((1, 1, 2, 2), vec![5.0, 6.0, 7.0, 8.0]).unwrap();
        let dx = relu_backward(&x, &dy);
        assert_eq!(dx.iter().copied().collect::<Vec<_>>(), [0.0, 0.0, 7.0, 8.0]);
    }
}
