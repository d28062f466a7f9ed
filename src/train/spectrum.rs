//! Eigenvalues of a small symmetric matrix by cyclic Jacobi rotations, for
//! RankMe's singular values ([`super::label_free`]).
//!
//! Why Jacobi: it is short, accurate for symmetric matrices, and its order of
//! operations is fixed (sweeps over `(p, q)`, `p < q`, row-major), so the
//! result is the same bits on every machine — which a hashed score needs.
//! `sqrt` is IEEE-exact; no other elementary function is used.

/// The eigenvalues of the symmetric `m × m` row-major matrix `a`, in the
/// order of the diagonal after convergence (not sorted). Sweeps until the
/// off-diagonal sum of squares is below `1e-22` of the total, or 100 sweeps.
pub fn symmetric_eigenvalues(mut a: Vec<f64>, m: usize) -> Vec<f64> {
    assert_eq!(a.len(), m * m, "symmetric_eigenvalues: not m × m");
    let total: f64 = a.iter().map(|v| v * v).sum();
    for _ in 0..100 {
        let mut off = 0.0f64;
        for p in 0..m {
            for q in p + 1..m {
                off += a[p * m + q] * a[p * m + q];
            }
        }
        if off <= 1e-22 * total || total == 0.0 {
            break;
        }
        for p in 0..m {
            for q in p + 1..m {
                rotate(&mut a, m, p, q);
            }
        }
    }
    (0..m).map(|i| a[i * m + i]).collect()
}

/// One Jacobi rotation zeroing `a[p][q]` (Golub & Van Loan, Alg. 8.4.1).
fn rotate(a: &mut [f64], m: usize, p: usize, q: usize) {
    let apq = a[p * m + q];
    if apq == 0.0 {
        return;
    }
    let theta = (a[q * m + q] - a[p * m + p]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for k in 0..m {
        let akp = a[k * m + p];
        let akq = a[k * m + q];
        a[k * m + p] = c * akp - s * akq;
        a[k * m + q] = s * akp + c * akq;
    }
    for k in 0..m {
        let apk = a[p * m + k];
        let aqk = a[q * m + k];
        a[p * m + k] = c * apk - s * aqk;
        a[q * m + k] = s * apk + c * aqk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v
    }

    #[test]
    fn eigenvalues_of_a_2x2_match_the_closed_form() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3 (by hand).
        let e = sorted(symmetric_eigenvalues(vec![2.0, 1.0, 1.0, 2.0], 2));
        assert!(
            (e[0] - 1.0).abs() < 1e-14 && (e[1] - 3.0).abs() < 1e-14,
            "{e:?}"
        );
    }

    #[test]
    fn eigenvalues_of_a_3x3_match_numpy() {
        // numpy.linalg.eigvalsh([[4,1,2],[1,3,0],[2,0,5]]) =
        // [1.8548973, 3.4760236, 6.6690791] (numpy, in the scipy venv of
        // benches/study/stats_golden.py).
        let a = vec![4.0, 1.0, 2.0, 1.0, 3.0, 0.0, 2.0, 0.0, 5.0];
        let e = sorted(symmetric_eigenvalues(a, 3));
        let want = [1.854897309, 3.476023603, 6.669079088];
        for (x, w) in e.iter().zip(want) {
            assert!((x - w).abs() < 1e-9, "{e:?}");
        }
    }
}
