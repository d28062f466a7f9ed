use super::*;

// Golden τ-b values: scipy 1.17.1 `kendalltau(x, y, variant="b")`, printed by
// `benches/study/stats_golden.py` (run in a venv under target/).

#[test]
fn tau_b_matches_scipy_without_ties() {
    let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let y = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 7.0];
    // By hand too: 28 pairs, 4 discordant → (24 − 4)/28 = 0.714285…
    assert!((kendall_tau_b(&x, &y) - 0.7142857142857142).abs() < 1e-15);
}

#[test]
fn tau_b_matches_scipy_with_ties_on_both_sides() {
    let x = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 5.0, 6.0, 7.0];
    let y = [3.0, 1.0, 2.0, 2.0, 5.0, 4.0, 6.0, 6.0, 7.0, 5.0];
    assert!((kendall_tau_b(&x, &y) - 0.6265515005254438).abs() < 1e-15);
}

#[test]
fn tau_b_matches_scipy_on_accuracy_like_data_and_reversal() {
    let acc = [0.91, 0.87, 0.95, 0.80, 0.93, 0.88, 0.79, 0.97, 0.90];
    let loss = [3.41, 3.45, 3.39, 3.50, 3.44, 3.43, 3.52, 3.38, 3.40];
    assert!((kendall_tau_b(&acc, &loss) + 0.7777777777777778).abs() < 1e-15);
    assert_eq!(
        kendall_tau_b(&[1.0, 2.0, 3.0, 4.0], &[4.0, 3.0, 2.0, 1.0]),
        -1.0
    );
}

#[test]
fn tau_b_of_a_constant_side_is_nan() {
    assert!(kendall_tau_b(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
    assert!(kendall_tau_b(&[1.0], &[2.0]).is_nan());
}

#[test]
fn partial_tau_follows_kendalls_formula() {
    // (0.5 − 0.4·0.3) / sqrt((1 − 0.16)(1 − 0.09)), evaluated by hand in Python.
    assert!((partial_tau(0.5, 0.4, 0.3) - 0.4346335603280937).abs() < 1e-15);
    // Nothing to remove when z is unrelated to both.
    assert_eq!(partial_tau(0.3, 0.0, 0.0), 0.3);
}

#[test]
fn quantile_interpolates_like_numpy() {
    // numpy.quantile(x, 0.025) = 0.792, (x, 0.975) = 0.966 (the script above).
    let x = [0.91, 0.87, 0.95, 0.80, 0.93, 0.88, 0.79, 0.97, 0.90];
    assert!((quantile(&x, 0.025) - 0.792).abs() < 1e-12);
    assert!((quantile(&x, 0.975) - 0.966).abs() < 1e-12);
    assert!(quantile(&[f64::NAN], 0.5).is_nan());
}

fn noisy_pair(n: usize, noise: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut s = StreamPath::root(seed).child("test").stream();
    let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let y = x.iter().map(|v| v + noise * s.normal()).collect();
    (x, y)
}

#[test]
fn bootstrap_interval_brackets_the_estimate_and_is_deterministic() {
    let (x, y) = noisy_pair(40, 8.0, 1);
    let stat = |idx: &[usize]| kendall_tau_b(&pick(&x, idx), &pick(&y, idx));
    let tau = kendall_tau_b(&x, &y);
    let path = StreamPath::root(0).child("boot");
    let (lo, hi) = bootstrap_ci(40, 500, &path, &stat);
    assert!(lo < tau && tau < hi && hi - lo < 0.6, "{lo} {tau} {hi}");
    assert_eq!(bootstrap_ci(40, 500, &path, &stat), (lo, hi));
}

#[test]
fn permutation_p_separates_signal_from_noise() {
    let (x, y) = noisy_pair(40, 2.0, 2);
    let stat = |p: &[usize]| kendall_tau_b(&x, &pick(&y, p));
    let path = StreamPath::root(0).child("perm");
    let p = permutation_p(40, 999, &path, &stat);
    // A strong trend: no permutation reaches it, p = 1/1000.
    assert_eq!(p, 0.001);
    let mut s = StreamPath::root(3).stream();
    let z: Vec<f64> = (0..40).map(|_| s.normal()).collect();
    let stat = |p: &[usize]| kendall_tau_b(&x, &pick(&z, p));
    assert!(permutation_p(40, 999, &path, &stat) > 0.01);
}

#[test]
fn pairwise_tau_averages_every_pair_of_repetitions() {
    let reps = vec![
        vec![1.0, 2.0, 3.0, 4.0],
        vec![1.0, 2.0, 4.0, 3.0],
        vec![4.0, 3.0, 2.0, 1.0],
    ];
    // Pairs: (0,1) = 4/6, (0,2) = −1, (1,2) = −4/6 → mean −1/3.
    let (mean, min, max) = pairwise_tau(&reps).unwrap();
    assert!((mean + 1.0 / 3.0).abs() < 1e-15);
    assert_eq!((min, max), (-1.0, 4.0 / 6.0));
    assert!(pairwise_tau(&reps[..1]).is_none());
    assert_eq!(column_means(&reps[..2]), vec![1.0, 2.0, 3.5, 3.5]);
}
