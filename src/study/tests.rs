use std::fs;
use std::sync::Mutex;

use super::*;
use crate::data::batch::Portion;
use crate::data::{DataSpec, load};
use crate::study::record::StudyEntry;

struct Seen(Mutex<Vec<(Kind, bool)>>);
impl StudyObserver for Seen {
    fn started(&self, _i: usize, _t: usize, kind: Kind, _g: usize, _r: usize, reused: bool) {
        self.0.lock().unwrap().push((kind, reused));
    }
}

/// A study small enough for a unit test: 3 genotypes × 2 seeds of a C=2,
/// 2-cell network, one epoch on 16 images, 8 held out.
fn tiny(folds: Option<usize>) -> (StudySettings, Loaded) {
    let data = load(&DataSpec::Digits).unwrap();
    let mut trial = SearchConfig::default_preset();
    trial.fit_data("digits", &data.train);
    trial.subset = Portion::Count(16);
    trial.holdout = Some(8);
    trial.spec.epochs = 1;
    trial.spec.batch_size = 8;
    trial.spec.network.channels = 2;
    trial.spec.network.layers = 2;
    let mut label = LabelConfig::digits(2, 2, 1, folds);
    label.fit_data(&data);
    let settings = StudySettings {
        seed: 5,
        genotypes: 3,
        repetitions: 2,
        trial,
        label,
        backend: crate::backend::BackendKind::Cpu,
    };
    (settings, data)
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("csnas-study-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn run(dir: &Path, s: &StudySettings, data: &Loaded, threads: usize) -> Hash {
    let none = HashMap::new();
    crate::parallel::with_threads(threads, || run_study(dir, s, data, &none, &Quiet))
        .unwrap()
        .unwrap()
        .0
}

#[test]
fn a_study_gives_the_same_head_twice_at_1_and_2_threads_and_after_a_kill() {
    let (s, data) = tiny(None);
    let (a, b, c) = (temp("a"), temp("b"), temp("c"));
    let head = run(&a, &s, &data, 1);
    assert_eq!(run(&b, &s, &data, 2), head, "2 threads");
    // A kill after measurement 4: HEAD names it (HEAD is written last), and
    // a temporary file of the next write is left behind.
    let (_, _, measures) = read_chain(&a).unwrap();
    assert_eq!(measures.len(), 12);
    fs::create_dir_all(c.join("records")).unwrap();
    fs::create_dir_all(c.join("meta")).unwrap();
    for e in fs::read_dir(a.join("records")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), c.join("records").join(e.file_name())).unwrap();
    }
    let at = StudyEntry::Measure(measures[4].clone()).hash();
    fs::write(c.join("HEAD"), format!("{}\n", at.to_hex())).unwrap();
    fs::write(c.join("HEAD.tmp"), "partial").unwrap();
    assert_eq!(run(&c, &s, &data, 2), head, "killed and resumed");
    assert!(!c.join("HEAD.tmp").exists());
    for d in [a, b, c] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn reuse_gives_the_same_head_and_label_scores_survive_new_trial_settings() {
    let (s, data) = tiny(Some(2));
    let (a, b, c) = (temp("ra"), temp("rb"), temp("rc"));
    let head = run(&a, &s, &data, 0);
    let reuse = reusable(std::slice::from_ref(&a)).unwrap();
    let seen = Seen(Mutex::new(Vec::new()));
    let (h, _) = run_study(&b, &s, &data, &reuse, &seen).unwrap();
    assert_eq!(h, head);
    assert!(seen.0.lock().unwrap().iter().all(|&(_, reused)| reused));
    // New trial settings: every label score is reused, no trial is.
    let mut s2 = s.clone();
    s2.trial.spec.sgd.lr = 0.02;
    let seen = Seen(Mutex::new(Vec::new()));
    let (h2, measures) = run_study(&c, &s2, &data, &reuse, &seen).unwrap();
    assert_ne!(h2, head);
    for &(kind, reused) in seen.0.lock().unwrap().iter() {
        assert_eq!(reused, kind == Kind::Label);
    }
    // Another objective.score trains nothing: every score is in every trial.
    let mut s3 = s.clone();
    s3.trial.score = crate::train::label_free::Score::RankMe;
    let seen = Seen(Mutex::new(Vec::new()));
    let d = temp("rd");
    let (h3, _) = run_study(&d, &s3, &data, &reuse, &seen).unwrap();
    assert_ne!(h3, head, "the study record names the score");
    assert!(seen.0.lock().unwrap().iter().all(|&(_, reused)| reused));
    let _ = fs::remove_dir_all(d);
    // Cross-validation scores every image once per repetition.
    for m in &measures {
        if let Outcome::Label { total, weights, .. } = &m.outcome {
            assert_eq!((*total, weights.len()), (1797, 2));
        }
    }
    for d in [a, b, c] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn repetition_0_of_a_study_is_a_random_searchs_trial() {
    let (s, data) = tiny(None);
    let dir = temp("search");
    let mut config = s.trial_config(0);
    config.strategy = crate::search::Strategy::Random;
    config.trials = 2;
    config.data_digest = data.train.digest();
    let runner = ContrastiveRunner::new(&config, data.train.clone()).unwrap();
    let summary =
        crate::search::run_search(&dir, &config, &runner, &crate::search::runner::Silent).unwrap();
    let study_dir = temp("search-study");
    run(&study_dir, &s, &data, 0);
    let (_, _, measures) = read_chain(&study_dir).unwrap();
    for (g, (_, t)) in summary.trials.iter().enumerate() {
        let (kind, mg, r) = schedule(3, 3 + g);
        assert_eq!((kind, mg, r), (Kind::Trial, g, 0));
        let m = &measures[3 + g];
        assert_eq!(m.genotype, t.genotype);
        let Outcome::Trial { epoch_losses, .. } = &m.outcome else {
            panic!("not a trial");
        };
        assert_eq!(epoch_losses, &t.epoch_losses);
    }
    for d in [dir, study_dir] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn a_log_of_other_settings_is_refused_by_name() {
    let (s, data) = tiny(None);
    let dir = temp("other");
    let mut s1 = s.clone();
    s1.genotypes = 2;
    s1.repetitions = 1;
    run(&dir, &s1, &data, 0);
    let mut s2 = s1.clone();
    s2.seed = 6;
    let e = run_study(&dir, &s2, &data, &HashMap::new(), &Quiet).unwrap_err();
    assert!(e.to_string().contains("different settings"), "{e}");
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn the_report_finds_a_planted_ranking_and_its_baseline() {
    let (s, data) = tiny(None);
    let mut s = s;
    s.genotypes = 30;
    let n = s.genotypes;
    let label = |r: usize| -> Vec<f64> { (0..n).map(|g| g as f64 + 0.1 * r as f64).collect() };
    let study = report::StudyData {
        genotypes: vec![String::new(); n],
        params: (0..n).map(|g| ((g * 7) % n) as f64).collect(),
        labels: vec![label(0), label(1)],
        // Lower objective = higher label: a perfect objective.
        objectives: vec![(
            crate::train::label_free::Score::FinalLoss,
            vec![(0..n).map(|g| -(g as f64)).collect(); 2],
        )],
    };
    let _ = data;
    let r = report::analyse(&study, 0, 200, 200);
    let row = &r.rows[0];
    assert_eq!(
        (row.mean.tau, row.single.tau, row.best_label_rank),
        (1.0, 1.0, 1)
    );
    assert!(row.mean.p < 0.01);
    assert!(r.params.tau.abs() < 0.5);
    assert!(report::table(&r).contains("final-loss"));
    assert!(plot::scatter_svg(&r, &study).starts_with("<svg"));
}

#[test]
fn a_flipped_byte_in_a_study_log_is_caught_and_the_record_named() {
    let (mut s, data) = tiny(None);
    s.genotypes = 2;
    s.repetitions = 1;
    let dir = temp("flip");
    run(&dir, &s, &data, 0);
    let (_, _, measures) = read_chain(&dir).unwrap();
    let victim = StudyEntry::Measure(measures[1].clone()).hash();
    let path = dir
        .join("records")
        .join(format!("{}.cbor", victim.to_hex()));
    let mut bytes = fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    fs::write(&path, bytes).unwrap();
    let e = read_chain(&dir).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(e.to_string().contains(&victim.to_hex()[..12]), "{e}");
    let e = run_study(&dir, &s, &data, &HashMap::new(), &Quiet).unwrap_err();
    assert!(e.to_string().contains("hash mismatch"), "{e}");
    let _ = fs::remove_dir_all(dir);
}
