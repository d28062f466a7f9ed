//! linear against naive f64 loops, finite differences and thread counts.

use super::{linear_backward, linear_forward};
use crate::ops::testing::{check_gradient, dot_all, dyn_of, random_array};
use crate::parallel::with_threads;
use ndarray::{Array1, Array2, Ix1, Ix2};

fn naive(x: &Array2<f64>, w: &Array2<f64>, b: &Array1<f64>) -> Array2<f64> {
    Array2::from_shape_fn((x.nrows(), w.nrows()), |(i, j)| {
        (0..x.ncols())
            .map(|k| x[[i, k]] * w[[j, k]])
            .fold(b[j], |a, v| a + v)
    })
}

#[test]
fn linear_forward_and_backward_match_naive_loops() {
    let (n, fin, fout) = (7, 33, 10);
    let x = random_array("lin/x", Ix2(n, fin));
    let w = random_array("lin/w", Ix2(fout, fin));
    let b = random_array("lin/b", Ix1(fout));
    let y = linear_forward(&x, &w, Some(&b));
    let r = naive(&x, &w, &b);
    assert!(y.iter().zip(r.iter()).all(|(a, c)| (a - c).abs() < 1e-12));
    let dy = random_array("lin/dy", Ix2(n, fout));
    let (dx, dw, db) = linear_backward(&x, &w, &dy);
    for i in 0..n {
        for k in 0..fin {
            let want: f64 = (0..fout)
                .map(|j| dy[[i, j]] * w[[j, k]])
                .fold(0.0, |a, v| a + v);
            assert!((dx[[i, k]] - want).abs() < 1e-12, "dx[{i}][{k}]");
        }
    }
    for j in 0..fout {
        for k in 0..fin {
            let want: f64 = (0..n)
                .map(|i| dy[[i, j]] * x[[i, k]])
                .fold(0.0, |a, v| a + v);
            assert!((dw[[j, k]] - want).abs() < 1e-12, "dw[{j}][{k}]");
        }
        let want: f64 = (0..n).map(|i| dy[[i, j]]).fold(0.0, |a, v| a + v);
        assert!((db[j] - want).abs() < 1e-12, "db[{j}]");
    }
}

#[test]
fn linear_without_bias_adds_nothing() {
    let x = random_array("lin/x", Ix2(3, 4));
    let w = random_array("lin/w", Ix2(5, 4));
    let zero = Array1::zeros(5);
    assert_eq!(
        linear_forward(&x, &w, None),
        linear_forward(&x, &w, Some(&zero))
    );
}

#[test]
fn linear_gradients_pass_finite_difference_checks() {
    let x = random_array("lin/x", Ix2(4, 6));
    let w = random_array("lin/w", Ix2(3, 6));
    let b = random_array("lin/b", Ix1(3));
    let r = random_array("lin/r", Ix2(4, 3));
    let (dx, dw, db) = linear_backward(&x, &w, &r);
    let as2 = |a: &ndarray::ArrayD<f64>| a.clone().into_dimensionality::<Ix2>().expect("2d");
    let lx = |a: &ndarray::ArrayD<f64>| dot_all(&r, &linear_forward(&as2(a), &w, Some(&b)));
    check_gradient("linear dx", &dyn_of(&x), &dyn_of(&dx), lx, 100, 1e-7);
    let lw = |a: &ndarray::ArrayD<f64>| dot_all(&r, &linear_forward(&x, &as2(a), Some(&b)));
    check_gradient("linear dw", &dyn_of(&w), &dyn_of(&dw), lw, 100, 1e-7);
    let lb = |a: &ndarray::ArrayD<f64>| {
        let bb = a.clone().into_dimensionality::<Ix1>().expect("1d");
        dot_all(&r, &linear_forward(&x, &w, Some(&bb)))
    };
    check_gradient("linear db", &dyn_of(&b), &dyn_of(&db), lb, 100, 1e-7);
}

#[test]
fn linear_f32_is_bit_identical_at_1_2_and_3_threads() {
    let x = random_array("lin/x", Ix2(67, 130)).mapv(|v| v as f32);
    let w = random_array("lin/w", Ix2(45, 130)).mapv(|v| v as f32);
    let b = random_array("lin/b", Ix1(45)).mapv(|v| v as f32);
    let run = |t: usize| {
        with_threads(t, || {
            let y = linear_forward(&x, &w, Some(&b));
            let (dx, dw, db) = linear_backward(&x, &w, &y);
            let bits = |a: &[f32]| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            [
                bits(y.as_slice().expect("std")),
                bits(dx.as_slice().expect("std")),
                bits(dw.as_slice().expect("std")),
                bits(db.as_slice().expect("std")),
            ]
        })
        .expect("pool")
    };
    let one = run(1);
    assert!(
        one == run(2) && one == run(3),
        "linear depends on the thread count"
    );
}
