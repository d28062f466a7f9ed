//! ReLU, forward and backward. No accumulation, so no order to state.
//!
//! Why its own module: every DARTS `ReLUConvBN` block starts with one, and the
//! exact treatment of `-0.0` and NaN is part of bit-exact replays.
//!
//! Forward: `0` where `x < 0`, else `x` unchanged — so `-0.0` stays `-0.0`
//! and NaN stays NaN, as PyTorch's `relu` does. Backward: `dy` where `x > 0`,
//! else `0`. Parallel over contiguous chunks of elements (independent outputs).

use crate::real::Real;
use ndarray::Array4;
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// `max(x, 0)`.
pub fn relu_forward<T: Real>(x: &Array4<T>) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Relu);
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let mut y = Array4::<T>::zeros(x.raw_dim());
    y.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(CHUNK)
        .zip(xs.par_chunks(CHUNK))
        .for_each(|(yc, xc)| {
            for (yv, &xv) in yc.iter_mut().zip(xc) {
                *yv = if xv < T::ZERO { T::ZERO } else { xv };
            }
        });
    y
}

/// `dy` where `x > 0`, else 0.
pub fn relu_backward<T: Real>(x: &Array4<T>, dy: &Array4<T>) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Relu);
    assert_eq!(x.dim(), dy.dim(), "relu_backward: shapes");
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    let mut dx = Array4::<T>::zeros(x.raw_dim());
    dx.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(CHUNK)
        .zip(xs.par_chunks(CHUNK))
        .zip(dys.par_chunks(CHUNK))
        .for_each(|((dc, xc), gc)| {
            for ((d, &xv), &g) in dc.iter_mut().zip(xc).zip(gc) {
                *d = if xv > T::ZERO { g } else { T::ZERO };
            }
        });
    dx
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
    fn backward_passes_dy_only_where_x_is_positive() {
        let x = Array4::from_shape_vec((1, 1, 2, 2), vec![-1.0f64, 0.0, 2.0, 1e-300]).unwrap();
        let dy = Array4::from_shape_vec((1, 1, 2, 2), vec![5.0, 6.0, 7.0, 8.0]).unwrap();
        let dx = relu_backward(&x, &dy);
        assert_eq!(dx.iter().copied().collect::<Vec<_>>(), [0.0, 0.0, 7.0, 8.0]);
    }
}
