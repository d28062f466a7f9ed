//! `audit` re-derives the proposals of every TPE setting (Optuna's split and
//! kernels, the joint mode, the presets), and catches a proposal that was
//! altered and the chain re-hashed, naming the trial.
//!
//! Training is replaced by a stand-in whose loss is a hash of the genotype,
//! so a log of 14 trials takes milliseconds; audit never trains here.

use std::path::Path;

use csnas::check::audit;
use csnas::genotype::Genotype;
use csnas::ledger::{Exact, Ledger};
use csnas::rng::StreamPath;
use csnas::search::runner::{Silent, TrialRunner, read_log, run_search};
use csnas::search::tpe::{Split, TpeSettings};
use csnas::search::{SearchConfig, Strategy};
use csnas::train::trial::{Progress, TrialEnd, TrialOutcome};

mod common;
use common::TempDir;

/// One epoch whose loss is a function of the genotype's hash.
struct HashLoss;

impl TrialRunner for HashLoss {
    fn run(
        &self,
        _t: usize,
        genotype: &Genotype,
        _root: &StreamPath,
        _progress: Progress<'_>,
    ) -> csnas::Result<TrialOutcome> {
        let h = genotype.hash();
        let loss = u16::from_le_bytes([h.as_bytes()[0], h.as_bytes()[1]]) as f32 / 1000.0;
        Ok(TrialOutcome {
            epoch_losses: vec![loss],
            weights_digest: blake3::hash(&loss.to_le_bytes()),
            end: TrialEnd::Ok,
            scores: None,
        })
    }
}

fn config(settings: TpeSettings) -> SearchConfig {
    let mut c = SearchConfig::default_preset();
    c.trials = 14;
    c.seed = 21;
    c.spec.epochs = 1; // HashLoss trains one epoch
    // HashLoss measures no held-out score: the paper's objective.
    c.score = csnas::train::label_free::Score::FinalLoss;
    c.strategy = Strategy::Tpe(TpeSettings {
        n_startup_jobs: 4,
        ..settings
    });
    c
}

fn modes() -> Vec<(&'static str, TpeSettings)> {
    vec![
        ("optuna", TpeSettings::optuna()),
        ("improved", TpeSettings::improved()),
        (
            "kernels-independent",
            TpeSettings {
                multivariate: false,
                ..TpeSettings::optuna()
            },
        ),
        (
            "fixed-split",
            TpeSettings {
                split: Split::Fixed,
                gamma_cap: 3,
                ..TpeSettings::hyperopt()
            },
        ),
    ]
}

fn quiet_audit(dir: &Path) -> csnas::Result<csnas::check::AuditReport> {
    audit(dir, 0, None, &mut |_| {})
}

/// A copy of the log in `src` whose trial `victim` proposes `choices`
/// instead, with its genotype, hash and loss consistent and the chain re-linked.
fn tamper(src: &Path, dst: &Path, config: &SearchConfig, victim: u64, choices: &[usize]) {
    let (_, record, trials) = read_log(&Ledger::open_read_only(src).unwrap()).unwrap();
    let mut out = Ledger::create(dst, &record).unwrap();
    for (_, mut t) in trials {
        if t.index == victim {
            let g = config.space.decode(choices).unwrap();
            t.choices = choices.iter().map(|&c| c as u64).collect();
            t.genotype = g.to_darts_string();
            t.genotype_hash = g.hash();
            let loss = HashLoss
                .run(0, &g, &StreamPath::root(0), &mut |_, _, _, _| {})
                .unwrap()
                .epoch_losses[0];
            t.epoch_losses = vec![Exact::from_f32(loss)];
            t.objective = Some(Exact::from_f32(loss));
            t.weights_digest = Some(blake3::hash(&loss.to_le_bytes()));
        }
        t.parent = out.head();
        out.append(&t).unwrap();
    }
}

#[test]
fn audit_rederives_every_mode_and_names_an_altered_proposal() {
    for (name, settings) in modes() {
        let c = config(settings);
        let src = TempDir::new(&format!("{name}-src"));
        let summary = run_search(&src.0, &c, &HashLoss, &Silent).unwrap();
        assert_eq!(summary.trials.len(), 14);
        let report = quiet_audit(&src.0).unwrap();
        assert!(
            report.lines.iter().any(|l| l.contains("proposals: all 14")),
            "{name}: {:?}",
            report.lines
        );
        // Same seed twice: the same head.
        let again = TempDir::new(&format!("{name}-again"));
        assert_eq!(
            run_search(&again.0, &c, &HashLoss, &Silent).unwrap().head,
            summary.head
        );
        // Trial 9 (a TPE proposal) takes another valid choice vector: the
        // lower input's op of the first node changes.
        let victim = 9;
        let mut choices: Vec<usize> = (summary.trials[victim].1.choices.iter())
            .map(|&x| x as usize)
            .collect();
        let cards = c.space.cardinalities();
        choices[1] = (choices[1] + 1) % cards[1];
        let dst = TempDir::new(&format!("{name}-dst"));
        tamper(&src.0, &dst.0, &c, victim as u64, &choices);
        let e = quiet_audit(&dst.0).unwrap_err().to_string();
        let hashes = read_log(&Ledger::open_read_only(&dst.0).unwrap())
            .unwrap()
            .2;
        let named = format!(
            "record {} (trial {victim}): proposal",
            hashes[victim].0.to_hex()
        );
        assert!(e.contains(&named), "{name}: {e}");
    }
}
