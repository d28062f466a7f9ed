//! The CPU reference of the fully connected layer: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

use crate::ops::gemm::{MatRef, gemm};
use crate::real::Real;
use ndarray::{Array1, Array2};

/// x: (N, in), w: (out, in), b: (out) → y: (N, out).
///
/// Order: `y[i][j] = (fma chain over k ascending of x[i][k]·w[j][k], from +0)`,
/// then `+ b[j]` (one plain add, after the chain).
pub fn linear_forward<T: Real>(x: &Array2<T>, w: &Array2<T>, b: Option<&Array1<T>>) -> Array2<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Linear);
    let ((n, fin), (fout, win)) = (x.dim(), w.dim());
    assert_eq!(fin, win, "linear: x has {fin} features, w expects {win}");
    let xs = x.as_standard_layout();
    let ws = w.as_standard_layout();
    let mut y = vec![T::ZERO; n * fout];
    let xm = MatRef::row_major(xs.as_slice().expect("standard"), n, fin);
    let wt = MatRef::row_major(ws.as_slice().expect("standard"), fout, fin).t();
    gemm(xm, wt, &mut y, false);
    if let Some(b) = b {
        assert_eq!(b.len(), fout, "linear: bias length");
        for row in y.chunks_exact_mut(fout.max(1)) {
            for (v, &bj) in row.iter_mut().zip(b.iter()) {
                *v += bj;
            }
        }
    }
    Array2::from_shape_vec((n, fout), y).expect("shape")
}

/// Returns (dx, dw, db).
///
/// Order: `dx[i][k]` = fma chain over `j` (outputs) ascending of
/// `dy[i][j]·w[j][k]`; `dw[j][k]` = fma chain over `i` (batch) ascending of
/// `dy[i][j]·x[i][k]`; `db[j]` = `+0` plus `dy[i][j]` for `i` ascending
/// (plain adds). All chains start from `+0`.
pub fn linear_backward<T: Real>(
    x: &Array2<T>,
    w: &Array2<T>,
    dy: &Array2<T>,
) -> (Array2<T>, Array2<T>, Array1<T>) {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Linear);
    let ((n, fin), (fout, win), (ndy, dout)) = (x.dim(), w.dim(), dy.dim());
    assert_eq!(fin, win, "linear: x has {fin} features, w expects {win}");
    assert_eq!((ndy, dout), (n, fout), "linear: dy must be (N, out)");
    let xs = x.as_standard_layout();
    let ws = w.as_standard_layout();
    let dys = dy.as_standard_layout();
    let xm = MatRef::row_major(xs.as_slice().expect("standard"), n, fin);
    let wm = MatRef::row_major(ws.as_slice().expect("standard"), fout, fin);
    let dym = MatRef::row_major(dys.as_slice().expect("standard"), n, fout);
    let mut dx = vec![T::ZERO; n * fin];
    gemm(dym, wm, &mut dx, false);
    let mut dw = vec![T::ZERO; fout * fin];
    gemm(dym.t(), xm, &mut dw, false);
    let mut db = vec![T::ZERO; fout];
    for row in dym.data.chunks_exact(fout.max(1)).take(n) {
        for (s, &g) in db.iter_mut().zip(row) {
            *s += g;
        }
    }
    (
        Array2::from_shape_vec((n, fin), dx).expect("shape"),
        Array2::from_shape_vec((fout, fin), dw).expect("shape"),
        Array1::from_vec(db),
    )
}
