//! The search loop: propose, decode, train, record — resumable from its log.
//!
//! Why it is built this way: every trial is a pure function of the config,
//! the seed and the earlier records (proposal from `seed/propose/<t>`,
//! training from `seed/trial/<t>`), so a search killed at any instant and
//! started again continues from its log's head to the same final head, and
//! `replay`/`audit` re-derive any trial with the same helpers used here
//! ([`proposal`], [`trial_record`]). Training sits behind [`TrialRunner`] so
//! the loop, replay and audit are tested with a fast fake.

use std::path::Path;

pub use super::batch::proposal;
use super::config::{SearchConfig, Strategy};
use super::driver::run_search_on;
use super::executor::InProcess;
use super::tpe::random_stream;
use crate::backend::{Backend, BackendKind, OnBackend};
use crate::data::Dataset;
use crate::data::batch::subset;
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::ledger::{ConfigRecord, Exact, Hash, Ledger, Record, TrialRecord, TrialStatus};
use crate::rng::StreamPath;
use crate::train::label_free::{Score, run_scored_on};
use crate::train::trial::{ContrastiveSpec, Progress, TrialEnd, TrialOutcome, run_contrastive_on};

/// Trains one proposed genotype. `Sync` so a search can run inside a thread pool.
pub trait TrialRunner: Sync {
    /// Trial `trial_index`'s training of `genotype`, every draw below `root`.
    fn run(
        &self,
        trial_index: usize,
        genotype: &Genotype,
        root: &StreamPath,
        progress: Progress<'_>,
    ) -> Result<TrialOutcome>;
}

/// The real runner: [`run_contrastive_on`] on the config's unlabelled subset,
/// then, with held-out images configured, the label-free scores
/// ([`run_scored_on`]: the same training, bit for bit), on the backend it
/// was given (the CPU reference unless [`ContrastiveRunner::on_backend`]).
pub struct ContrastiveRunner {
    backend: BackendKind,
    spec: ContrastiveSpec,
    data: Dataset,
    indices: Vec<usize>,
    holdout: Vec<usize>,
    views: StreamPath,
}

impl ContrastiveRunner {
    /// Checks that `data` is the data the config names (by digest) and draws
    /// the unlabelled subset from [`subset_stream`].
    pub fn new(config: &SearchConfig, data: Dataset) -> Result<Self> {
        let digest = data.digest();
        if digest != config.data_digest {
            return Err(invalid!(
                "data {} has digest {}, but the search config names {}",
                data.name,
                digest.to_hex(),
                config.data_digest.to_hex()
            ));
        }
        let indices = subset(
            data.len(),
            config.subset,
            &mut subset_stream(config.seed).stream(),
        )
        .map_err(|e| invalid!("{}: {e}", config.subset.setting("subset")))?;
        let holdout = holdout_indices(data.len(), &indices, config.holdout, config.seed)?;
        Ok(ContrastiveRunner {
            backend: BackendKind::Cpu,
            spec: config.spec.clone(),
            data,
            indices,
            holdout,
            views: holdout_stream(config.seed).child("views"),
        })
    }

    /// Runs every trial on `backend` instead of the CPU reference.
    pub fn on_backend(mut self, backend: BackendKind) -> Self {
        self.backend = backend;
        self
    }

    /// The unlabelled images trials train on.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The held-out images the label-free scores are measured on.
    pub fn holdout(&self) -> &[usize] {
        &self.holdout
    }
}

/// The held-out images: the first `k` of `holdout_stream(seed).permutation`
/// of the images outside `subset` (ascending), sorted ascending; empty for
/// `None`. Errors when fewer than `k` images are left.
pub fn holdout_indices(
    len: usize,
    subset: &[usize],
    k: Option<usize>,
    seed: u64,
) -> Result<Vec<usize>> {
    let Some(k) = k else {
        return Ok(Vec::new());
    };
    let mut inside = vec![false; len];
    for &i in subset {
        inside[i] = true;
    }
    let rest: Vec<usize> = (0..len).filter(|&i| !inside[i]).collect();
    if k > rest.len() {
        return Err(invalid!(
            "objective.holdout = {k}: only {} images are left outside the {}-image subset",
            rest.len(),
            subset.len()
        ));
    }
    let perm = holdout_stream(seed).stream().permutation(rest.len());
    let mut out: Vec<usize> = perm[..k].iter().map(|&p| rest[p]).collect();
    out.sort_unstable();
    Ok(out)
}

/// The stream the held-out images are drawn from, `seed/holdout`; their
/// fixed views are drawn below `seed/holdout/views`, the same for every trial.
pub fn holdout_stream(seed: u64) -> StreamPath {
    StreamPath::root(seed).child("holdout")
}

impl TrialRunner for ContrastiveRunner {
    fn run(
        &self,
        _trial_index: usize,
        genotype: &Genotype,
        root: &StreamPath,
        progress: Progress<'_>,
    ) -> Result<TrialOutcome> {
        self.backend.run(TrialJob {
            runner: self,
            genotype,
            root,
            progress,
        })
    }
}

/// One trial of a [`ContrastiveRunner`] on the opened backend.
struct TrialJob<'a, 'p> {
    runner: &'a ContrastiveRunner,
    genotype: &'a Genotype,
    root: &'a StreamPath,
    progress: Progress<'p>,
}

impl OnBackend for TrialJob<'_, '_> {
    type Output = TrialOutcome;
    fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<TrialOutcome> {
        let r = self.runner;
        if r.holdout.is_empty() {
            return run_contrastive_on(
                dev,
                self.genotype,
                &r.spec,
                &r.data,
                &r.indices,
                self.root,
                self.progress,
            );
        }
        run_scored_on(
            dev,
            self.genotype,
            &r.spec,
            &r.data,
            &r.indices,
            &r.holdout,
            &r.views,
            self.root,
            self.progress,
        )
    }
}

/// The stream the unlabelled subset is drawn from: `seed/subset`.
pub fn subset_stream(seed: u64) -> StreamPath {
    StreamPath::root(seed).child("subset")
}

/// The root of every draw of trial `t`'s training: `seed/trial/<t>`.
pub fn trial_root(seed: u64, t: usize) -> StreamPath {
    StreamPath::root(seed).at("trial", t as u64)
}

/// The streams trial `t` draws from, as recorded: its proposal's stream and
/// its training root.
pub fn trial_streams(config: &SearchConfig, t: usize) -> Vec<String> {
    let propose_path = match &config.strategy {
        Strategy::Tpe(s) if t >= s.n_startup_jobs.max(1) => StreamPath::root(config.seed)
            .at("propose", t as u64)
            .child("tpe"),
        _ => random_stream(config.seed, t),
    };
    vec![propose_path.display(), trial_root(config.seed, t).display()]
}

/// The record of trial `t`. The objective is the config's score: the last
/// epoch's mean loss (exact f32, the paper's) or a held-out score (exact
/// f64); a diverged trial is recorded with its reason and objective `+inf`,
/// which TPE ranks last (its worst), as hyperopt ranks a failed trial.
pub fn trial_record(
    config: &SearchConfig,
    t: usize,
    parent: Hash,
    choices: &[usize],
    genotype: &Genotype,
    outcome: &TrialOutcome,
) -> TrialRecord {
    let (status, objective) = match (&outcome.end, outcome.epoch_losses.last()) {
        (TrialEnd::Ok, Some(&last)) if config.score == Score::FinalLoss => {
            (TrialStatus::Ok, Some(Exact::from_f32(last)))
        }
        (TrialEnd::Ok, Some(&last)) => match config.score.value(last, outcome.scores.as_ref()) {
            Some(v) => (TrialStatus::Ok, Some(Exact::from_f64(v))),
            None => (
                TrialStatus::Failed {
                    reason: format!("no held-out scores for {}", config.score.name()),
                },
                None,
            ),
        },
        (TrialEnd::Ok, None) => (
            TrialStatus::Failed {
                reason: "training produced no epoch".into(),
            },
            None,
        ),
        (
            TrialEnd::Diverged {
                epoch,
                batch,
                reason,
            },
            _,
        ) => (
            TrialStatus::Diverged {
                reason: format!("epoch {epoch}, batch {batch}: {reason}"),
            },
            Some(Exact::from_f32(f32::INFINITY)),
        ),
    };
    TrialRecord {
        index: t as u64,
        parent,
        genotype: genotype.to_darts_string(),
        genotype_hash: genotype.hash(),
        choices: choices.iter().map(|&c| c as u64).collect(),
        streams: trial_streams(config, t),
        epoch_losses: outcome
            .epoch_losses
            .iter()
            .map(|&l| Exact::from_f32(l))
            .collect(),
        objective,
        weights_digest: Some(outcome.weights_digest),
        status,
    }
}

/// A recorded trial as TPE sees it: its choices and its objective (`+inf`
/// when it has none).
pub fn history_entry(t: &TrialRecord) -> (Vec<usize>, f64) {
    let objective = t.objective.map_or(f64::INFINITY, Exact::to_f64);
    (t.choices.iter().map(|&c| c as usize).collect(), objective)
}

/// The best trial: the lowest objective among trials that ended `Ok`, the
/// earlier one on ties.
pub fn best_trial(trials: &[(Hash, TrialRecord)]) -> Option<&(Hash, TrialRecord)> {
    let mut best: Option<(&(Hash, TrialRecord), f64)> = None;
    for entry in trials {
        if entry.1.status != TrialStatus::Ok {
            continue;
        }
        let objective = history_entry(&entry.1).1;
        if best.is_none_or(|(_, b)| objective < b) {
            best = Some((entry, objective));
        }
    }
    best.map(|b| b.0)
}

/// A verified log: its config record's hash, the record, and the trials.
pub type LogContents = (Hash, ConfigRecord, Vec<(Hash, TrialRecord)>);

/// The config record and the trials of a verified log.
pub fn read_log(ledger: &Ledger) -> Result<LogContents> {
    let mut chain = ledger.records()?.into_iter();
    let (config_hash, config) = match chain.next() {
        Some((h, Record::Config(c))) => (h, c),
        _ => unreachable!("a verified chain starts with its config record"),
    };
    let trials = chain
        .map(|(h, r)| match r {
            Record::Trial(t) => (h, t),
            Record::Config(_) => unreachable!("a verified chain has one config record"),
        })
        .collect();
    Ok((config_hash, config, trials))
}

/// Hooks for progress display; every method defaults to nothing.
pub trait SearchObserver: Sync {
    /// `done` trials were already in the log.
    fn resumed(&self, _done: usize, _total: usize) {}
    fn trial_started(&self, _t: usize, _genotype: &Genotype) {}
    /// (epoch, batch, batches per epoch, running mean loss).
    fn trial_progress(&self, _epoch: usize, _batch: usize, _batches: usize, _loss: f32) {}
    fn trial_finished(&self, _record: &TrialRecord, _hash: &Hash) {}
}

/// An observer that shows nothing.
pub struct Silent;
impl SearchObserver for Silent {}

/// What a finished search holds.
#[derive(Clone, Debug)]
pub struct SearchSummary {
    pub head: Hash,
    pub trials: Vec<(Hash, TrialRecord)>,
}

impl SearchSummary {
    pub fn best(&self) -> Option<&(Hash, TrialRecord)> {
        best_trial(&self.trials)
    }
}

/// Runs (or resumes, or grows) the search `config` with its log in `dir`,
/// each trial in this process with `runner`: [`run_search_on`] with the
/// [`InProcess`] executor. A log already in `dir` must hold this search
/// (its config record may differ only in `trials`, else an `Invalid` error
/// lists what differs); its trials are kept and the search continues after
/// them.
pub fn run_search(
    dir: &Path,
    config: &SearchConfig,
    runner: &dyn TrialRunner,
    observer: &dyn SearchObserver,
) -> Result<SearchSummary> {
    run_search_on(dir, config, &InProcess { runner }, observer)
}

#[cfg(test)]
pub(crate) mod fake;
#[cfg(test)]
pub(crate) mod tests;
