use super::*;

// Golden values: numpy in the scipy venv (see benches/study/stats_golden.py):
//   x = [[1,0,0],[0,2,0],[0,0,0],[1,1,0]]; s = svd(x); p = s/s.sum() + 1e-7
//   exp(-(p*log(p)).sum()) = 1.9235612291798319
//   u = [[1,0],[0,1],[-1,0]]: log(mean(exp(-2·d²))) over pairs = -4.396348967229015

#[test]
fn rankme_matches_numpy_on_both_gram_sides() {
    let x = Array2::from_shape_vec(
        (4, 3),
        vec![1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0],
    )
    .unwrap();
    assert!((rankme(&x) - 1.9235612291798319).abs() < 1e-12);
    // The transpose has the same singular values (the other Gram side).
    let xt = x.t().to_owned();
    assert!((rankme(&xt) - 1.9235612291798319).abs() < 1e-12);
}

#[test]
fn uniformity_and_alignment_match_the_definitions() {
    let u = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![-1.0, 0.0]];
    assert!((uniformity(&u) + 4.396348967229015).abs() < 1e-13);
    // Identical pairs align perfectly; opposite unit vectors are 4 apart.
    assert_eq!(alignment(&u, &u), 0.0);
    let v = vec![vec![-1.0, 0.0], vec![0.0, 1.0], vec![-1.0, 0.0]];
    assert!((alignment(&u, &v) - 4.0 / 3.0).abs() < 1e-15);
}

#[test]
fn unit_rows_normalise_and_keep_zero_rows_zero() {
    let z = Array2::from_shape_vec((2, 2), vec![3.0f32, 4.0, 0.0, 0.0]).unwrap();
    let u = unit_rows(&z);
    assert_eq!(u[0], vec![0.6, 0.8]);
    assert_eq!(u[1], vec![0.0, 0.0]);
}
