//! The CPU reference of drop path: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::ops::recycle;
use crate::real::Real;
use ndarray::Array4;
use rayon::prelude::*;

fn scale_per_sample<T: Real>(x: &Array4<T>, keep: &[bool], drop_prob: f64) -> Array4<T> {
    let (n, c, h, w) = x.dim();
    assert_eq!(keep.len(), n, "drop_path: one keep flag per sample");
    assert!(
        (0.0..1.0).contains(&drop_prob),
        "drop_path: drop_prob {drop_prob} outside [0, 1)"
    );
    let keep_prob = T::from_f64(1.0 - drop_prob);
    let sample = c * h * w;
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    // Written whole below.
    let mut y = recycle::array4::<T>((n, c, h, w));
    if sample == 0 {
        return y;
    }
    y.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(sample)
        .zip(xs.par_chunks(sample))
        .zip(keep.par_iter())
        .for_each(|((yc, xc), &k)| {
            let m = if k { T::ONE } else { T::ZERO };
            for (yv, &xv) in yc.iter_mut().zip(xc) {
                *yv = (xv / keep_prob) * m;
            }
        });
    y
}

/// `keep[n]` is drawn by the caller from a derived stream.
pub fn drop_path_forward<T: Real>(x: &Array4<T>, keep: &[bool], drop_prob: f64) -> Array4<T> {
    scale_per_sample(x, keep, drop_prob)
}

/// Same map as the forward, applied to `dy`.
pub fn drop_path_backward<T: Real>(dy: &Array4<T>, keep: &[bool], drop_prob: f64) -> Array4<T> {
    scale_per_sample(dy, keep, drop_prob)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::{check_gradient, dot_all, dyn_of, random_array};
    use ndarray::{ArrayD, Ix4};

    #[test]
    fn kept_samples_are_divided_and_dropped_ones_zeroed() {
        // keep_prob = 0.75: 3 / 0.75 = 4 and -1.5 / 0.75 = -2 exactly; the
        // dropped sample gives (v / 0.75) · 0 = +0 or -0 by the sign of v.
        let x = Array4::from_shape_vec((2, 1, 1, 2), vec![3.0f32, -1.5, 2.0, -2.0]).unwrap();
        let y = drop_path_forward(&x, &[true, false], 0.25);
        let bits: Vec<u32> = y.iter().map(|v| v.to_bits()).collect();
        let want = [4.0f32, -2.0, 0.0, -0.0].map(f32::to_bits);
        assert_eq!(bits, want);
    }

    #[test]
    fn f32_result_is_a_true_division_like_pytorch() {
        // PyTorch's `x.div_(0.8)` on f32 divides by 0.8f32; multiplying by the
        // rounded reciprocal instead differs in 28 of these 199 values
        // (counted with numpy float32).
        let xs: Vec<f32> = (1..200).map(|k| k as f32 * 0.013).collect();
        let x = Array4::from_shape_vec((1, 1, 1, xs.len()), xs.clone()).unwrap();
        let y = drop_path_forward(&x, &[true], 0.2);
        for (v, &xv) in y.iter().zip(&xs) {
            assert_eq!(v.to_bits(), (xv / 0.8f32).to_bits());
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let x = random_array("dp/x", Ix4(3, 2, 2, 2));
        let r = random_array("dp/r", Ix4(3, 2, 2, 2));
        let keep = [true, false, true];
        let dx = drop_path_backward(&r, &keep, 0.3);
        let loss = |xv: &ArrayD<f64>| {
            let x4 = xv.clone().into_dimensionality::<Ix4>().unwrap();
            dot_all(&drop_path_forward(&x4, &keep, 0.3), &r)
        };
        check_gradient("drop_path", &dyn_of(&x), &dyn_of(&dx), loss, 100, 1e-7);
    }
}
