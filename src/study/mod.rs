//! `csnas study`: does the label-free objective rank architectures as labels
//! would? A rank study of N random genotypes, each measured by the search's
//! own trial at S seeds and by a supervised label score at S seeds.
//!
//! Why it exists: the CSNAS claim is that a contrastive loss ranks
//! architectures as labels would, and a reproducibility engine for that
//! method must let anyone test the claim — with confidence intervals and
//! noise ceilings, and against the trivial baseline of parameter count.
//!
//! How it is built:
//! - the trial is the search's: a [`ContrastiveRunner`] of the trial settings
//!   with seed `seed + r`, trial index `g`, root `trial_root(seed + r, g)` —
//!   so repetition 0 of genotype `g` is exactly trial `g` of a random search
//!   with seed `seed`; every label-free score comes from that one run;
//! - genotype `g` is `propose_random(space, g, seed)` decoded (a random
//!   search's proposal `g`);
//! - the study is a log like a search's ([`log`], [`record`]): hashed,
//!   chained, resumable after a kill to the same head, and each measurement
//!   carries a key (the hash of everything its result depends on), so
//!   `--reuse DIR` takes a measurement from an earlier study instead of
//!   recomputing it — label scores do not depend on the trial settings, so a
//!   study of new trial settings over the same genotypes trains no label
//!   network again; a reused result is the same bits a recomputation gives,
//!   so reuse never changes the head;
//! - the order of measurements is fixed: for each repetition, every label
//!   score, then every trial; the report ([`report`]) is a pure function of
//!   the log.

pub mod labels;
pub mod log;
pub mod plot;
pub mod record;
pub mod report;
pub mod stats;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::backend::BackendKind;
use crate::data::Loaded;
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::ledger::{Exact, Hash, Record};
use crate::search::runner::{ContrastiveRunner, trial_root};
use crate::search::{SearchConfig, propose_random};
use crate::train::trial::TrialEnd;
use labels::LabelConfig;
use log::{StudyLog, read_chain};
use record::{MeasureRecord, Outcome, STUDY_SCHEMA, StudyRecord};

/// Everything that determines a study's log.
#[derive(Clone, Debug, PartialEq)]
pub struct StudySettings {
    pub seed: u64,
    pub genotypes: usize,
    pub repetitions: usize,
    /// The trial: a search's settings (its own seed is ignored).
    pub trial: SearchConfig,
    pub label: LabelConfig,
    /// Where both sides compute (`--backend`). Not recorded itself: the
    /// trial's config record carries its arithmetic name (`trial.backend`),
    /// and the label settings name it when it is not the CPU reference's.
    pub backend: BackendKind,
}

/// A measurement's place in the fixed schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Label,
    Trial,
}

/// The `i`-th measurement of a study of `n` genotypes: (kind, genotype,
/// repetition). Repetition by repetition: `n` label scores, then `n` trials.
pub fn schedule(n: usize, i: usize) -> (Kind, usize, usize) {
    let (r, within) = (i / (2 * n), i % (2 * n));
    if within < n {
        (Kind::Label, within, r)
    } else {
        (Kind::Trial, within - n, r)
    }
}

impl StudySettings {
    /// The study record (the trial config record is repetition 0's).
    pub fn to_record(&self) -> StudyRecord {
        StudyRecord {
            schema_version: STUDY_SCHEMA,
            seed: self.seed,
            genotypes: self.genotypes as u64,
            repetitions: self.repetitions as u64,
            trial: self.trial_config(0).to_record(),
            label: self.label_pairs(),
        }
    }

    /// The label settings as recorded: [`LabelConfig::to_pairs`], plus the
    /// arithmetic name (`backend`) when it is not the CPU reference's
    /// `cpu-f32` (so a CPU study's record and keys are what they always were).
    pub fn label_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = self.label.to_pairs();
        if self.trial.backend != "cpu-f32" {
            pairs.push(("backend".to_string(), self.trial.backend.clone()));
        }
        pairs
    }

    /// The trial settings of repetition `r`: seed `seed + r`.
    pub fn trial_config(&self, r: u64) -> SearchConfig {
        SearchConfig {
            seed: self.seed.wrapping_add(r),
            ..self.trial.clone()
        }
    }

    /// Genotype `g`: a random search's proposal `g`.
    pub fn genotype(&self, g: usize) -> Result<Genotype> {
        let space = &self.trial.space;
        space.decode(&propose_random(space, g, self.seed))
    }

    /// The key of label measurement (`g`, `r`).
    pub fn label_key(&self, genotype: &Genotype, r: u64, data_digest: &Hash) -> Hash {
        let mut h = blake3::Hasher::new();
        h.update(b"csnas-study-label-v1");
        for (k, v) in self.label_pairs() {
            h.update(&(k.len() as u64).to_le_bytes());
            h.update(k.as_bytes());
            h.update(&(v.len() as u64).to_le_bytes());
            h.update(v.as_bytes());
        }
        h.update(data_digest.as_bytes());
        h.update(genotype.hash().as_bytes());
        h.update(&self.seed.wrapping_add(r).to_le_bytes());
        h.finalize()
    }

    /// The key of trial measurement (`g`, `r`): the trial config record of
    /// repetition `r` with `objective.score` set to `final-loss` (a trial
    /// measures every score in the same run, so the score a search would
    /// minimise does not change its result), the genotype and the trial index.
    pub fn trial_key(&self, genotype: &Genotype, g: usize, r: u64) -> Hash {
        let config = SearchConfig {
            score: crate::train::label_free::Score::FinalLoss,
            ..self.trial_config(r)
        };
        let mut h = blake3::Hasher::new();
        h.update(b"csnas-study-trial-v1");
        h.update(&Record::Config(config.to_record()).to_bytes());
        h.update(genotype.hash().as_bytes());
        h.update(&(g as u64).to_le_bytes());
        h.finalize()
    }
}

/// Hooks for progress display; called from worker threads.
pub trait StudyObserver: Sync {
    /// Measurement `i` of `total` starts (`reused`: taken from `--reuse`).
    fn started(&self, _i: usize, _total: usize, _kind: Kind, _g: usize, _r: usize, _reused: bool) {}
    /// (done, of) batches of the running measurement.
    fn progress(&self, _done: usize, _of: usize) {}
}

/// Shows nothing.
pub struct Quiet;
impl StudyObserver for Quiet {}

/// Measurements of earlier studies by key, for `--reuse`.
pub fn reusable(dirs: &[PathBuf]) -> Result<HashMap<Hash, Outcome>> {
    let mut map = HashMap::new();
    for dir in dirs {
        let (_, _, measures) =
            read_chain(dir).map_err(|e| invalid!("--reuse {}: {e}", dir.display()))?;
        for m in measures {
            map.entry(m.key).or_insert(m.outcome);
        }
    }
    Ok(map)
}

/// Runs (or resumes) the study in `dir`; returns the head and the records.
pub fn run_study(
    dir: &Path,
    settings: &StudySettings,
    data: &Loaded,
    reuse: &HashMap<Hash, Outcome>,
    observer: &dyn StudyObserver,
) -> Result<(Hash, Vec<MeasureRecord>)> {
    if settings.genotypes < 2 || settings.repetitions < 1 {
        return Err(invalid!(
            "study: need at least 2 genotypes and 1 repetition, got {} and {}",
            settings.genotypes,
            settings.repetitions
        ));
    }
    settings.trial.validate()?;
    settings.label.validate(data)?;
    let record = settings.to_record();
    let (mut log, mut done) = if dir.join("HEAD").exists() {
        let (log, logged, measures) = StudyLog::open(dir)?;
        if logged != record {
            return Err(invalid!(
                "{} holds a study with different settings (seed, genotypes, repetitions, \
                 trial or label settings differ); use another --out",
                dir.display()
            ));
        }
        (log, measures)
    } else {
        (StudyLog::create(dir, &record)?, Vec::new())
    };
    let (n, reps) = (settings.genotypes, settings.repetitions);
    let total = 2 * n * reps;
    let digest = data.train.digest();
    // One runner per repetition (its subset and held-out images), built once.
    let runners: Vec<ContrastiveRunner> = (0..reps)
        .map(|r| {
            let mut config = settings.trial_config(r as u64);
            config.data_digest = digest;
            Ok(ContrastiveRunner::new(&config, data.train.clone())?.on_backend(settings.backend))
        })
        .collect::<Result<_>>()?;
    // Measurements are independent: run up to one per thread at once, then
    // append them in schedule order (a kill loses only those in flight).
    // On a GPU, one at a time: its backend's work is ordered on one stream.
    let width = match settings.backend {
        BackendKind::Cpu => crate::parallel::current_threads().max(1),
        _ => 1,
    };
    let mut i = done.len();
    while i < total {
        let batch: Vec<usize> = (i..total.min(i + width)).collect();
        let results: Vec<Result<(MeasureRecord, f64)>> = batch
            .par_iter()
            .map(|&i| measure(settings, data, &runners, reuse, observer, i, &digest))
            .collect();
        for result in results {
            let (mut m, secs) = result?;
            m.parent = log.head();
            log.append(&m, &[("seconds", format!("{secs:.3}"))])?;
            done.push(m);
        }
        i += batch.len();
    }
    Ok((log.head(), done))
}

/// Measurement `i` of the schedule (its parent is set by the caller), and
/// the seconds it took.
fn measure(
    settings: &StudySettings,
    data: &Loaded,
    runners: &[ContrastiveRunner],
    reuse: &HashMap<Hash, Outcome>,
    observer: &dyn StudyObserver,
    i: usize,
    digest: &Hash,
) -> Result<(MeasureRecord, f64)> {
    let total = 2 * settings.genotypes * settings.repetitions;
    let (kind, g, r) = schedule(settings.genotypes, i);
    let genotype = settings.genotype(g)?;
    let key = match kind {
        Kind::Label => settings.label_key(&genotype, r as u64, digest),
        Kind::Trial => settings.trial_key(&genotype, g, r as u64),
    };
    let reused = reuse.get(&key).cloned();
    observer.started(i, total, kind, g, r, reused.is_some());
    let start = std::time::Instant::now();
    let outcome = match (reused, kind) {
        (Some(o), _) => o,
        (None, Kind::Label) => {
            let seed = settings.seed.wrapping_add(r as u64);
            let mut progress = |d, of| observer.progress(d, of);
            settings
                .label
                .measure(&genotype, data, seed, settings.backend, &mut progress)?
        }
        (None, Kind::Trial) => {
            let root = trial_root(settings.seed.wrapping_add(r as u64), g);
            let mut progress = |_e, b, nb, _l| observer.progress(b + 1, nb);
            let o =
                crate::search::TrialRunner::run(&runners[r], g, &genotype, &root, &mut progress)?;
            Outcome::Trial {
                epoch_losses: o.epoch_losses.iter().map(|&l| Exact::from_f32(l)).collect(),
                diverged: match o.end {
                    TrialEnd::Ok => None,
                    TrialEnd::Diverged {
                        epoch,
                        batch,
                        reason,
                    } => Some(format!("epoch {epoch}, batch {batch}: {reason}")),
                },
                weights: o.weights_digest,
                scores: o.scores.map(|s| {
                    [s.heldout_loss, s.alignment, s.uniformity, s.rankme].map(Exact::from_f64)
                }),
            }
        }
    };
    let m = MeasureRecord {
        index: i as u64,
        parent: Hash::from_bytes([0; 32]),
        genotype_index: g as u64,
        repetition: r as u64,
        genotype: genotype.to_darts_string(),
        genotype_hash: genotype.hash(),
        key,
        outcome,
    };
    Ok((m, start.elapsed().as_secs_f64()))
}

#[cfg(test)]
mod tests;
