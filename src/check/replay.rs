//! `replay`: recompute every trial of a log and name the first difference.
//!
//! Why: the log claims that its config, seed and data determine every record
//! (DESIGN 3.2). Replay re-proposes each trial from the recorded history,
//! retrains it with the same runner the search used, rebuilds the record and
//! compares it field by field with the recorded one; the first record, field
//! and (for losses) epoch that differ are reported with both values.

use std::path::Path;

use crate::error::{Error, Result};
use crate::ledger::record::{Exact, Hash, TrialRecord};
use crate::ledger::store::Ledger;
use crate::search::SearchConfig;
use crate::search::runner::{
    SearchObserver, TrialRunner, history_entry, proposal, read_log, trial_record, trial_root,
};

/// What a successful replay recomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayReport {
    pub trials: usize,
    pub head: Hash,
}

/// Replays the log in `dir` with `runner`; a difference is a `CheckFailed`
/// naming the record, the trial, the field, the epoch and both values.
pub fn replay(
    dir: &Path,
    runner: &dyn TrialRunner,
    observer: &dyn SearchObserver,
) -> Result<ReplayReport> {
    let ledger = Ledger::open_read_only(dir)?;
    let (config_hash, record, trials) = read_log(&ledger)?;
    let config = SearchConfig::from_record(&record).map_err(|e| {
        Error::CheckFailed(format!("record {} (config): {e}", config_hash.to_hex()))
    })?;
    observer.resumed(0, trials.len());
    let mut history = Vec::with_capacity(trials.len());
    let mut parent = config_hash;
    for (t, (hash, recorded)) in trials.iter().enumerate() {
        let choices = proposal(&config, &history, t);
        let genotype = config.space.decode(&choices)?;
        observer.trial_started(t, &genotype);
        let mut progress = |e, b, n, l| observer.trial_progress(e, b, n, l);
        let outcome = runner.run(t, &genotype, &trial_root(config.seed, t), &mut progress)?;
        let actual = trial_record(&config, t, parent, &choices, &genotype, &outcome);
        if let Some(diff) = first_difference(recorded, &actual) {
            return Err(Error::CheckFailed(format!(
                "replay: first divergence at record {} (trial {t}): {diff}",
                hash.to_hex()
            )));
        }
        observer.trial_finished(recorded, hash);
        history.push(history_entry(recorded));
        parent = *hash;
    }
    Ok(ReplayReport {
        trials: trials.len(),
        head: ledger.head(),
    })
}

fn exact_text(e: &Exact) -> String {
    match *e {
        Exact::F32(b) => format!("{} (f32 bits {b:#010x})", f32::from_bits(b)),
        Exact::F64(b) => format!("{} (f64 bits {b:#018x})", f64::from_bits(b)),
    }
}

/// The first field in which `actual` differs from `expected` (the log), in
/// record order, as `field[, epoch e]: log has X, recomputed Y`.
pub fn first_difference(expected: &TrialRecord, actual: &TrialRecord) -> Option<String> {
    let field = |name: &str, a: String, b: String| {
        (a != b).then(|| format!("{name}: log has {a}, recomputed {b}"))
    };
    let opt_hash = |h: &Option<Hash>| h.map_or("none".into(), |h| h.to_hex().to_string());
    let opt_exact = |e: &Option<Exact>| e.as_ref().map_or("none".into(), exact_text);
    let (e, a) = (expected, actual);
    field("index", e.index.to_string(), a.index.to_string())
        .or_else(|| {
            field(
                "parent",
                e.parent.to_hex().to_string(),
                a.parent.to_hex().to_string(),
            )
        })
        .or_else(|| {
            field(
                "choices",
                format!("{:?}", e.choices),
                format!("{:?}", a.choices),
            )
        })
        .or_else(|| field("genotype", e.genotype.clone(), a.genotype.clone()))
        .or_else(|| {
            let (x, y) = (e.genotype_hash.to_hex(), a.genotype_hash.to_hex());
            field("genotype_hash", x.to_string(), y.to_string())
        })
        .or_else(|| {
            field(
                "streams",
                format!("{:?}", e.streams),
                format!("{:?}", a.streams),
            )
        })
        .or_else(|| epoch_difference(&e.epoch_losses, &a.epoch_losses))
        .or_else(|| {
            field(
                "objective",
                opt_exact(&e.objective),
                opt_exact(&a.objective),
            )
        })
        .or_else(|| {
            let (x, y) = (opt_hash(&e.weights_digest), opt_hash(&a.weights_digest));
            field("weights_digest", x, y)
        })
        .or_else(|| {
            field(
                "status",
                format!("{:?}", e.status),
                format!("{:?}", a.status),
            )
        })
}

fn epoch_difference(expected: &[Exact], actual: &[Exact]) -> Option<String> {
    for (epoch, (x, y)) in expected.iter().zip(actual).enumerate() {
        if x != y {
            return Some(format!(
                "epoch_losses, epoch {epoch}: log has {}, recomputed {}",
                exact_text(x),
                exact_text(y)
            ));
        }
    }
    (expected.len() != actual.len()).then(|| {
        format!(
            "epoch_losses: log has {} epochs, recomputed {}",
            expected.len(),
            actual.len()
        )
    })
}
