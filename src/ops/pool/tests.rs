//! Pooling tests: hand-computed 3×3 cases, finite-difference gradients in f64
//! and bit-identity across thread counts in f32.

use super::*;
use crate::ops::testing::{check_gradient, dot_all, dyn_of, random_array};
use crate::parallel::with_threads;
use ndarray::{ArrayD, Ix4};

fn plane(v: [f64; 9]) -> Array4<f64> {
    Array4::from_shape_vec((1, 1, 3, 3), v.to_vec()).unwrap()
}

fn flat<T: Copy>(a: &Array4<T>) -> Vec<T> {
    a.iter().copied().collect()
}

const K3S1P1: PoolParams = PoolParams {
    kernel: 3,
    stride: 1,
    padding: 1,
};
const K3S2P1: PoolParams = PoolParams {
    kernel: 3,
    stride: 2,
    padding: 1,
};
const K5S3P0: PoolParams = PoolParams {
    kernel: 5,
    stride: 3,
    padding: 0,
};

#[test]
fn max_pool_treats_padding_as_minus_infinity() {
    // x = [[-1, -5, -2], [-7, -3, -9], [-4, -8, -6]], k3 s1 p1. Windows clipped
    // to the input; with zero padding every output would be 0.
    // (0,0) {-1,-5,-7,-3} → -1 @0   (0,1) {-1,-5,-2,-7,-3,-9} → -1 @0
    // (0,2) {-5,-2,-3,-9} → -2 @2   (1,0) {-1,-5,-7,-3,-4,-8} → -1 @0
    // (1,1) all → -1 @0             (1,2) {-5,-2,-3,-9,-8,-6} → -2 @2
    // (2,0) {-7,-3,-4,-8} → -3 @4   (2,1) {-7,-3,-9,-4,-8,-6} → -3 @4
    // (2,2) {-3,-9,-8,-6} → -3 @4
    let x = plane([-1.0, -5.0, -2.0, -7.0, -3.0, -9.0, -4.0, -8.0, -6.0]);
    let (y, arg) = max_pool2d_forward(&x, &K3S1P1);
    assert_eq!(
        flat(&y),
        [-1.0, -1.0, -2.0, -1.0, -1.0, -2.0, -3.0, -3.0, -3.0]
    );
    assert_eq!(flat(&arg), [0, 0, 2, 0, 0, 2, 4, 4, 4]);
    // dy = 1 everywhere: index 0 is chosen 4 times, index 2 twice, index 4 three times.
    let dx = max_pool2d_backward(&Array4::<f64>::ones((1, 1, 3, 3)), &arg, (3, 3));
    assert_eq!(flat(&dx), [4.0, 0.0, 2.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
}

#[test]
fn max_pool_ties_go_to_the_first_element_in_row_major_order() {
    // Constant input: each argmax is the window's first in-bounds element.
    // Windows (rows × cols): (0,0) 0-1×0-1 → 0; (0,1) 0-1×0-2 → 0; (0,2) 0-1×1-2 → 1;
    // (1,0) 0-2×0-1 → 0; (1,1) → 0; (1,2) → 1; (2,0) 1-2×0-1 → 3; (2,1) → 3; (2,2) → 4.
    let (_, arg) = max_pool2d_forward(&plane([2.0; 9]), &K3S1P1);
    assert_eq!(flat(&arg), [0, 0, 1, 0, 0, 1, 3, 3, 4]);
}

#[test]
fn avg_pool_divides_by_in_bounds_count() {
    // x = [[1,2,3],[4,5,6],[7,8,9]], k3 s1 p1, count_include_pad=False:
    // corners (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, (4+5+7+8)/4 = 6, (5+6+8+9)/4 = 7;
    // edges 21/6 = 3.5, 27/6 = 4.5, 33/6 = 5.5, 39/6 = 6.5; centre 45/9 = 5.
    let x = plane([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    let y = avg_pool2d_forward(&x, &K3S1P1);
    assert_eq!(flat(&y), [3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0]);
    // Stride 2: outputs at the four corners' windows → 3, 4, 6, 7.
    let y2 = avg_pool2d_forward(&x, &K3S2P1);
    assert_eq!(flat(&y2), [3.0, 4.0, 6.0, 7.0]);
}

#[test]
fn avg_pool_backward_matches_hand_computation() {
    // dy = 1: the corner (0,0) lies in windows (0,0) [count 4], (0,1) and (1,0)
    // [count 6] and (1,1) [count 9]: 1/4 + 2/6 + 1/9 = 25/36. The centre lies in
    // all nine: 4/4 + 4/6 + 1/9 = 16/9.
    let dx = avg_pool2d_backward(&Array4::<f64>::ones((1, 1, 3, 3)), &K3S1P1, (3, 3));
    assert!((dx[[0, 0, 0, 0]] - 25.0 / 36.0).abs() < 1e-15);
    assert!((dx[[0, 0, 1, 1]] - 16.0 / 9.0).abs() < 1e-15);
}

fn to4(a: &ArrayD<f64>) -> Array4<f64> {
    a.clone().into_dimensionality::<Ix4>().unwrap()
}

fn check_avg(p: &PoolParams, shape: Ix4, label: &str) {
    let x = random_array("pool/x", shape);
    let (oh, ow) = p.out_hw(shape[2], shape[3]);
    let r = random_array("pool/r", Ix4(shape[0], shape[1], oh, ow));
    let dx = avg_pool2d_backward(&r, p, (shape[2], shape[3]));
    let loss = |xv: &ArrayD<f64>| dot_all(&avg_pool2d_forward(&to4(xv), p), &r);
    check_gradient(label, &dyn_of(&x), &dyn_of(&dx), loss, 200, 1e-7);
}

#[test]
fn avg_pool_gradients_match_finite_differences() {
    check_avg(&K3S1P1, Ix4(2, 2, 5, 5), "avg k3 s1 p1");
    check_avg(&K3S2P1, Ix4(2, 2, 5, 6), "avg k3 s2 p1");
    check_avg(&K5S3P0, Ix4(2, 2, 8, 8), "avg k5 s3 p0");
}

#[test]
fn max_pool_gradients_match_finite_differences() {
    // Uniform random inputs have no ties (and no pair closer than the step).
    for (p, shape, label) in [
        (K3S1P1, Ix4(2, 2, 5, 5), "max k3 s1 p1"),
        (K3S2P1, Ix4(2, 2, 5, 6), "max k3 s2 p1"),
    ] {
        let x = random_array("pool/x", shape);
        let (y, arg) = max_pool2d_forward(&x, &p);
        let r = random_array("pool/r", y.raw_dim());
        let dx = max_pool2d_backward(&r, &arg, (shape[2], shape[3]));
        let loss = |xv: &ArrayD<f64>| dot_all(&max_pool2d_forward(&to4(xv), &p).0, &r);
        check_gradient(label, &dyn_of(&x), &dyn_of(&dx), loss, 200, 1e-7);
    }
}

#[test]
fn pools_are_bit_identical_at_1_2_and_3_threads() {
    let x = random_array("pool/x", Ix4(3, 4, 7, 7)).mapv(|v| v as f32);
    let run = || {
        let mut out: Vec<Vec<u32>> = Vec::new();
        for p in [K3S1P1, K3S2P1, K5S3P0] {
            let (y, arg) = max_pool2d_forward(&x, &p);
            let r = y.mapv(|v| v * 0.37 + 0.11);
            let dxm = max_pool2d_backward(&r, &arg, (7, 7));
            let ya = avg_pool2d_forward(&x, &p);
            let dxa = avg_pool2d_backward(&r, &p, (7, 7));
            for a in [&y, &dxm, &ya, &dxa] {
                out.push(a.iter().map(|v| v.to_bits()).collect());
            }
            out.push(arg.iter().copied().collect());
        }
        out
    };
    let one = with_threads(1, run).unwrap();
    assert_eq!(one, with_threads(2, run).unwrap(), "2 threads");
    assert_eq!(one, with_threads(3, run).unwrap(), "3 threads");
}

#[test]
fn max_pool_vector_runs_equal_the_window_scan_bitwise() {
    // Quantised values give many ties; NaNs and signed zeros are sprinkled in,
    // so the first-max and NaN rules are exercised in the vectorised runs.
    let mut x =
        random_array("pool/runs", Ix4(2, 3, 9, 11)).mapv(|v| ((v * 4.0).round() / 4.0) as f32);
    for (i, v) in x.iter_mut().enumerate() {
        match i % 17 {
            0 => *v = f32::NAN,
            1 => *v = -0.0,
            _ => {}
        }
    }
    let cases = [
        K3S1P1,
        PoolParams {
            kernel: 3,
            stride: 1,
            padding: 0,
        },
        PoolParams {
            kernel: 5,
            stride: 1,
            padding: 2,
        },
        K3S2P1,
    ];
    for p in cases {
        let (y, arg) = max_pool2d_forward(&x, &p);
        let (n, c, h, w) = x.dim();
        let (oh, ow) = p.out_hw(h, w);
        let xs = x.as_slice().unwrap();
        for pl in 0..n * c {
            let xp = &xs[pl * h * w..(pl + 1) * h * w];
            for oy in 0..oh {
                for ox in 0..ow {
                    let (v, i) = max_window(xp, w, p.window(oy, h), p.window(ox, w));
                    let (b, cc) = (pl / c, pl % c);
                    assert_eq!(
                        y[[b, cc, oy, ox]].to_bits(),
                        v.to_bits(),
                        "{p:?} value at {pl},{oy},{ox}"
                    );
                    assert_eq!(arg[[b, cc, oy, ox]], i, "{p:?} index at {pl},{oy},{ox}");
                }
            }
        }
    }
}

/// Stride-2 max pooling on whichever path the machine takes (AVX-512: 16
/// outputs at once, a masked last block) equals the per-window scan
/// ([`max_window`]) bitwise, values and argmax, on ragged widths with ties,
/// NaNs and infinities. Where the CPU lacks AVX-512F only the scalar path
/// runs (said on stderr).
#[test]
fn stride_2_max_pool_equals_the_window_scan_with_ties_and_nans() {
    if !crate::ops::simd::avx512_f32::<f32>() {
        eprintln!("no AVX-512F here: the stride-2 AVX-512 max pool is not exercised");
    }
    for (h, w, kernel, padding) in [
        (8, 8, 3, 1),
        (9, 37, 3, 1),
        (5, 70, 3, 0),
        (6, 33, 2, 0),
        (7, 41, 3, 1),
    ] {
        let p = PoolParams {
            kernel,
            stride: 2,
            padding,
        };
        let (oh, ow) = p.out_hw(h, w);
        let shape = (2, 3, h, w);
        // Coarse values make ties common; a few NaNs and infinities.
        let x =
            random_array("pool s2", ndarray::Ix4(shape.0, shape.1, shape.2, shape.3)).mapv(|v| {
                let q = (v * 4.0).round() as f32;
                match q as i32 {
                    4 => f32::NAN,
                    -4 => f32::NEG_INFINITY,
                    _ => q,
                }
            });
        let (y, arg) = max_pool2d_forward(&x, &p);
        let xs = x.as_slice().expect("standard");
        for (pi, xp) in xs.chunks(h * w).enumerate() {
            for oy in 0..oh {
                for ox in 0..ow {
                    let (v, a) = max_window(xp, w, p.window(oy, h), p.window(ox, w));
                    let o = pi * oh * ow + oy * ow + ox;
                    let (gy, ga) = (
                        y.as_slice().expect("standard")[o],
                        arg.as_slice().expect("standard")[o],
                    );
                    assert_eq!(
                        (gy.to_bits(), ga),
                        (v.to_bits(), a),
                        "{h}x{w} k{kernel} p{padding} plane {pi} ({oy}, {ox})"
                    );
                }
            }
        }
    }
}
