//! Test helpers shared by the op tests: seeded random inputs and gradient
//! checks by central finite differences in f64.
//!
//! How a check works: for an op `y = f(x)`, pick a fixed random cotangent `r`
//! shaped like `y`, define the scalar `L(x) = Σ r·f(x)`, and compare the
//! analytic `dL/dx = backward(r)` with `(L(x + h·e_i) - L(x - h·e_i)) / 2h`
//! for every element `i` (or a seeded sample of them for large inputs).

use crate::rng::StreamPath;
use ndarray::{ArrayD, Dimension, IxDyn};

/// A tensor of the given shape with entries uniform in `[-1, 1)`, from the
/// stream `test/<label>` of seed 0.
pub fn random_array<D: Dimension>(label: &str, shape: D) -> ndarray::Array<f64, D> {
    let mut s = StreamPath::root(0).child("test").child(label).stream();
    let n = shape.size();
    let data: Vec<f64> = (0..n).map(|_| 2.0 * s.uniform_f64() - 1.0).collect();
    ndarray::Array::from_shape_vec(shape, data).expect("shape")
}

/// `Σ a·b` in f64, sequential (test use only).
pub fn dot_all<D: Dimension>(a: &ndarray::Array<f64, D>, b: &ndarray::Array<f64, D>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| x * y)
        .fold(0.0, |acc, v| acc + v)
}

/// Checks `analytic` against central differences of `loss` at `x`.
///
/// `loss` maps an input to the scalar `Σ r·f(x)`. Every element is checked
/// when `x` has at most `max_checks` elements, otherwise a seeded sample of
/// `max_checks` of them. Fails when `|num - ana| > tol · max(1, |num|, |ana|)`,
/// naming the element.
pub fn check_gradient(
    what: &str,
    x: &ArrayD<f64>,
    analytic: &ArrayD<f64>,
    loss: impl Fn(&ArrayD<f64>) -> f64,
    max_checks: usize,
    tol: f64,
) {
    assert_eq!(x.shape(), analytic.shape(), "{what}: gradient shape");
    let n = x.len();
    let idx: Vec<usize> = if n <= max_checks {
        (0..n).collect()
    } else {
        let mut s = StreamPath::root(0)
            .child("test")
            .child("gradcheck")
            .child(what)
            .stream();
        (0..max_checks)
            .map(|_| s.below(n as u64) as usize)
            .collect()
    };
    let h = 1e-6;
    let flat_ana: Vec<f64> = analytic.iter().copied().collect();
    for &i in &idx {
        let mut xp = x.clone();
        let mut xm = x.clone();
        xp.as_slice_mut().expect("contiguous")[i] += h;
        xm.as_slice_mut().expect("contiguous")[i] -= h;
        let num = (loss(&xp) - loss(&xm)) / (2.0 * h);
        let ana = flat_ana[i];
        let scale = 1f64.max(num.abs()).max(ana.abs());
        assert!(
            (num - ana).abs() <= tol * scale,
            "{what}: gradient mismatch at flat index {i}: numeric {num}, analytic {ana}"
        );
    }
}

/// Converts any f64 array to a dynamic-dimension one (for [`check_gradient`]).
pub fn dyn_of<D: Dimension>(a: &ndarray::Array<f64, D>) -> ArrayD<f64> {
    a.clone().into_dimensionality::<IxDyn>().expect("dyn")
}
