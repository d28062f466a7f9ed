//! `audit`: check a log without trusting its author (DESIGN 3.2).
//!
//! Why these checks, in this order: the hashes and links pin the bytes; the
//! config record must decode to a config csnas would write; each trial's
//! genotype must be what its recorded choices decode to, with the right
//! hash, streams and objective; each proposal must follow from the earlier
//! trials' recorded objectives — in a batch log, from the log at the batch's
//! start with the constant liar (`crate::search::batch`) — (no training, so
//! a whole log is checked in seconds); and, optionally, a few trials picked
//! from the head hash and the auditor's nonce ([`super::audit_pick`]) are
//! retrained to check their losses, and the report states the chance that a
//! log with forged trials would have passed. The first failure is a `CheckFailed` naming the
//! record; each check that passed is reported as a line.

use std::path::Path;

use super::audit_pick::{PassChance, default_forged, pass_chance, retrain_choice};
use super::replay::first_difference;
use crate::error::{Error, Result};
use crate::ledger::record::{Exact, Hash, TrialRecord, TrialStatus};
use crate::ledger::store::Ledger;
use crate::search::SearchConfig;
use crate::search::runner::{
    TrialRunner, history_entry, proposal, read_log, trial_record, trial_root, trial_streams,
};
use crate::train::label_free::Score;

/// What a successful audit checked, one line per check.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditReport {
    pub lines: Vec<String>,
    pub head: Hash,
    /// The config record's hash (the log's first record).
    pub config: Hash,
    pub trials: usize,
    /// The trials retrained (ascending; empty without `--retrain`).
    pub retrained: Vec<usize>,
    /// The auditor's nonce the pick was keyed with (empty when none).
    pub nonce: String,
    /// The chance that a log with `m` forged trials passes this audit, for
    /// each `m` asked (by default 1 and 10% of the trials).
    pub chances: Vec<PassChance>,
    /// The public key whose signature over the head was checked (hex).
    pub signed_by: Option<String>,
}

/// How `audit` retrains: how many trials, keyed by which nonce, which
/// forged counts to state the pass chance for, and with which runner.
#[derive(Clone, Copy, Default)]
pub struct AuditOptions<'a> {
    /// Trials to retrain (`--retrain K`; 0 = none).
    pub retrain: usize,
    /// The auditor's nonce (`--nonce`; empty = the pick follows from the
    /// head alone).
    pub nonce: &'a str,
    /// Forged counts to state the pass chance for (empty = 1 and 10% of
    /// the trials, [`default_forged`]).
    pub forged: &'a [usize],
    /// The trial runner, needed when `retrain > 0`.
    pub runner: Option<&'a dyn TrialRunner>,
    /// The author's public key (`--key`): `DIR/SIGNATURE` must sign exactly
    /// this log's head and trial count ([`crate::ledger::sign::check`]).
    pub key: Option<&'a ed25519_dalek::VerifyingKey>,
}

/// Audits the log in `dir`, retraining `retrain` trials picked from the head
/// (no nonce) with `runner`; see [`audit_with`].
pub fn audit(
    dir: &Path,
    retrain: usize,
    runner: Option<&dyn TrialRunner>,
    log: &mut dyn FnMut(&str),
) -> Result<AuditReport> {
    let options = AuditOptions {
        retrain,
        runner,
        ..AuditOptions::default()
    };
    audit_with(dir, &options, log)
}

/// Audits the log in `dir`: every check, then `options.retrain` trials
/// picked by [`retrain_choice`] from the head and nonce are retrained with
/// `options.runner` (which must then be given). `log` receives each finding
/// as it is made.
pub fn audit_with(
    dir: &Path,
    options: &AuditOptions,
    log: &mut dyn FnMut(&str),
) -> Result<AuditReport> {
    let retrain = options.retrain;
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
    let signed_by = match options.key {
        Some(key) => {
            let file = crate::ledger::sign::check(dir, &summary, key)?;
            let key = crate::ledger::sign::hex(&file.public_key);
            say(format!(
                "signature: head and trial count ({}) signed by key {key}",
                file.trials
            ));
            Some(key)
        }
        None => None,
    };
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
    let n = trials.len();
    let picked = retrain_choice(&summary.head, options.nonce, n, retrain);
    let nonce = match options.nonce {
        "" => "no nonce".to_string(),
        s => format!("nonce {s:?}"),
    };
    if retrain > 0 {
        let runner = options.runner.ok_or_else(|| {
            Error::invalid("audit --retrain needs a trial runner (the search data)")
        })?;
        say(format!(
            "retrain: picked trials {picked:?} of {n} from the head and {nonce}"
        ));
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
    } else {
        say(
            "retrain: none; only retraining catches edited and re-hashed losses, \
             objectives, weights digests or statuses (--retrain K)"
                .to_string(),
        );
    }
    let forged = match options.forged {
        [] => default_forged(n),
        m => m.to_vec(),
    };
    let chances: Vec<PassChance> = forged
        .iter()
        .map(|&m| pass_chance(n, picked.len(), m))
        .collect();
    for c in &chances {
        say(format!("forgery: {}", c.line()));
    }
    Ok(AuditReport {
        lines,
        head: summary.head,
        config: config_hash,
        trials: n,
        retrained: picked,
        nonce: options.nonce.to_string(),
        chances,
        signed_by,
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
