use crate::search::config::overrides::parse_settings;
use crate::search::config::{SearchConfig, Strategy};
use crate::search::tpe::{Estimator, Split, TpeSettings};

fn with(text: &str, base: &SearchConfig) -> crate::Result<SearchConfig> {
    base.with_settings(&parse_settings(text, "c.cfg").unwrap(), "c.cfg")
}

fn strategy_pairs(c: &SearchConfig) -> Vec<(String, String)> {
    let r = c.to_record();
    let n = r.hyper_parameters.iter().position(|(k, _)| k == "trials");
    r.hyper_parameters[..n.unwrap()].to_vec()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn hyperopt_settings_are_recorded_with_exactly_the_six_keys_of_before() {
    // The record that every log so far holds (fixtures/golden): adding the
    // new settings must not add a key where they keep hyperopt's value.
    let c = SearchConfig::default_preset();
    let expected = [
        ("strategy", "tpe"),
        ("tpe.n_startup_jobs", "6"),
        ("tpe.gamma", "0.25"),
        ("tpe.gamma_cap", "25"),
        ("tpe.prior_weight", "1"),
        ("tpe.linear_forgetting", "25"),
        ("tpe.n_ei_candidates", "24"),
    ];
    assert_eq!(strategy_pairs(&c), pairs(&expected));
    let mut r = SearchConfig::csnas_cifar10();
    r.strategy = Strategy::Random;
    assert_eq!(strategy_pairs(&r), pairs(&[("strategy", "random")]));
}

#[test]
fn other_settings_add_only_the_keys_that_differ_and_round_trip() {
    let mut c = SearchConfig::default_preset();
    c.strategy = Strategy::Tpe(TpeSettings::optuna());
    let p = strategy_pairs(&c);
    let tail: Vec<&str> = p[7..].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(tail, ["tpe.split", "tpe.estimator", "tpe.multivariate"]);
    assert_eq!(SearchConfig::from_record(&c.to_record()).unwrap(), c);
    c.strategy = Strategy::Tpe(TpeSettings {
        split: Split::Fixed,
        ..TpeSettings::hyperopt()
    });
    let p = strategy_pairs(&c);
    assert_eq!(p[7..], pairs(&[("tpe.split", "fixed")]));
    assert_eq!(SearchConfig::from_record(&c.to_record()).unwrap(), c);
}

#[test]
fn a_record_that_spells_out_a_default_is_not_canonical() {
    let mut r = SearchConfig::default_preset().to_record();
    r.hyper_parameters
        .insert(7, ("tpe.split".into(), "sqrt".into()));
    let e = SearchConfig::from_record(&r).unwrap_err().to_string();
    assert!(e.contains("canonical"), "{e}");
    // And an unknown value is named.
    let mut r = SearchConfig::default_preset().to_record();
    r.hyper_parameters
        .insert(7, ("tpe.split".into(), "cube".into()));
    let e = SearchConfig::from_record(&r).unwrap_err().to_string();
    assert!(e.contains("tpe.split = 'cube'"), "{e}");
    // Joint mode with hyperopt's counts cannot run: refused by name.
    let mut r = SearchConfig::default_preset().to_record();
    r.hyper_parameters
        .insert(7, ("tpe.multivariate".into(), "true".into()));
    let e = SearchConfig::from_record(&r).unwrap_err().to_string();
    assert!(
        e.contains("tpe.multivariate = true needs tpe.estimator = kernels"),
        "{e}"
    );
}

#[test]
fn strategy_random_in_a_config_file_drops_the_tpe_keys() {
    // Issue #10: this used to fail with "hyper-parameter 1 is
    // 'tpe.n_startup_jobs', expected 'trials'".
    let c = with(
        "strategy = random\nepochs = 3\n",
        &SearchConfig::default_preset(),
    )
    .unwrap();
    assert_eq!(c.strategy, Strategy::Random);
    assert_eq!(c.spec.epochs, 3);
    assert_eq!(strategy_pairs(&c), pairs(&[("strategy", "random")]));
    assert_eq!(SearchConfig::from_record(&c.to_record()).unwrap(), c);
}

#[test]
fn strategy_tpe_over_random_starts_from_hyperopt_and_keeps_its_fields() {
    let mut random = SearchConfig::default_preset();
    random.strategy = Strategy::Random;
    let c = with("strategy = tpe\n", &random).unwrap();
    assert_eq!(c.strategy, Strategy::Tpe(TpeSettings::hyperopt()));
    let c = with("tpe.gamma = 0.5\nstrategy = tpe\n", &random).unwrap();
    let Strategy::Tpe(t) = c.strategy else {
        panic!("not tpe")
    };
    assert_eq!(t.gamma, 0.5);
    // Over a TPE base, `strategy = tpe` keeps the base's settings.
    let c = with("strategy = tpe\n", &SearchConfig::default_preset()).unwrap();
    assert_eq!(c.strategy, SearchConfig::default_preset().strategy);
}

#[test]
fn a_tpe_preset_and_single_fields_combine_in_any_line_order() {
    let base = SearchConfig::default_preset();
    for text in [
        "tpe.preset = improved\ntpe.n_startup_jobs = 4\n",
        "tpe.n_startup_jobs = 4\ntpe.preset = improved\n",
    ] {
        let c = with(text, &base).unwrap();
        let want = TpeSettings {
            n_startup_jobs: 4,
            ..TpeSettings::improved()
        };
        assert_eq!(c.strategy, Strategy::Tpe(want), "{text}");
        assert_eq!(SearchConfig::from_record(&c.to_record()).unwrap(), c);
    }
    let c = with(
        "tpe.split = linear\ntpe.gamma = 0.1\ntpe.estimator = kernels\ntpe.multivariate = true\n",
        &base,
    )
    .unwrap();
    let Strategy::Tpe(t) = &c.strategy else {
        panic!("not tpe")
    };
    assert_eq!(
        (t.split, t.estimator, t.multivariate, t.n_startup_jobs),
        (Split::Linear, Estimator::Kernels, true, 6)
    );
    // Back to hyperopt's semantics: the record is the default preset's again.
    let back = with("tpe.preset = hyperopt\ntpe.n_startup_jobs = 6\n", &c).unwrap();
    assert_eq!(back.to_record(), base.to_record());
}

#[test]
fn strategy_errors_name_the_file_line_key_and_value() {
    let base = SearchConfig::default_preset();
    let mut random = base.clone();
    random.strategy = Strategy::Random;
    let cases: [(&SearchConfig, &str, &str); 7] = [
        (
            &base,
            "strategy = random\ntpe.gamma = 0.5\n",
            "c.cfg:2: tpe.gamma applies to TPE only: the file sets strategy = random on line 1",
        ),
        (
            &random,
            "\ntpe.preset = optuna\n",
            "c.cfg:2: tpe.preset applies to TPE only: the strategy is random; add 'strategy = tpe'",
        ),
        (
            &base,
            "strategy = bayes\n",
            "c.cfg:1: strategy = 'bayes': expected 'tpe' or 'random'",
        ),
        (
            &base,
            "tpe.split = cube\n",
            "c.cfg:1: tpe.split = 'cube': expected 'sqrt'",
        ),
        (
            &base,
            "tpe.preset = bohb\n",
            "c.cfg:1: tpe.preset: unknown TPE preset 'bohb'",
        ),
        (
            &base,
            "tpe.gamma_cap = many\n",
            "c.cfg:1: tpe.gamma_cap = 'many' is not a whole number",
        ),
        (
            &base,
            "tpe.multivariate = true\n",
            "c.cfg: tpe.multivariate = true needs tpe.estimator = kernels",
        ),
    ];
    for (b, text, want) in cases {
        let e = with(text, b).unwrap_err().to_string();
        assert!(e.contains(want), "{text:?}: {e}");
    }
    let e = with("tpe.gama = 0.5\n", &base).unwrap_err().to_string();
    assert!(
        e.contains("unknown key 'tpe.gama'") && e.contains("tpe.gamma"),
        "{e}"
    );
    let e = with("sgd.rate = 0.1\n", &base).unwrap_err().to_string();
    // Close keys, not the whole list of 50-odd keys (issue #14).
    assert!(
        e.contains("did you mean 'sgd.lr'") && !e.contains("tpe.preset") && e.len() < 300,
        "{e}"
    );
}
