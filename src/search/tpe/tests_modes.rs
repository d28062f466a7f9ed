//! Tests of the settings beyond hyperopt's: Optuna's split and kernels, the
//! joint mode, presets, validation and determinism. Golden values come from
//! hyperopt 0.3.0 and Optuna 5.0.0 themselves:
//! `python3 benches/tpe/reference.py golden` prints every one quoted here.

use super::joint::Mixture;
use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn sqrt_split_sizes_match_hyperopts_ap_split_trials() {
    // hyperopt.tpe.ap_split_trials(range(n), ..., gamma=0.25, gamma_cap=25):
    // [(1, 1), (5, 1), (16, 1), (17, 2), (20, 2), (50, 2), (100, 3), (10000, 25), (10001, 25)]
    let h = TpeSettings::hyperopt();
    let golden = [(1, 1), (5, 1), (16, 1), (17, 2), (20, 2), (50, 2), (100, 3)];
    for (n, k) in golden.into_iter().chain([(10_000, 25), (10_001, 25)]) {
        assert_eq!(h.n_below(n), k, "n = {n}");
    }
}

#[test]
fn linear_split_sizes_match_optunas_default_gamma() {
    // optuna.samplers._tpe.sampler.default_gamma(n):
    // [(1, 1), (9, 1), (10, 1), (11, 2), (29, 3), (30, 3), (31, 4), (70, 7),
    //  (100, 10), (249, 25), (251, 25)]
    let o = TpeSettings::optuna();
    let golden = [(1, 1), (9, 1), (10, 1), (11, 2), (29, 3), (30, 3), (31, 4)];
    for (n, k) in golden
        .into_iter()
        .chain([(70, 7), (100, 10), (249, 25), (251, 25)])
    {
        assert_eq!(o.n_below(n), k, "n = {n}");
    }
    let fixed = TpeSettings {
        split: Split::Fixed,
        gamma_cap: 5,
        ..TpeSettings::optuna()
    };
    assert_eq!([3, 5, 6, 100].map(|n| fixed.n_below(n)), [3, 5, 5, 5]);
}

#[test]
fn forgetting_weights_match_hyperopts_and_optunas_functions() {
    // hyperopt.tpe.linear_forgetting_weights(26, 25) -> [0.038461538461538464, 1.0 x 25]
    // (Optuna's default_weights(30) equals hyperopt's (30, 25), checked there too.)
    let w = linear_forgetting_weights(26, 25);
    assert_eq!(w[0], 0.038461538461538464);
    assert!(w[1..].iter().all(|&x| x == 1.0) && w.len() == 26);
    // hyperopt.tpe.linear_forgetting_weights(60, 25)[i] for i = 0, 1, 2, 17, 33, 34:
    let w = linear_forgetting_weights(60, 25);
    let golden = [
        (0, 0.016666666666666666),
        (1, 0.045588235294117645),
        (2, 0.07450980392156863),
        (17, 0.5083333333333333),
        (33, 0.971078431372549),
        (34, 1.0),
    ];
    for (i, g) in golden {
        assert_eq!(w[i], g, "weight {i}");
    }
    assert_eq!(linear_forgetting_weights(24, 25), vec![1.0; 24]);
}

#[test]
fn kernel_density_matches_optunas_parzen_estimator() {
    // _ParzenEstimator({"a": [2, 2, 0]}, 4 choices, prior_weight 1).log_pdf([0, 1, 2, 3]):
    let golden = [
        -1.268511325463507,
        -1.8562979903656256,
        -0.9007865453381897,
        -1.8562979903656256,
    ];
    let p = kernel_posterior(&[2, 2, 0], 4, 1.0, 25);
    for (c, g) in golden.into_iter().enumerate() {
        assert!(close(libm::log(p[c]), g), "{c}: {} vs {g}", libm::log(p[c]));
    }
    // 30 observations t % 4, so the forgetting weights apply:
    let golden = [
        -1.369395063239875,
        -1.340368213812154,
        -1.4344316772165184,
        -1.4034841615909377,
    ];
    let obs: Vec<usize> = (0..30).map(|t| t % 4).collect();
    let p = kernel_posterior(&obs, 4, 1.0, 25);
    for (c, g) in golden.into_iter().enumerate() {
        assert!(close(libm::log(p[c]), g), "{c}: {} vs {g}", libm::log(p[c]));
    }
    assert_eq!(kernel_posterior(&[], 4, 1.0, 25), vec![0.25; 4]);
}

#[test]
fn joint_density_matches_optunas_multivariate_parzen_estimator() {
    // _ParzenEstimator({"a": [2, 2, 0], "b": [1, 0, 1]}, a: 4 choices, b: 3,
    // prior_weight 1).log_pdf at (a, b) = (0,0) (1,1) (2,2) (3,1) (2,1) (0,1) (2,0):
    let golden = [
        -2.660110738813091,
        -2.6601107388130907,
        -2.660110738813091,
        -2.6601107388130907,
        -1.73113484741162,
        -1.8374295060612433,
        -1.8374295060612433,
    ];
    let points = [[0, 0], [1, 1], [2, 2], [3, 1], [2, 1], [0, 1], [2, 0]];
    let obs: [&[usize]; 3] = [&[2, 1], &[2, 0], &[0, 1]];
    let m = Mixture::new(&obs, &[4, 3], &TpeSettings::optuna());
    for (x, g) in points.iter().zip(golden) {
        let d = m.ln_density(x);
        assert!(close(d, g), "{x:?}: {d} vs {g}");
    }
}

/// A history of `n` random trials scored by how many variables are not 3.
fn planted_history(space: &SearchSpace, n: usize, seed: u64) -> Vec<(Vec<usize>, f64)> {
    (0..n)
        .map(|t| {
            let x = propose_random(space, t, seed);
            let y = x.iter().filter(|&&c| c != 3).count() as f64;
            (x, y)
        })
        .collect()
}

fn all_modes() -> Vec<TpeSettings> {
    let kernels_independent = TpeSettings {
        multivariate: false,
        ..TpeSettings::optuna()
    };
    let fixed = TpeSettings {
        split: Split::Fixed,
        gamma_cap: 4,
        ..TpeSettings::improved()
    };
    vec![
        TpeSettings::hyperopt(),
        TpeSettings::optuna(),
        TpeSettings::improved(),
        kernels_independent,
        fixed,
    ]
}

#[test]
fn every_mode_is_a_pure_function_of_seed_trial_and_history() {
    // Six proposals (trials 30..36) from one history: equal when repeated;
    // another seed, or one objective changed, changes some of them; and
    // they are not all one vector (the trial index picks the stream).
    let space = SearchSpace::csnas(4);
    let history = planted_history(&space, 30, 9);
    for s in all_modes() {
        let six = |h: &[(Vec<usize>, f64)], seed| -> Vec<Vec<usize>> {
            (30..36).map(|t| propose(&space, h, t, seed, &s)).collect()
        };
        let a = six(&history, 9);
        assert_eq!(a, six(&history, 9), "{s:?}");
        assert_ne!(a, six(&history, 10), "seed matters: {s:?}");
        assert!(a.iter().any(|x| *x != a[0]), "trial matters: {s:?}");
        let mut edited = history.clone();
        let best = (0..30).min_by(|&i, &j| history[i].1.total_cmp(&history[j].1));
        edited[best.unwrap()].1 = 1e9;
        assert_ne!(a, six(&edited, 9), "objective matters: {s:?}");
    }
}

#[test]
fn every_mode_learns_a_planted_category() {
    // As `tpe_beats_random_search_on_a_planted_category`: random search
    // averages 24.5 variables that are not 3 (sd of a 4-seed × 20-trial mean
    // 0.2); each mode must average at least 2.0 below it over trials 60..80.
    let space = SearchSpace::csnas(4);
    for s in all_modes() {
        let mut mean = 0.0;
        for seed in [1, 2, 3, 4] {
            let mut h: Vec<(Vec<usize>, f64)> = Vec::new();
            for t in 0..80 {
                let x = propose(&space, &h, t, seed, &s);
                let y = x.iter().filter(|&&c| c != 3).count() as f64;
                h.push((x, y));
            }
            mean += h[60..].iter().map(|e| e.1).sum::<f64>() / 80.0;
        }
        assert!(mean < 24.5 - 2.0, "{s:?}: {mean}");
    }
}

#[test]
fn joint_candidates_copy_most_choices_of_the_good_trials() {
    // Ten good trials, all 5s, prior weight 0.05: a = 0.05/11, an
    // observation's kernel keeps its choice with probability
    // (1 + a)/(1 + 8a) = 0.9693; the prior kernel (weight 0.05/10.05) is
    // uniform: 0.995·0.9693 + 0.005·0.125 = 0.965 of the choices are 5 (sd
    // over 2800 draws: 0.0035).
    let cards = [8; 28];
    let five = [5; 28];
    let good: Vec<&[usize]> = vec![&five; 10];
    let s = TpeSettings {
        prior_weight: 0.05,
        ..TpeSettings::optuna()
    };
    let m = Mixture::new(&good, &cards, &s);
    let mut stream = crate::rng::StreamPath::root(1).child("t").stream();
    let (mut fives, mut total) = (0, 0);
    for _ in 0..100 {
        let x = m.sample(&mut stream);
        fives += x.iter().filter(|&&c| c == 5).count();
        total += x.len();
    }
    let share = fives as f64 / total as f64;
    assert!((0.95..0.98).contains(&share), "{share}");
    // With Optuna's prior weight 1 far fewer are: a = 1/11,
    // (1 + a)/(1 + 8a) = 0.632, times 10/11, plus 0.125/11: 0.586 (sd 0.009).
    let m = Mixture::new(&good, &cards, &TpeSettings::optuna());
    let mut fives = 0;
    for _ in 0..100 {
        fives += m.sample(&mut stream).iter().filter(|&&c| c == 5).count();
    }
    let share = fives as f64 / total as f64;
    assert!((0.55..0.62).contains(&share), "{share}");
}

#[test]
fn presets_are_named_and_valid() {
    for name in TPE_PRESET_NAMES {
        let s = TpeSettings::preset(name).unwrap();
        s.validate().unwrap();
    }
    assert_eq!(
        TpeSettings::preset("hyperopt").unwrap(),
        TpeSettings::default()
    );
    let e = TpeSettings::preset("bohb").unwrap_err().to_string();
    assert!(
        e.contains("'bohb'") && e.contains("hyperopt, optuna, improved"),
        "{e}"
    );
}

#[test]
fn invalid_settings_are_refused_naming_the_key() {
    let cases: [(TpeSettings, &str); 4] = [
        (
            TpeSettings {
                prior_weight: 0.0,
                ..TpeSettings::hyperopt()
            },
            "tpe.prior_weight = 0",
        ),
        (
            TpeSettings {
                n_ei_candidates: 0,
                ..TpeSettings::optuna()
            },
            "tpe.n_ei_candidates = 0",
        ),
        (
            TpeSettings {
                gamma: f64::NAN,
                ..TpeSettings::optuna()
            },
            "tpe.gamma = NaN",
        ),
        (
            TpeSettings {
                multivariate: true,
                ..TpeSettings::hyperopt()
            },
            "tpe.multivariate = true needs tpe.estimator = kernels",
        ),
    ];
    for (s, want) in cases {
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
}
