//! The CPU reference of global average pooling: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::ops::recycle;
use crate::real::Real;
use ndarray::{Array2, Array4};
use rayon::prelude::*;

pub fn global_avg_pool_forward<T: Real>(x: &Array4<T>) -> Array2<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Pool);
    let (n, c, h, w) = x.dim();
    let plane = h * w;
    assert!(plane > 0, "global_avg_pool: empty plane");
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let count = T::from_usize(plane);
    let means: Vec<T> = xs
        .par_chunks(plane)
        .map(|xp| {
            let mut sum = T::ZERO;
            for &v in xp {
                sum += v;
            }
            sum / count
        })
        .collect();
    Array2::from_shape_vec((n, c), means).expect("n·c values")
}

pub fn global_avg_pool_backward<T: Real>(dy: &Array2<T>, hw: (usize, usize)) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Pool);
    let (n, c) = dy.dim();
    let (h, w) = hw;
    let plane = h * w;
    // Every plane is filled below.
    let mut dx = recycle::array4::<T>((n, c, h, w));
    if plane == 0 || n * c == 0 {
        return dx;
    }
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    let count = T::from_usize(plane);
    dx.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(plane)
        .zip(dys.par_iter())
        .for_each(|(dxp, &g)| dxp.fill(g / count));
    dx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testing::{check_gradient, dot_all, dyn_of, random_array};
    use crate::parallel::with_threads;
    use ndarray::{ArrayD, Ix2, Ix4};

    #[test]
    fn forward_is_the_plane_mean() {
        // Plane [[1, 2], [3, 6]]: (1+2+3+6)/4 = 3; second channel [[0,0],[0,-8]]: -2.
        let x = Array4::from_shape_vec((1, 2, 2, 2), vec![1.0, 2.0, 3.0, 6.0, 0.0, 0.0, 0.0, -8.0])
            .unwrap();
        let y = global_avg_pool_forward(&x);
        assert_eq!(y.iter().copied().collect::<Vec<f64>>(), [3.0, -2.0]);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let x = random_array("gap/x", Ix4(2, 3, 3, 4));
        let r = random_array("gap/r", Ix2(2, 3));
        let dx = global_avg_pool_backward(&r, (3, 4));
        let loss = |xv: &ArrayD<f64>| {
            let x4 = xv.clone().into_dimensionality::<Ix4>().unwrap();
            dot_all(&global_avg_pool_forward(&x4), &r)
        };
        check_gradient(
            "global_avg_pool",
            &dyn_of(&x),
            &dyn_of(&dx),
            loss,
            200,
            1e-7,
        );
    }

    #[test]
    fn forward_is_bit_identical_at_1_2_and_3_threads() {
        let x = random_array("gap/x", Ix4(4, 5, 7, 7)).mapv(|v| v as f32);
        let run = || global_avg_pool_forward(&x).mapv(f32::to_bits);
        let one = with_threads(1, run).unwrap();
        assert_eq!(one, with_threads(2, run).unwrap());
        assert_eq!(one, with_threads(3, run).unwrap());
    }
}
