//! The search driver: propose a batch, hand it to an executor, merge the
//! results into the log in trial order — resumable, growable.
//!
//! Why it is built this way: every trial is a pure function of its spec
//! ([`super::trial`]), and a batch's proposals follow from the log at the
//! batch's start ([`super::batch`]), so the log does not depend on which
//! engine ran the trials, how many ran at once, or which finished first:
//! results are appended strictly in index order, each as soon as all before
//! it are in. A driver killed at any instant leaves the old log or the new
//! one (the ledger's writes are atomic), and the executors keep finished
//! results as files, so running the same command again resumes without
//! training a finished trial twice.
//!
//! Growing: `trials` is a stopping rule, not part of the search's identity.
//! A log is continued by any config whose record differs from the log's at
//! most in `trials`; a larger `trials` extends a finished log, whose first
//! trials are exactly those of the shorter run. The log's config record keeps
//! the `trials` it was started with (records are immutable and the golden
//! head must not move), so a grown log's head differs from the head of a
//! search started with the larger count, although every trial's content is
//! the same. Any other difference is refused with the list of differences.

use std::collections::BTreeMap;
use std::path::Path;

use super::batch::{batch_proposals, batch_start};
use super::config::{SearchConfig, config_differences};
use super::executor::Executor;
use super::runner::{SearchObserver, SearchSummary, history_entry, read_log};
use super::trial::{TrialResult, TrialSpec};
use crate::error::Result;
use crate::invalid;
use crate::ledger::{ConfigRecord, Ledger};

/// How the log's config record and this run's differ in anything but
/// `trials` (the stopping rule), one line per field; empty when the log can
/// be continued.
pub fn identity_differences(log: &ConfigRecord, new: &ConfigRecord) -> Vec<String> {
    let strip = |r: &ConfigRecord| ConfigRecord {
        hyper_parameters: (r.hyper_parameters.iter())
            .filter(|(k, _)| k != "trials")
            .cloned()
            .collect(),
        ..r.clone()
    };
    config_differences(&strip(log), &strip(new))
}

/// Runs, resumes or grows the search `config` with its log in `dir`,
/// running trials on `executor`.
pub fn run_search_on(
    dir: &Path,
    config: &SearchConfig,
    executor: &dyn Executor,
    observer: &dyn SearchObserver,
) -> Result<SearchSummary> {
    config.validate()?;
    let record = config.to_record();
    let mut ledger = if dir.join("HEAD").exists() {
        Ledger::open(dir)?
    } else {
        Ledger::create(dir, &record)?
    };
    let (_, logged, mut trials) = read_log(&ledger)?;
    let differences = identity_differences(&logged, &record);
    if !differences.is_empty() {
        return Err(invalid!(
            "{} holds a different search (only trials may differ, to grow it): {}",
            dir.display(),
            differences.join("; ")
        ));
    }
    let mut history: Vec<(Vec<usize>, f64)> = Vec::with_capacity(config.trials);
    for (h, t) in &trials {
        config.space.decode(&history_entry(t).0).map_err(|e| {
            invalid!(
                "{}: record {} (trial {}): {e}",
                dir.display(),
                h.to_hex(),
                t.index
            )
        })?;
        history.push(history_entry(t));
    }
    observer.resumed(trials.len().min(config.trials), config.trials);
    let mut next = trials.len();
    while next < config.trials {
        let end = (batch_start(next, config.batch) + config.batch).min(config.trials);
        let specs = batch_proposals(config, &history, next, end)
            .iter()
            .enumerate()
            .map(|(i, c)| TrialSpec::new(config, &logged, next + i, c))
            .collect::<Result<Vec<_>>>()?;
        let first = next;
        let mut arrived: BTreeMap<usize, TrialResult> = BTreeMap::new();
        let mut merge = |result: TrialResult| -> Result<()> {
            let t = result.trial.index as usize;
            // Each trial of the batch not yet merged takes one result.
            let spec =
                (t >= next && t < end && !arrived.contains_key(&t)).then(|| &specs[t - first]);
            check_result(spec, &result)?;
            arrived.insert(t, result);
            while let Some(result) = arrived.remove(&next) {
                let facts = result.facts.clone();
                let rec = result.into_record(ledger.head());
                let facts: Vec<(&str, &str)> = facts
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let hash = ledger.append_with_meta(&rec, &facts)?;
                observer.trial_finished(&rec, &hash);
                history.push(history_entry(&rec));
                trials.push((hash, rec));
                next += 1;
            }
            Ok(())
        };
        executor.run_batch(&specs, observer, &mut merge)?;
        if next < end {
            return Err(invalid!(
                "the executor finished batch {}..{} without a result for trial {next}",
                specs[0].index,
                end
            ));
        }
    }
    Ok(SearchSummary {
        head: ledger.head(),
        trials,
    })
}

/// A result must answer one of the batch's specs, field for field.
fn check_result(spec: Option<&TrialSpec>, result: &TrialResult) -> Result<()> {
    let t = result.trial.index;
    let Some(spec) = spec else {
        return Err(invalid!(
            "a result for trial {t} arrived, which this batch does not run"
        ));
    };
    let r = &result.trial;
    if result.spec != spec.hash()
        || r.choices != spec.choices
        || r.genotype != spec.genotype
        || r.streams != spec.streams
    {
        return Err(invalid!(
            "the result for trial {t} does not answer its spec (spec {}, result names {})",
            spec.hash().to_hex(),
            result.spec.to_hex()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
