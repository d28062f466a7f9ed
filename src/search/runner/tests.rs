use super::fake::FakeRunner;
use super::*;
use crate::search::tpe::TpeSettings;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("csnas-search-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The default preset, 8 trials of which 3 random start-up ones, with the
/// paper's objective (the last epoch's loss), which audit checks without
/// training, and the fake runner's 2 epochs.
pub(crate) fn small_config(seed: u64) -> SearchConfig {
    let mut c = SearchConfig::default_preset();
    c.score = crate::train::label_free::Score::FinalLoss;
    c.spec.epochs = 2;
    c.seed = seed;
    c.trials = 8;
    c.strategy = Strategy::Tpe(TpeSettings {
        n_startup_jobs: 3,
        ..TpeSettings::default()
    });
    c.data_digest = blake3::hash(b"fake data");
    c
}

fn fake() -> FakeRunner {
    FakeRunner::new(2)
}

#[test]
fn the_same_seed_twice_gives_the_same_head() {
    let (a, b) = (TempDir::new("same-a"), TempDir::new("same-b"));
    let ha = run_search(&a.0, &small_config(1), &fake(), &Silent).unwrap();
    let hb = run_search(&b.0, &small_config(1), &fake(), &Silent).unwrap();
    assert_eq!(ha.head, hb.head);
    assert_eq!(ha.trials.len(), 8);
    let c = TempDir::new("same-c");
    let hc = run_search(&c.0, &small_config(2), &fake(), &Silent).unwrap();
    assert_ne!(ha.head, hc.head, "another seed must give another log");
}

#[test]
fn a_search_stopped_after_k_trials_resumes_to_the_uninterrupted_head() {
    let whole = TempDir::new("whole");
    let expected = run_search(&whole.0, &small_config(3), &fake(), &Silent).unwrap();
    for k in [0, 2, 5] {
        let dir = TempDir::new("resumed");
        let crashing = FakeRunner {
            fail_at: Some(k),
            ..fake()
        };
        let e = run_search(&dir.0, &small_config(3), &crashing, &Silent).unwrap_err();
        assert!(e.to_string().contains("fake crash"), "{e}");
        let log = Ledger::open_read_only(&dir.0).unwrap();
        assert_eq!(log.verify_chain().unwrap().trials, k as u64);
        let resumed = run_search(&dir.0, &small_config(3), &fake(), &Silent).unwrap();
        assert_eq!(resumed.head, expected.head, "stopped after {k} trials");
    }
}

#[test]
fn resuming_with_a_different_config_is_refused_naming_the_difference() {
    let dir = TempDir::new("mismatch");
    run_search(&dir.0, &small_config(4), &fake(), &Silent).unwrap();
    let mut other = small_config(4);
    other.spec.batch_size = 32;
    let e = run_search(&dir.0, &other, &fake(), &Silent).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("batch_size: log has 64, this run has 32"),
        "{e}"
    );
}

#[test]
fn a_diverged_trial_is_recorded_with_objective_inf_and_never_best() {
    let dir = TempDir::new("diverged");
    let runner = FakeRunner {
        diverge_at: Some(1),
        ..fake()
    };
    let s = run_search(&dir.0, &small_config(5), &runner, &Silent).unwrap();
    let rec = &s.trials[1].1;
    assert!(matches!(&rec.status, TrialStatus::Diverged { reason } if reason.contains("NaN")));
    assert_eq!(rec.objective, Some(Exact::from_f32(f32::INFINITY)));
    assert_ne!(s.best().unwrap().1.index, 1);
}

#[test]
fn trials_record_their_proposal_and_training_streams() {
    let dir = TempDir::new("streams");
    let s = run_search(&dir.0, &small_config(6), &fake(), &Silent).unwrap();
    assert_eq!(s.trials[0].1.streams, ["6/propose/0/random", "6/trial/0"]);
    assert_eq!(s.trials[3].1.streams, ["6/propose/3/tpe", "6/trial/3"]);
}
