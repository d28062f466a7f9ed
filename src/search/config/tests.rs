use super::*;
use crate::data::augment::Normalize;
use crate::ledger::Record;

fn both_presets() -> Vec<SearchConfig> {
    PRESET_NAMES
        .iter()
        .map(|n| SearchConfig::preset(n).unwrap())
        .collect()
}

#[test]
fn presets_round_trip_through_their_config_record_bytes() {
    for mut config in both_presets() {
        config.seed = 12345;
        config.data_digest = blake3::hash(b"data");
        let record = config.to_record();
        let bytes = Record::Config(record.clone()).to_bytes();
        let Record::Config(back) = Record::from_bytes(&bytes).unwrap() else {
            panic!("not a config record");
        };
        assert_eq!(SearchConfig::from_record(&back).unwrap(), config);
    }
}

#[test]
fn other_variants_round_trip_too() {
    let mut c = SearchConfig::default_preset();
    c.strategy = Strategy::Random;
    c.subset = Portion::Fraction(0.125);
    c.spec.head.hidden = Some(16);
    c.spec.grad_clip = Some(5.0);
    c.spec.augment = AugmentConfig::cifar_supervised(8, Some(4));
    c.spec.augment.normalize = Some(Normalize {
        mean: vec![0.1],
        std: vec![0.3],
    });
    assert_eq!(SearchConfig::from_record(&c.to_record()).unwrap(), c);
}

#[test]
fn csnas_cifar10_is_what_the_authors_search_script_ran() {
    // Values and source lines: search/config/authors.rs.
    let c = SearchConfig::csnas_cifar10();
    assert_eq!(c.space, crate::search::SearchSpace::csnas(5));
    assert_eq!(c.space.cardinalities(), vec![8; 40]);
    assert_eq!(c.strategy, Strategy::Tpe(TpeSettings::default()));
    assert_eq!((c.trials, c.spec.epochs, c.spec.batch_size), (120, 10, 256));
    assert_eq!((c.spec.network.channels, c.spec.network.layers), (32, 8));
    assert_eq!(c.spec.objective, Objective::PirlNce { temperature: 0.07 });
    assert_eq!(crate::ops::pirl_nce::pirl_negative_count(256), 510);
    assert_eq!((c.spec.sgd.lr, c.spec.sgd.momentum), (1e-3, 0.9));
    assert_eq!(c.spec.sgd.weight_decay, 0.0);
    assert_eq!(c.spec.head.out_dim, 256);
    assert_eq!(c.score, crate::train::label_free::Score::FinalLoss);
    // Every batch full, so the mean loss ranks as the authors' score does.
    assert_eq!(c.subset, Portion::Count(20 * 256));
    let a = &c.spec.augment;
    assert_eq!(
        (a.hflip, a.vflip, a.grayscale, a.jitter.is_none()),
        (0.5, 0.5, 0.5, true)
    );
    // A 5-node genotype concatenates its last 4 nodes (DARTS multiplier 4).
    let g = c.space.decode(&[1; 40]).unwrap();
    assert_eq!(g.normal.concat, vec![3, 4, 5, 6]);
    let four = SearchConfig::preset("csnas-cifar10-4nodes").unwrap();
    assert_eq!(four.space.cardinalities(), vec![8; 28]);
    assert_eq!(
        four.space.decode(&[1; 28]).unwrap().normal.concat,
        vec![2, 3, 4, 5]
    );
    assert_eq!(
        SearchConfig {
            space: c.space,
            ..four
        },
        c
    );
}

#[test]
fn a_record_with_an_oddly_spelled_value_is_refused() {
    let mut r = SearchConfig::default_preset().to_record();
    let lr = r.hyper_parameters.iter_mut().find(|(k, _)| k == "sgd.lr");
    lr.unwrap().1 = "0.050".into();
    let e = SearchConfig::from_record(&r).unwrap_err().to_string();
    assert!(e.contains("canonical"), "{e}");
}

#[test]
fn a_record_with_a_missing_or_extra_value_is_refused_by_name() {
    let mut r = SearchConfig::default_preset().to_record();
    r.hyper_parameters.retain(|(k, _)| k != "epochs");
    let e = SearchConfig::from_record(&r).unwrap_err().to_string();
    assert!(e.contains("'epochs'"), "{e}");
    let mut r = SearchConfig::default_preset().to_record();
    r.hyper_parameters.push(("extra".into(), "1".into()));
    let e = SearchConfig::from_record(&r).unwrap_err().to_string();
    assert!(e.contains("'extra'"), "{e}");
}

#[test]
fn config_differences_name_each_differing_field() {
    let a = SearchConfig::default_preset();
    let mut b = a.clone();
    b.seed = 9;
    b.spec.epochs = 3;
    let d = config_differences(&a.to_record(), &b.to_record());
    assert_eq!(
        d,
        vec![
            "seed: log has 0, this run has 9".to_owned(),
            "epochs: log has 8, this run has 3".to_owned()
        ]
    );
    assert!(config_differences(&a.to_record(), &a.to_record()).is_empty());
}
