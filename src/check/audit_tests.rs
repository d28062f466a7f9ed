//! Tests of `replay` and `audit` on logs made with the fake runner.

use std::path::Path;

use crate::ledger::{Exact, Hash, Ledger, Record};

use super::*;
use crate::search::runner::fake::FakeRunner;
use crate::search::runner::tests::{TempDir, small_config};
use crate::search::runner::{Silent, read_log, run_search};
use crate::search::runner::{history_entry, proposal};

fn fake() -> FakeRunner {
    FakeRunner::new(2)
}

/// A log of `small_config(seed)` made with the fake runner.
fn make_log(name: &str, seed: u64) -> TempDir {
    let dir = TempDir::new(name);
    run_search(&dir.0, &small_config(seed), &fake(), &Silent).unwrap();
    dir
}

/// Copies the log in `src` to `dst`, applying `edit` to each record and
/// re-linking parents, so the copy's hashes and links are all consistent.
fn rewrite(src: &Path, dst: &Path, edit: impl Fn(&mut Record)) {
    let (_, mut config, trials) = read_log(&Ledger::open_read_only(src).unwrap()).unwrap();
    let mut c = Record::Config(config.clone());
    edit(&mut c);
    if let Record::Config(edited) = c {
        config = edited;
    }
    let mut out = Ledger::create(dst, &config).unwrap();
    for (_, mut t) in trials {
        let mut r = Record::Trial(t.clone());
        edit(&mut r);
        if let Record::Trial(edited) = r {
            t = edited;
        }
        t.parent = out.head();
        out.append(&t).unwrap();
    }
}

fn audit_quiet(dir: &Path) -> crate::Result<AuditReport> {
    audit(dir, 0, None, &mut |_| {})
}

#[test]
fn an_untouched_log_passes_audit_and_replay() {
    let dir = make_log("clean", 11);
    let report = audit(&dir.0, 3, Some(&fake()), &mut |_| {}).unwrap();
    assert_eq!(report.trials, 8);
    assert!(
        report.lines.iter().any(|l| l.contains("3 trials")),
        "{:?}",
        report.lines
    );
    let r = replay(&dir.0, &fake(), &Silent).unwrap();
    assert_eq!(r.head, report.head);
}

#[test]
fn flipping_any_byte_of_any_record_fails_audit_naming_that_record() {
    let dir = make_log("flip", 12);
    let ledger = Ledger::open_read_only(&dir.0).unwrap();
    let (config_hash, _, trials) = read_log(&ledger).unwrap();
    let hashes: Vec<Hash> = std::iter::once(config_hash)
        .chain(trials.iter().map(|t| t.0))
        .collect();
    for h in &hashes {
        let path = ledger.record_path(h);
        let original = std::fs::read(&path).unwrap();
        // First, last and every 11th byte, spread over all the fields
        // (every byte of every record takes 20 s; this takes 2).
        let last = original.len() - 1;
        for i in (0..original.len()).filter(|&i| i % 11 == 0 || i == last) {
            let mut bytes = original.clone();
            bytes[i] ^= 0x01;
            std::fs::write(&path, &bytes).unwrap();
            let e = audit_quiet(&dir.0).unwrap_err();
            assert_eq!(e.exit_code(), 1, "byte {i} of {h}");
            assert!(
                e.to_string().contains(&h.to_hex().to_string()),
                "byte {i}: {e}"
            );
        }
        std::fs::write(&path, &original).unwrap();
    }
    audit_quiet(&dir.0).unwrap();
}

#[test]
fn an_edited_objective_rehashed_consistently_fails_at_the_first_proposal_it_changes() {
    let src = make_log("edit-src", 13);
    let dst = TempDir::new("edit-dst");
    // Trial 1 becomes the best by far: TPE's "below" group changes from trial 3 on.
    let better = Exact::from_f32(-100.0);
    rewrite(&src.0, &dst.0, |r| {
        if let Record::Trial(t) = r
            && t.index == 1
        {
            *t.epoch_losses.last_mut().unwrap() = better;
            t.objective = Some(better);
        }
    });
    let (_, record, trials) = read_log(&Ledger::open_read_only(&dst.0).unwrap()).unwrap();
    let config = crate::search::SearchConfig::from_record(&record).unwrap();
    let history: Vec<_> = trials.iter().map(|t| history_entry(&t.1)).collect();
    let first = (0..trials.len())
        .find(|&t| proposal(&config, &history[..t], t) != history[t].0)
        .expect("the edit must change some later proposal");
    assert!(first >= 3, "start-up trials cannot be affected");
    let e = audit_quiet(&dst.0).unwrap_err().to_string();
    let named = format!(
        "record {} (trial {first}): proposal",
        trials[first].0.to_hex()
    );
    assert!(e.contains(&named), "{e}");
}

#[test]
fn an_objective_that_is_not_the_last_epoch_loss_fails_audit() {
    let src = make_log("objective-src", 14);
    let dst = TempDir::new("objective-dst");
    rewrite(&src.0, &dst.0, |r| {
        if let Record::Trial(t) = r
            && t.index == 2
        {
            t.objective = Some(Exact::from_f32(0.25));
        }
    });
    let e = audit_quiet(&dst.0).unwrap_err().to_string();
    assert!(e.contains("(trial 2): objective"), "{e}");
}

#[test]
fn a_held_out_score_log_audits_and_replays_and_an_f32_objective_in_it_fails() {
    let dir = TempDir::new("heldout-src");
    let mut config = small_config(17);
    config.score = crate::train::label_free::Score::Alignment;
    run_search(&dir.0, &config, &fake(), &Silent).unwrap();
    audit_quiet(&dir.0).unwrap();
    replay(&dir.0, &fake(), &Silent).unwrap();
    let dst = TempDir::new("heldout-dst");
    rewrite(&dir.0, &dst.0, |r| {
        if let Record::Trial(t) = r
            && t.index == 1
        {
            t.objective = t.epoch_losses.last().copied();
        }
    });
    let e = audit_quiet(&dst.0).unwrap_err().to_string();
    assert!(
        e.contains("(trial 1)") && e.contains("f64 objective"),
        "{e}"
    );
}

#[test]
fn replay_of_a_log_from_another_seed_reports_the_first_divergence() {
    let src = make_log("seed-src", 15);
    let dst = TempDir::new("seed-dst");
    // The trials of seed 15 under a config record that claims seed 16.
    rewrite(&src.0, &dst.0, |r| {
        if let Record::Config(c) = r {
            c.seed = 16;
        }
    });
    let e = replay(&dst.0, &fake(), &Silent).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let first = read_log(&Ledger::open_read_only(&dst.0).unwrap())
        .unwrap()
        .2[0]
        .0;
    let e = e.to_string();
    assert!(
        e.contains(&format!("record {} (trial 0)", first.to_hex())),
        "{e}"
    );
    assert!(e.contains("log has"), "{e}");
}

#[test]
fn replay_with_different_training_names_the_record_field_and_epoch() {
    let dir = make_log("salt", 17);
    let other = FakeRunner { salt: 1, ..fake() };
    let e = replay(&dir.0, &other, &Silent).unwrap_err().to_string();
    assert!(
        e.contains("(trial 0): epoch_losses, epoch 0: log has"),
        "{e}"
    );
    let e = audit(&dir.0, 1, Some(&other), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("retrained record") && e.contains("epoch 0"),
        "{e}"
    );
}

#[test]
fn a_forged_weights_digest_passes_plain_audit_and_fails_when_the_pick_hits_it() {
    let src = make_log("forge-src", 18);
    let dst = TempDir::new("forge-dst");
    // Trial 5's weights digest edited and the log re-hashed consistently:
    // nothing but retraining trial 5 can notice.
    rewrite(&src.0, &dst.0, |r| {
        if let Record::Trial(t) = r
            && t.index == 5
        {
            t.weights_digest = Some(blake3::hash(b"forged"));
        }
    });
    let report = audit_quiet(&dst.0).unwrap();
    assert!(report.retrained.is_empty());
    // With no retraining a forged log always passes, and the report says so.
    assert_eq!(report.chances[0].p, 1.0);
    let head = Ledger::open_read_only(&dst.0).unwrap().head();
    let with = |nonce: &str| {
        let options = AuditOptions {
            retrain: 2,
            nonce,
            forged: &[1],
            runner: Some(&fake() as &dyn crate::search::runner::TrialRunner),
            key: None,
        };
        audit_with(&dst.0, &options, &mut |_| {})
    };
    // An auditor's nonce whose pick misses trial 5: the log passes, and the
    // report states the chance of that: C(7,2)/C(8,2) = 21/28 = 3/4.
    let miss = (0..100)
        .map(|i| i.to_string())
        .find(|n| !audit_pick::retrain_choice(&head, n, 8, 2).contains(&5))
        .unwrap();
    let report = with(&miss).unwrap();
    assert_eq!(
        report.retrained,
        audit_pick::retrain_choice(&head, &miss, 8, 2)
    );
    assert_eq!(report.nonce, miss);
    assert_eq!(report.chances[0].exact, Some((3, 4)));
    assert!(
        report
            .lines
            .iter()
            .any(|l| l.contains(&format!("{:?}", report.retrained))
                && l.contains(&format!("nonce {miss:?}"))),
        "{:?}",
        report.lines
    );
    // A nonce whose pick includes trial 5: retraining names the forgery.
    let hit = (0..100)
        .map(|i| i.to_string())
        .find(|n| audit_pick::retrain_choice(&head, n, 8, 2).contains(&5))
        .unwrap();
    let e = with(&hit).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.to_string().contains("(trial 5) differs: weights_digest"),
        "{e}"
    );
}

#[test]
fn the_retrained_trials_follow_from_the_head_not_the_seed() {
    // Two logs of one seed that differ in one trial pick differently for
    // some nonce; one log picks the same for the same nonce.
    let src = make_log("pick-src", 19);
    let dst = TempDir::new("pick-dst");
    rewrite(&src.0, &dst.0, |r| {
        if let Record::Trial(t) = r
            && t.index == 7
        {
            t.weights_digest = Some(blake3::hash(b"other"));
        }
    });
    let a = Ledger::open_read_only(&src.0).unwrap().head();
    let b = Ledger::open_read_only(&dst.0).unwrap().head();
    assert_ne!(a, b);
    let pick = |h: &Hash, n: &str| audit_pick::retrain_choice(h, n, 8, 3);
    assert!((0..20).any(|i| pick(&a, &i.to_string()) != pick(&b, &i.to_string())));
    let report = audit(&src.0, 3, Some(&fake()), &mut |_| {}).unwrap();
    assert_eq!(report.retrained, pick(&a, ""));
}
