//! `audit`: check a log without trusting its author (DESIGN 3.2).
//!
//! Why these checks, in this order: the hashes and links pin the bytes; the
//! config record must decode to a config csnas would write; each trial's
//! genotype must be what its recorded choices decode to, with the right
//! hash, streams and objective; each proposal must follow from the earlier
//! trials' recorded objectives — in a batch log, from the log at the batch's
//! start with the constant liar (`crate::search::batch`) — (no training, so
//! a whole log is checked in seconds); and, optionally, a few trials chosen
//! from the seed are retrained to check their losses. The first failure is a `CheckFailed` naming the
//! record; each check that passed is reported as a line.

use std::path::Path;

use super::record::{Exact, Hash, TrialRecord, TrialStatus};
use super::replay::first_difference;
use super::store::Ledger;
use crate::error::{Error, Result};
use crate::rng::StreamPath;
use crate::search::SearchConfig;
use crate::search::runner::{
    TrialRunner, history_entry, proposal, read_log, trial_record, trial_root, trial_streams,
};
use crate::train::label_free::Score;

/// What a successful audit checked, one line per check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditReport {
    pub lines: Vec<String>,
    pub head: Hash,
    pub trials: usize,
}

/// The stream that picks the trials `--retrain` recomputes: `seed/audit`.
pub fn retrain_stream(seed: u64) -> StreamPath {
    StreamPath::root(seed).child("audit")
}

/// The `k` trials (of `n`) to retrain: the first `k` of a permutation drawn
/// from [`retrain_stream`], ascending.
pub fn retrain_choice(seed: u64, n: usize, k: usize) -> Vec<usize> {
    let mut picked = retrain_stream(seed).stream().permutation(n);
    picked.truncate(k.min(n));
    picked.sort_unstable();
    picked
}

/// Audits the log in `dir`. `retrain` trials are retrained with `runner`
/// (which must then be given). `log` receives each finding as it is made.
pub fn audit(
    dir: &Path,
    retrain: usize,
    runner: Option<&dyn TrialRunner>,
    log: &mut dyn FnMut(&str),
) -> Result<AuditReport> {
    let mut lines = Vec::new();
    let mut say = |s: String| {
        log(&s);
        lines.push(s);
    };
    let ledger = Ledger::open_read_only(dir)?;
    let summary = ledger.verify_chain()?;
    say(format!(
        "chain: {} records (config + {} trials), every hash and parent link checked; head {}",
        summary.trials + 1,
        summary.trials,
        summary.head.to_hex()
    ));
    let (config_hash, record, trials) = read_log(&ledger)?;
    let config = SearchConfig::from_record(&record).map_err(|e| {
        Error::CheckFailed(format!("record {} (config): {e}", config_hash.to_hex()))
    })?;
    // `trials` is a stopping rule (DESIGN 3.2): a grown log holds more trials
    // than its config record's count, each checked like the others.
    let grown = if trials.len() > config.trials {
        format!(" (grown past the {} it was started with)", config.trials)
    } else {
        format!(" of {}", config.trials)
    };
    say(format!(
        "config: canonical; seed {}, {} space with {} nodes, batch {}, {} trials recorded{grown}",
        config.seed,
        config.space.encoding.name(),
        config.space.nodes,
        config.batch,
        trials.len(),
    ));
    let mut history = Vec::with_capacity(trials.len());
    for (t, (hash, rec)) in trials.iter().enumerate() {
        let fail = |what: String| {
            Error::CheckFailed(format!("record {} (trial {t}): {what}", hash.to_hex()))
        };
        check_content(&config, t, rec).map_err(fail)?;
        let expected = proposal(&config, &history, t);
        if history_entry(rec).0 != expected {
            return Err(fail(format!(
                "proposal does not follow from the earlier recorded objectives: recorded \
                 choices {:?}, the search proposes {expected:?}",
                rec.choices
            )));
        }
        history.push(history_entry(rec));
    }
    say(format!(
        "trials: {} genotypes valid, equal to their decoded choices, hashes, streams and \
         objectives consistent",
        trials.len()
    ));
    say(format!(
        "proposals: all {} follow from the earlier recorded objectives",
        trials.len()
    ));
    if retrain > 0 {
        let runner = runner.ok_or_else(|| {
            Error::invalid("audit --retrain needs a trial runner (the search data)")
        })?;
        let picked = retrain_choice(config.seed, trials.len(), retrain);
        for &t in &picked {
            let (hash, rec) = &trials[t];
            let choices = history_entry(rec).0;
            let genotype = config.space.decode(&choices)?;
            let outcome = runner.run(
                t,
                &genotype,
                &trial_root(config.seed, t),
                &mut |_, _, _, _| {},
            )?;
            let actual = trial_record(&config, t, rec.parent, &choices, &genotype, &outcome);
            if let Some(diff) = first_difference(rec, &actual) {
                return Err(Error::CheckFailed(format!(
                    "retrained record {} (trial {t}) differs: {diff}",
                    hash.to_hex()
                )));
            }
            say(format!(
                "retrain: trial {t} reproduces its losses and weights digest"
            ));
        }
        say(format!(
            "retrain: {} trials {picked:?} reproduced bit for bit",
            picked.len()
        ));
    }
    Ok(AuditReport {
        lines,
        head: summary.head,
        trials: trials.len(),
    })
}

/// Genotype, hash, streams and objective of trial `t`, as the search writes them.
fn check_content(config: &SearchConfig, t: usize, rec: &TrialRecord) -> Result<(), String> {
    let choices = history_entry(rec).0;
    let genotype = config.space.decode(&choices).map_err(|e| e.to_string())?;
    genotype.validate().map_err(|e| e.to_string())?;
    if rec.genotype != genotype.to_darts_string() {
        return Err(format!(
            "genotype '{}' is not what its choices decode to: '{}'",
            rec.genotype,
            genotype.to_darts_string()
        ));
    }
    if rec.genotype_hash != genotype.hash() {
        return Err(format!(
            "genotype_hash {} is not the genotype's hash {}",
            rec.genotype_hash.to_hex(),
            genotype.hash().to_hex()
        ));
    }
    if rec.streams != trial_streams(config, t) {
        return Err(format!(
            "streams {:?}, expected {:?}",
            rec.streams,
            trial_streams(config, t)
        ));
    }
    let f32s = rec.epoch_losses.iter().all(|e| matches!(e, Exact::F32(_)));
    let expected_objective = match &rec.status {
        // A held-out score needs the network: `--retrain` checks its value.
        TrialStatus::Ok if config.score != Score::FinalLoss => match rec.objective {
            Some(Exact::F64(_)) => rec.objective,
            _ => {
                return Err(format!(
                    "an ok {} trial needs an f64 objective",
                    config.score.name()
                ));
            }
        },
        TrialStatus::Ok if f32s && rec.epoch_losses.len() == config.spec.epochs => {
            rec.epoch_losses.last().copied()
        }
        TrialStatus::Ok => return Err("an ok trial needs one f32 loss per epoch".into()),
        TrialStatus::Diverged { .. } => Some(Exact::from_f32(f32::INFINITY)),
        TrialStatus::Failed { .. } => None,
    };
    if rec.objective != expected_objective {
        return Err(format!(
            "objective {} is not the last epoch's loss (ok) or +inf (diverged): expected {}",
            shown(rec.objective),
            shown(expected_objective)
        ));
    }
    Ok(())
}

/// An optional exact value as a message shows it (`none` when absent).
fn shown(v: Option<Exact>) -> String {
    v.map_or_else(|| "none".into(), |x| x.to_string())
}
